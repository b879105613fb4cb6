#!/bin/bash
# The deploy test: ansible/ end to end, offline, on this machine.
#
#   tests/deploy/run.sh [BUILD_DIR]
#
# BUILD_DIR (or $CHARLA_BUILD_DIR, default ./build) holds the host-built charla and
# charla-monitor used as real clients; the Debian packages are built into BUILD_DIR/deb.
# Needs root and these Debian packages: ansible ansible-lint python3-boto3 debootstrap
# systemd-container openssh-client debhelper help2man lintian and the build packages (which
# tools/build-deb.sh installs if missing); and moto_server on PATH.
#
# 1. ansible-lint --profile production and --syntax-check of every playbook.
# 2. The Debian packages: tools/build-deb.sh (nothing when BUILD_DIR/deb holds them for
#    this source already), lintian.
# 3. A clean Debian 12 container (systemd-nspawn, a network of its own): apt-get install
#    of the two packages brings their dependencies from the Debian mirror and starts the
#    broker on 127.0.0.1; a real client talks to it; man pages; remove stops it; purge
#    leaves nothing behind (package.sh).
# 4. The EC2 half against moto: the refusals (custom endpoint without an SSH override,
#    SSH from 0.0.0.0/0), provisioning from the newest Debian 12 image, a second run that
#    creates nothing, destroy.
# 5. The configure half against a booted Debian 12 container (systemd-nspawn, sshd on a
#    free 127.0.0.1 port): site.yml provisions (moto) and installs the package
#    (container), twice; deploy.yml alone with the inventory provisioning wrote. Then the
#    unit, its user and capabilities, systemd-analyze, and real clients talking to the
#    deployed broker.
#
# Talks to 127.0.0.1 only, and to the Debian mirror for the packages' dependencies;
# moto's made-up public addresses are never contacted. Stops what it started by PID,
# also on failure. CHARLA_DEPLOY_TEST_KEEP=1 keeps the work dir; CHARLA_DEPLOY_TEST_CURVE=0
# deploys without CURVE (only for a charla that lacks it).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=$(cd "${1:-${CHARLA_BUILD_DIR:-$repo/build}}" && pwd)
curve=${CHARLA_DEPLOY_TEST_CURVE:-1}
name="charla-test"
t0=$SECONDS
passed=0
failed=0

say() { printf '[deploy %3ds] %s\n' $((SECONDS - t0)) "$*"; }
pass() { passed=$((passed + 1)); say "ok   - $*"; }
fail() { failed=$((failed + 1)); say "FAIL - $*"; }
# check DESCRIPTION COMMAND...: one test; a failure is counted and the run goes on.
check() {
  local what=$1
  shift
  if "$@" >"$work/check.out" 2>&1; then pass "$what"; else fail "$what"; sed 's/^/    /' "$work/check.out" | tail -20; fi
}
# must DESCRIPTION COMMAND...: a step the rest depends on; a failure ends the run.
must() {
  local what=$1
  shift
  if "$@" >"$work/check.out" 2>&1; then pass "$what"; else fail "$what"; sed 's/^/    /' "$work/check.out" | tail -40; exit 1; fi
}
# until_line SECONDS FILE REGEX: waits until FILE (as it grows) has a line matching REGEX;
# fails at the deadline. tail -F follows the file as it is written (inotify), no polling.
until_line() {
  local end=$((SECONDS + $1)) file=$2 regex=$3 line fd tail_pid found=1
  exec {fd}< <(exec tail -n +1 -F "$file" 2>/dev/null)
  tail_pid=$!
  while ((SECONDS < end)) && IFS= read -r -t $((end - SECONDS)) -u "$fd" line; do
    if [[ $line =~ $regex ]]; then
      found=0
      break
    fi
  done
  kill "$tail_pid" 2>/dev/null || true
  exec {fd}<&-
  return $found
}
# exited SECONDS PID: waits until process PID has ended; fails (124) at the deadline.
exited() { timeout "$1" tail -s 0.1 --pid="$2" -f /dev/null; }
# in_background DIR COMMAND...: runs a long command in DIR, in its own process group, so
# that a signal to this script is handled at once (bash defers traps while a foreground
# command runs) and cleanup can stop the command with all its children.
in_background() {
  local dir=$1 rc=0
  shift
  (cd "$dir" && exec setsid "$@") &
  child_pid=$!
  wait "$child_pid" || rc=$?
  child_pid=''
  return $rc
}
in_ansible() { (cd "$repo/ansible" && "$@"); }
# dynamic_user UID DYNAMIC_USER PASSWD: the unit says DynamicUser=yes, UID is in the range
# systemd hands out to such users, and neither it nor "charla" is in the PASSWD text.
dynamic_user() {
  [[ $2 == yes && $1 =~ ^[0-9]+$ ]] && (($1 >= 61184 && $1 <= 65519)) &&
    ! grep -qE "^(charla:|[^:]*:[^:]*:$1:)" <<<"$3"
}

