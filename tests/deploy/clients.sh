# shellcheck shell=bash disable=SC2154  # variables are run.sh's
# Sourced by run.sh: real charla clients on this machine against the deployed broker.
# Uses run.sh's work, charla, monitor, broker_port, curve, client_pids, failed and check.

# seen FILE REGEX: FILE has a line matching REGEX.
seen() { grep -qE -- "$2" "$1"; }
# The connect commands the play printed at the end of site-1.log (JSON results keep each on
# one line), as words, with this machine's build of the program in place of its name.
printed_command() { grep -o "\"  $1 [^\"]*\"" "$work/site-1.log" | tail -1 | tr -d '"'; }
read_printed_commands() {
  read -ra monitor_cmd <<<"$(printed_command charla-monitor)"
  read -ra chat_cmd <<<"$(printed_command charla)"
  check "the play printed the charla and charla-monitor commands" test ${#monitor_cmd[@]} -gt 0 -a ${#chat_cmd[@]} -gt 0
  monitor_cmd[0]=$monitor
  chat_cmd[0]=$charla
}
# chat_as NAME ARGS...: the printed charla command, as NAME, with each user's own keys.
chat_as() {
  local who=$1
  shift
  XDG_CONFIG_HOME=$work/clients/$who-config timeout 60 "${chat_cmd[@]/YOUR_NAME/$who}" "$@"
}

talk_to_broker() {
  local out=$work/clients
  mkdir -p "$out"
  read_printed_commands
  # Each client keeps its own CURVE keypair under its own config directory.
  XDG_CONFIG_HOME=$out/monitor-config "${monitor_cmd[@]}" --json </dev/null >"$out/monitor.out" 2>"$out/monitor.err" &
  local monitor_pid=$!
  client_pids+=("$monitor_pid")
  check "charla-monitor connects and gets the snapshot" until_line 20 "$out/monitor.out" '"event":"snapshot"'

  # bob stays connected while his input (a FIFO held open here) is open.
  mkfifo "$out/bob.in"
  chat_as bob <"$out/bob.in" >"$out/bob.out" 2>&1 &
  local bob_pid=$!
  client_pids+=("$bob_pid")
  exec {bob_in}>"$out/bob.in"
  check "charla (bob) connects; the monitor sees him join" until_line 20 "$out/monitor.out" '"event":"join","user":"bob"'

  # alice says one line and leaves at the end of her input.
  local rc=0
  printf 'hola desde alice\n' | chat_as alice >"$out/alice.out" 2>&1 || rc=$?
  check "charla (alice) sends a message and leaves cleanly" test $rc -eq 0
  check "bob receives alice's message" until_line 20 "$out/bob.out" 'hola desde alice'
  check "the monitor sees alice join and leave" \
    until_line 20 "$out/monitor.out" '"event":"leave","user":"alice"'
  check "... after she joined" seen "$out/monitor.out" '"event":"join","user":"alice"'
  # Said while alice is away: her history when she comes back, after the redeploy below.
  printf 'hola desde bob\n' >&"$bob_in"
  check "bob's line comes back to him" until_line 20 "$out/bob.out" 'bob: hola desde bob'

  exec {bob_in}>&-
  check "bob leaves when his input ends; the monitor sees it" \
    until_line 20 "$out/monitor.out" '"event":"leave","user":"bob"'
  exited 10 "$bob_pid" || kill "$bob_pid"

  if [[ $curve == 1 ]]; then
    # Without the server key a client must not get in.
    rc=0
    XDG_CONFIG_HOME=$out/eve-config timeout 30 "$charla" --timeout 3 eve 127.0.0.1 "$broker_port" \
      </dev/null >"$out/eve.out" 2>&1 || rc=$?
    check "a client without the server key is not let in" test $rc -ne 0
  fi

  kill -TERM "$monitor_pid"
  check "charla-monitor stops on SIGTERM" exited 10 "$monitor_pid"
  for f in "$out"/*.out "$out"/*.err; do
    [[ $failed -eq 0 ]] || { echo "    --- $f"; tail -8 "$f" | sed 's/^/    /'; }
  done
}

# After a redeploy that allows only alice's key: alice still gets in, bob does not.
check_allow_list() {
  local out=$work/clients rc=0
  printf 'sigo aqui\n' | chat_as alice >"$out/alice-2.out" 2>&1 || rc=$?
  check "an allowed client (alice) still gets in" test $rc -eq 0
  # alice owns her name (CURVE): on joining she is given what was said since she left.
  check "what was said while alice was away, before the redeploy, is her history (the broker's file in its state directory)" \
    seen "$out/alice-2.out" '\(historial\) bob: hola desde bob'
  rc=0
  chat_as bob --timeout 5 </dev/null >"$out/bob-2.out" 2>&1 || rc=$?
  check "a client whose key is not allowed (bob) is refused" test $rc -ne 0
  [[ $failed -eq 0 ]] || tail -n 5 "$out/alice-2.out" "$out/bob-2.out" | sed 's/^/    /'
}