# --- what this needs ----------------------------------------------------------------
for tool in ansible-playbook ansible-lint debootstrap systemd-nspawn nsenter moto_server ssh ssh-keygen git tar \
  dpkg-buildpackage help2man lintian; do
  command -v "$tool" >/dev/null || { echo "deploy test: $tool is missing (see ansible/README.md, Testing)" >&2; exit 1; }
done
/usr/bin/python3 -c 'import boto3, yaml' 2>/dev/null || { echo "deploy test: /usr/bin/python3 lacks boto3 (apt-get install python3-boto3)" >&2; exit 1; }
[[ $(id -u) == 0 ]] || { echo "deploy test: must run as root (debootstrap, systemd-nspawn)" >&2; exit 1; }
charla=$(find "$build" -maxdepth 3 -type f -name charla -perm -u+x | head -1)
monitor=$(find "$build" -maxdepth 3 -type f -name charla-monitor -perm -u+x | head -1)
[[ -n $charla && -n $monitor ]] || { echo "deploy test: no charla and charla-monitor under $build: build them first, or pass the build directory" >&2; exit 1; }
if [[ $curve == 1 && $("$charla" --help 2>&1) != *--server-key* ]]; then
  echo "deploy test: $charla has no --server-key (CURVE): build a charla with CURVE, or set CHARLA_DEPLOY_TEST_CURVE=0" >&2
  exit 1
fi

work=$(mktemp -d /tmp/charla-deploy-test.XXXXXX)
debs=$build/deb
moto_pid='' child_pid='' client_pids=() nspawn_pids=() overlays=()

# The script's own output, for cleanup: a signal may arrive while a function's output
# is redirected to a log.
exec {stdout}>&1 {stderr}>&2
cleanup() {
  local rc=$?
  set +e
  exec 1>&"$stdout" 2>&"$stderr"
  [[ -n $child_pid ]] && kill -TERM -- "-$child_pid" 2>/dev/null
  for pid in "${client_pids[@]}"; do kill "$pid" 2>/dev/null; done
  # Ansible's persistent SSH connections to the container.
  for socket in "$work"/cp/*; do
    [[ -S $socket ]] && ssh -o ControlPath="$socket" -O exit charla-test >/dev/null 2>&1
  done
  for pid in "${nspawn_pids[@]}"; do stop_container "$pid"; done
  if [[ -n $moto_pid ]] && kill -0 "$moto_pid" 2>/dev/null; then
    kill -TERM "$moto_pid"
    exited 10 "$moto_pid" || kill -KILL "$moto_pid"
    wait "$moto_pid" 2>/dev/null
  fi
  for root in "${overlays[@]}"; do umount "$root"; done
  if ((rc != 0 && failed == 0)); then
    fail "the test stopped early (exit status $rc)"
  fi
  if ((rc != 0 || failed > 0)); then
    for log in "$work/nspawn.log" "$work/clean/nspawn.log"; do
      [[ -s $log ]] || continue
      say "container console, $log (last lines):"
      tail -15 "$log" | sed 's/^/    /'
    done
  fi
  if [[ ${CHARLA_DEPLOY_TEST_KEEP:-0} == 1 ]]; then say "kept $work"; else rm -rf "$work"; fi
  say "done in $((SECONDS - t0)) s"
  echo "$passed passed, $failed failed"
  ((rc == 0 && failed == 0)) || exit 1
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# stop_container PID: an orderly shutdown of the container systemd-nspawn PID runs.
stop_container() {
  kill -0 "$1" 2>/dev/null || return 0
  # systemd-nspawn turns SIGTERM into an orderly shutdown of the container.
  kill -TERM "$1"
  exited 30 "$1" || kill -KILL "$1"
  wait "$1" 2>/dev/null
}
# container_root DIR: DIR/root, a writable overlay on the cached root filesystem (a copy
# of it where overlayfs is missing).
container_root() {
  mkdir -p "$1/upper" "$1/ovl" "$1/root"
  if mount -t overlay overlay -o "lowerdir=$rootfs,upperdir=$1/upper,workdir=$1/ovl" "$1/root" 2>/dev/null; then
    overlays+=("$1/root")
  else
    cp -a "$rootfs/." "$1/root/"
  fi
}
# boot_container DIR NAME NSPAWN_OPTIONS...: boots DIR/root in the background, its
# console in DIR/nspawn.log.
boot_container() {
  local dir=$1 machine=$2
  shift 2
  systemd-nspawn -D "$dir/root" --register=no --keep-unit --boot --console=pipe --link-journal=no \
    --resolv-conf=off --timezone=off --machine="$machine" "$@" </dev/null >"$dir/nspawn.log" 2>&1 &
  nspawn_pids+=($!)
}

free_ports() {
  /usr/bin/python3 -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}
read -r moto_port ssh_port broker_port pub_port <<<"$(free_ports 4)"

# Ansible on the system Python with fake credentials; no real AWS configuration is read.
export ANSIBLE_NOCOLOR=1 ANSIBLE_FORCE_COLOR=0 ANSIBLE_CONFIG="$repo/ansible/ansible.cfg"
# Task durations in the logs; SSH connections reused within a run, their sockets in $work.
export ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks
# Results as JSON: long lines (the printed connect commands) stay whole.
export ANSIBLE_CALLBACK_RESULT_FORMAT=json
export ANSIBLE_SSH_CONTROL_PATH_DIR="$work/cp"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_SESSION_TOKEN AWS_URL EC2_URL AWS_ENDPOINT_URL AWS_ENDPOINT_URL_EC2

ssh-keygen -q -t ed25519 -N '' -C charla-deploy-test -f "$work/id_ed25519"
known_hosts=$work/known_hosts
cat >"$work/vars.yml" <<EOF
charla_ec2_name: $name
charla_ec2_region: us-east-1
charla_ec2_endpoint_url: http://127.0.0.1:$moto_port
charla_ec2_ssh_host_override: 127.0.0.1
charla_ec2_ssh_port: $ssh_port
charla_ec2_ssh_user: deploy
charla_ec2_ssh_cidr: 203.0.113.0/24
charla_ec2_ssh_public_key_file: $work/id_ed25519.pub
charla_ec2_ssh_common_args: -o UserKnownHostsFile=$known_hosts -o StrictHostKeyChecking=accept-new
charla_ec2_ssh_timeout: 60
charla_controller_dir: $work/local
# Built by this test from this checkout already: the play's own build step finds them.
charla_deb_dir: $debs
charla_broker_bind: 127.0.0.1
charla_broker_port: $broker_port
charla_broker_pub_port: $pub_port
charla_broker_curve: $([[ $curve == 1 ]] && echo true || echo false)
# The container has the packages already; no apt-get update from the test.
charla_broker_apt_cache_valid_time: 315360000
EOF

# play LOG PLAYBOOK ARGS...: runs a playbook from ansible/, with the test's variables.
play() {
  local log=$work/$1
  shift
  in_background "$repo/ansible" timeout --kill-after=10 900 ansible-playbook -e "@$work/vars.yml" "$@" </dev/null >"$log" 2>&1
}
# changed LOG HOST: the "changed" count in the play recap of LOG for HOST (sums over plays).
changed() { awk -v h="$2" '$1 == h && $2 == ":" { for (i = 3; i <= NF; i++) if ($i ~ /^changed=/) { split($i, a, "="); n += a[2]; seen = 1 } } END { if (!seen) exit 1; print n }' "$1"; }
# play_ok LOG: the playbook ended without a failed or unreachable host.
play_ok() { grep -q 'PLAY RECAP' "$1" && ! grep -E '^\S+ +: ' "$1" | grep -qE 'failed=[1-9]|unreachable=[1-9]'; }
show_tail() { tail -30 "$1" | sed 's/^/    /'; }
run_play() {
  local what=$1 log=$2
  shift 2
  if play "$log" "$@" && play_ok "$work/$log"; then pass "$what"; else fail "$what"; show_tail "$work/$log"; exit 1; fi
}
expect_refusal() {
  local what=$1 log=$2 pattern=$3
  shift 3
  if ! play "$log" "$@" && grep -q -- "$pattern" "$work/$log"; then pass "$what"; else fail "$what"; show_tail "$work/$log"; fi
}
expect_changed() {
  local what=$1 log=$2 host=$3 want=$4 got
  got=$(changed "$work/$log" "$host" || echo none)
  if [[ $want == some && $got =~ ^[0-9]+$ && $got -gt 0 ]] || [[ $got == "$want" ]]; then
    pass "$what (changed=$got)"
  else
    fail "$what (changed=$got, expected $want)"
    grep -E '^(changed|TASK)' "$work/$log" | grep -B1 '^changed' | sed 's/^/    /' | tail -20
  fi
}

# --- 1. lint ------------------------------------------------------------------------
# From inside the repository: ansible-lint skips files outside its project directory.
must "ansible-lint --profile production" in_background "$repo/ansible" ansible-lint --offline --profile production --nocolor
for playbook in site provision deploy destroy; do
  check "syntax of $playbook.yml" in_ansible ansible-playbook --syntax-check "$playbook.yml"
done

# --- 2. the Debian packages -------------------------------------------------------------
must "tools/build-deb.sh builds the packages (debian/changelog at CMake's version)" \
  in_background "$repo" tools/build-deb.sh "$debs"
packages=("$debs"/charla-broker_*.deb "$debs"/charla_*.deb)
check "lintian: no errors and no warnings on ${packages[*]##*/}" lintian --fail-on error,warning "${packages[@]}"
# Linted, but not installed in the container below, whose checks are the two packages'.
web_package=("$debs"/charla-web_*.deb)
check "lintian: no errors and no warnings on ${web_package[*]##*/}" lintian --fail-on error,warning "${web_package[@]}"

# --- 3. the packages in a clean Debian 12 container -------------------------------------
in_background "$here" ./rootfs.sh >"$work/rootfs.path" || { fail "a root filesystem"; exit 1; }
rootfs=$(cat "$work/rootfs.path")
pass "root filesystem $rootfs"
source "$here/package.sh"
test_packages

# --- 4. a fake EC2 --------------------------------------------------------------------
MOTO_AMIS_PATH=$here/moto-amis.json moto_server -H 127.0.0.1 -p "$moto_port" </dev/null >"$work/moto.log" 2>&1 &
moto_pid=$!
# werkzeug prints this once moto's socket is listening.
must "moto answers on 127.0.0.1:$moto_port" until_line 30 "$work/moto.log" "Running on http://127.0.0.1:$moto_port"
moto() { "$here/moto_check.py" "http://127.0.0.1:$moto_port" "$name" "$@"; }

expect_refusal "provisioning refuses a custom endpoint without an SSH override" refuse-endpoint.log \
  "is not AWS" provision.yml -e charla_ec2_ssh_host_override=
expect_refusal "provisioning refuses SSH from 0.0.0.0/0" refuse-ssh.log \
  "whole internet" provision.yml -e charla_ec2_ssh_cidr=0.0.0.0/0
check "the refusals created nothing" moto empty

# --- 5. the host: a booted Debian 12 container -----------------------------------------
container_root "$work"
install -m 0600 -o "$(stat -c %u "$work/root/home/deploy")" -g "$(stat -c %g "$work/root/home/deploy")" \
  "$work/id_ed25519.pub" "$work/root/home/deploy/.ssh/authorized_keys"
cat >"$work/root/etc/ssh/sshd_config.d/charla-test.conf" <<EOF
Port $ssh_port
ListenAddress 127.0.0.1
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin no
UseDNS no
EOF
boot_container "$work" charla-deploy-test
ssh_opts=(-n -i "$work/id_ed25519" -p "$ssh_port" -o BatchMode=yes -o IdentitiesOnly=yes -o ConnectTimeout=5
  -o UserKnownHostsFile="$known_hosts" -o StrictHostKeyChecking=accept-new -o LogLevel=ERROR)
ssh_to() { ssh "${ssh_opts[@]}" deploy@127.0.0.1 "$@"; }
# Until sshd listens, ssh retries the refused connection itself (ConnectionAttempts, a
# second apart); systemctl --wait then returns when the boot has finished.
must "the container boots and its sshd answers" \
  timeout 90 ssh "${ssh_opts[@]}" -o ConnectionAttempts=90 deploy@127.0.0.1 true
system_up() {
  timeout 60 ssh "${ssh_opts[@]}" deploy@127.0.0.1 systemctl is-system-running --wait | grep -qE '^(running|degraded)$'
}
must "the container's systemd is up" system_up

# --- 6. site.yml: provision (moto) and configure (container) -----------------------------
run_play "site.yml: provision and configure" site-1.log site.yml
expect_changed "site.yml created the instance" site-1.log localhost some
expect_changed "site.yml configured the host" site-1.log "$name" some
# Debian's own account, Debian 12, amd64: the fixture's distractors (arm64, backports,
# Debian 11, another owner, Ubuntu) are all newer.
newest=$(/usr/bin/python3 -c '
import json, sys
amis = [a for a in json.load(open(sys.argv[1])) if a["owner_id"] == "136693071363" and a["architecture"] == "x86_64"
        and a["name"].startswith("debian-12-amd64-")]
print(max(amis, key=lambda a: a["creation_date"])["ami_id"])' "$here/moto-amis.json")
check "one tagged t3.micro from the newest official Debian 12 amd64 image, its root volume at the image's root device, with its key pair and security group" \
  moto provisioned "$newest" 203.0.113.0/24 "$broker_port" "$pub_port"

# --- 7. the deployed service -----------------------------------------------------------
unit="charla-broker"
active=$(ssh_to systemctl is-active "$unit" || true)
check "the unit is active" test "$active" = active
check "the package the controller built is installed, and nothing was compiled on the host (no g++, no cmake)" \
  ssh_to "dpkg-query -W charla-broker && ! command -v g++ && ! command -v cmake"
pid=$(ssh_to systemctl show -p MainPID --value "$unit" || true)
uid=$(ssh_to ps -o uid= -p "$pid" || true)
check "the broker runs as the unit's dynamic user (uid ${uid// /}), not root and not in /etc/passwd" \
  dynamic_user "${uid// /}" "$(ssh_to systemctl show -p DynamicUser --value "$unit" || true)" \
  "$(ssh_to cat /etc/passwd || true)"
status=$(ssh_to sudo cat "/proc/$pid/status" || true)
powerless() {
  grep -qE '^CapEff:\s+0+$' <<<"$status" && grep -qE '^CapPrm:\s+0+$' <<<"$status" &&
    grep -qE '^CapBnd:\s+0+$' <<<"$status" && grep -qE '^NoNewPrivs:\s+1$' <<<"$status"
}
check "the broker has no capabilities (CapEff, CapPrm, CapBnd 0) and no way to gain any" powerless
check "systemd-analyze verify accepts the unit with the play's drop-in" ssh_to sudo systemd-analyze verify "$unit.service"
# systemd-analyze prints the exposure from 0.0 to 10.0 but takes --threshold in tenths
# (a whole number from 0 to 100): "3 or lower" is --threshold=30. The running unit, with
# the play's drop-in.
security=$(ssh_to sudo systemd-analyze security --no-pager --threshold=30 "$unit.service" 2>&1) &&
  threshold_ok=yes || threshold_ok=no
exposure=$(sed -n 's/.*Overall exposure level for .*: \([0-9.]*\) .*/\1/p' <<<"$security")
check "systemd-analyze security --threshold=30 passes" test "$threshold_ok" = yes
check "the unit's exposure is 3.0 or lower (it is ${exposure:-unknown})" awk -v e="${exposure:-99}" 'BEGIN { exit !(e <= 3.0) }'
port_open() { /usr/bin/python3 -c "import socket, sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 2).close()" "$1"; }
check "the broker's ROUTER port $broker_port accepts connections" port_open "$broker_port"
check "the broker's PUB port $pub_port accepts connections" port_open "$pub_port"
if [[ $curve == 1 ]]; then
  key=$work/local/$name/broker.public
  check "the broker's public key came to the controller (40 Z85 characters)" grep -qE '^.{40}$' "$key"
  secret=$(ssh_to "sudo stat -c '%U %a' /etc/charla/curve/broker.secret" || true)
  check "the secret key is on the host, for root only" test "$secret" = "root 600"
  check "no secret key on the controller" test -z "$(find "$work/local" -name '*secret*')"
fi

# --- 8. real clients on this machine against the deployed broker -------------------------
source "$here/clients.sh"
talk_to_broker

# --- 9. idempotence ----------------------------------------------------------------------
# Pinning an older image too: an existing instance must be kept whatever image is current.
older=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))[0]["ami_id"])' "$here/moto-amis.json")
run_play "site.yml again" site-2.log site.yml -e "charla_ec2_image_id=$older"
expect_changed "a second provisioning changes nothing" site-2.log localhost 0
expect_changed "a second configuration changes nothing" site-2.log "$name" 0
check "still one instance" moto provisioned "$newest" 203.0.113.0/24 "$broker_port" "$pub_port"
run_play "deploy.yml alone, with the inventory provisioning wrote" deploy.log deploy.yml -i "$work/local/inventory.yml"
expect_changed "deploy.yml changes nothing" deploy.log "$name" 0

# --- 10. a package rebuilt under the same version (a changed source, given by path) -------
# The same package with one more file: other bytes, the same version, as a build of an
# edited checkout gives. apt alone would keep the installed one.
rebuild_package() {
  mkdir -p "$work/rebuilt" && dpkg-deb --raw-extract "${packages[0]}" "$work/rebuilt/tree" &&
    echo "rebuilt by the deploy test" >"$work/rebuilt/tree/usr/share/doc/charla-broker/rebuilt" &&
    dpkg-deb --root-owner-group --build "$work/rebuilt/tree" "$work/rebuilt/${packages[0]##*/}"
}
must "a package rebuilt under the same version" rebuild_package
main_pid() { ssh_to systemctl show -p MainPID --value "$unit" || true; }
pid=$(main_pid)
run_play "deploy.yml with it (charla_broker_deb)" rebuilt.log deploy.yml -i "$work/local/inventory.yml" \
  -e "charla_broker_deb=$work/rebuilt/${packages[0]##*/}"
check "it is installed over the installed one of the same version" ssh_to test -f /usr/share/doc/charla-broker/rebuilt
check "the broker restarted on it" test "$(main_pid)" != "$pid" -a "$(ssh_to systemctl is-active "$unit" || true)" = active

# --- 10b. the browser client's gateway beside the broker (charla_web_enabled) ---------------
read -r web_port <<<"$(free_ports 1)"
web_args=(-i "$work/local/inventory.yml" -e charla_web_enabled=true -e "charla_web_port=$web_port"
  -e charla_web_listen=127.0.0.1)
run_play "deploy.yml with charla_web_enabled (a self-signed certificate made on the host)" web-1.log \
  deploy.yml "${web_args[@]}"
check "charla-web's unit is active" test "$(ssh_to systemctl is-active charla-web || true)" = active
# The page over HTTPS (the certificate is self-signed: not verified here), within 30 s.
web_page() {
  /usr/bin/python3 - "$web_port" <<'PY'
import ssl, sys, time, urllib.request
ctx = ssl.create_default_context()
ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
deadline = time.monotonic() + 30
while True:
    try:
        with urllib.request.urlopen("https://127.0.0.1:%s/" % sys.argv[1], context=ctx, timeout=5) as r:
            sys.exit(0 if r.status == 200 and b"<html" in r.read().lower() else 1)
    except OSError:
        if time.monotonic() > deadline:
            raise
        time.sleep(0.5)
PY
}
check "charla-web serves the page over HTTPS on 127.0.0.1:$web_port" web_page
check "systemd-analyze security --threshold=30 passes for charla-web" \
  ssh_to sudo systemd-analyze security --no-pager --threshold=30 charla-web.service
run_play "deploy.yml with charla-web again" web-2.log deploy.yml "${web_args[@]}"
expect_changed "a second deploy with charla-web changes nothing" web-2.log "$name" 0

# --- 11. an allow-list of client keys ----------------------------------------------------
if [[ $curve == 1 ]]; then
  mkdir -p "$work/allowed"
  cp "$work/clients/alice-config/charla/client.pub" "$work/allowed/alice.pub"
  run_play "deploy.yml allowing only alice's key" allow.log deploy.yml -i "$work/local/inventory.yml" \
    -e "charla_broker_client_keys_dir=$work/allowed"
  expect_changed "the allow-list is installed" allow.log "$name" some
  check_allow_list
fi

# --- 12. destroy ----------------------------------------------------------------------
run_play "destroy.yml" destroy-1.log destroy.yml
check "nothing of the deployment is left in EC2" moto empty
run_play "destroy.yml again" destroy-2.log destroy.yml
expect_changed "a second destroy changes nothing" destroy-2.log localhost 0
