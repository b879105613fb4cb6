# shellcheck shell=bash disable=SC2154  # variables are run.sh's
# Sourced by run.sh: the two packages in a clean Debian 12 container, installed the way
# the README says (apt-get install ./charla-broker_….deb ./charla_….deb). Uses run.sh's
# work, packages, client_pids, nspawn_pids, check, must, until_line, container_root,
# boot_container, stop_container and dynamic_user.
#
# The booted container has a network of its own (loopback only): the broker the package
# starts on 127.0.0.1:8082 is alone there, whatever this machine runs. apt fetches the
# dependencies from the Debian mirror before the boot, in the same root file system on
# this machine's network, and installs them after it.

clean=$work/clean
inbox=/var/tmp/charla-debs

# in_clean_root COMMAND...: COMMAND in the clean root file system before it boots.
in_clean_root() {
  systemd-nspawn -q -D "$clean/root" --register=no --keep-unit --resolv-conf=off --timezone=off --pipe \
    /usr/bin/env DEBIAN_FRONTEND=noninteractive "$@" </dev/null
}
# in_clean COMMAND...: COMMAND as root in the booted clean container, in all its namespaces.
in_clean() {
  nsenter --target "$clean_leader" --all --root --wd /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}
has_libzmq() { "$@" dpkg-query -W -f='${db:Status-Status}\n' libzmq5 2>/dev/null | grep -qx installed; }
lacks_libzmq() { ! has_libzmq in_clean_root; }

# Boots the clean container; sets clean_pid and clean_leader (its init's PID). With
# --notify-ready, systemd-nspawn tells $NOTIFY_SOCKET the leader's PID at once
# (X_NSPAWN_LEADER_PID=) and READY=1 when the container's systemd has booted.
boot_clean() {
  /usr/bin/python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(60)
with open(sys.argv[2], "w") as log:
    print("listening", file=log, flush=True)
    while True:
        message = s.recv(4096).decode()
        print(message, file=log, flush=True)
        if "READY=1" in message.split("\n"):
            break
' "$clean/notify" "$clean/notify.log" 2>/dev/null &
  client_pids+=($!)
  until_line 10 "$clean/notify.log" '^listening$' || return 1
  NOTIFY_SOCKET=$clean/notify boot_container "$clean" charla-deploy-clean --private-network --notify-ready=yes
  clean_pid=${nspawn_pids[-1]}
  until_line 90 "$clean/notify.log" '^READY=1$' || { echo "no READY=1 from systemd-nspawn"; return 1; }
  clean_leader=$(sed -n 's/^X_NSPAWN_LEADER_PID=//p' "$clean/notify.log")
  local state
  state=$(in_clean systemctl is-system-running)
  echo "the clean container's systemd is $state"
  [[ $state == running || $state == degraded ]]
}

# chats: a real client, in the container, joins, asks who is online and leaves.
chats() {
  local out
  out=$(printf 'hola\n/usuarios\n' | in_clean timeout 30 charla ana 127.0.0.1 2>&1) || { echo "$out"; return 1; }
  echo "$out"
  grep -q '(charla-broker .*)' <<<"$out" && grep -q ': ana \[ACTIVO\]$' <<<"$out"
}
# listens_on_loopback: the sockets listening on ports 8082 and 8083 are 127.0.0.1's only.
listens_on_loopback() {
  local got
  got=$(in_clean python3 -c '
import ipaddress
found = set()
for line in open("/proc/net/tcp").readlines()[1:]:
    local, state = line.split()[1], line.split()[3]
    address, port = local.split(":")
    if state == "0A" and int(port, 16) in (8082, 8083):
        found.add(f"{ipaddress.IPv4Address(bytes.fromhex(address)[::-1])}:{int(port, 16)}")
print(" ".join(sorted(found)))')
  echo "listening: ${got:-nothing}"
  [[ $got == "127.0.0.1:8082 127.0.0.1:8083" ]]
}
broker_uid() { in_clean sh -c 'awk "/^Uid:/ { print \$2 }" /proc/$(systemctl show -p MainPID --value charla-broker)/status'; }
man_page() {
  local page
  in_clean man -w charla-broker charla-keygen charla charla-monitor || return 1
  page=$(in_clean sh -c 'MANWIDTH=80 man charla-broker')
  grep -q 'charla-broker - servidor de chat' <<<"$page" && grep -q '/etc/charla/charla-broker.conf' <<<"$page" &&
    grep -q 'difusión y presencia' <<<"$page"
}
stopped() { ! in_clean systemctl is-active charla-broker && ! listens_on_loopback; }
# no_leftovers: nothing of the packages is left; prints what is, one line each.
no_leftovers() {
  local left
  left=$(in_clean sh -c '
    for f in /lib/systemd/system/charla-broker.service /etc/systemd/system/multi-user.target.wants/charla-broker.service \
      /etc/systemd/system/charla-broker.service.d /etc/charla /var/lib/charla /var/lib/private/charla /usr/bin/charla-broker; do
      if [ -e "$f" ] || [ -L "$f" ]; then echo "left: $f"; fi
    done
    getent passwd charla && echo "left: user charla"
    getent group charla && echo "left: group charla"
    systemctl list-unit-files --no-legend charla-broker.service | grep . && echo "left: unit charla-broker"
    dpkg-query -W -f="\${db:Status-Abbrev} \${Package}\n" charla-broker charla 2>/dev/null | grep -v "^[up]n " | sed "s/^/left: package /"
    true')
  echo "$left"
  [[ -z $left ]]
}

test_packages() {
  container_root "$clean"
  mkdir -p "$clean/root$inbox"
  cp "${packages[@]}" "$clean/root$inbox/"
  local files=("${packages[@]##*/}")
  files=("${files[@]/#/$inbox/}")

  check "the clean container lacks the packages' libraries (no libzmq5)" lacks_libzmq
  must "apt-get update in the clean container: its apt sources reach the Debian mirror" in_clean_root apt-get update
  must "apt fetches every dependency of the two packages from the mirror" \
    in_clean_root apt-get install --download-only --yes "${files[@]}"
  must "the clean container boots, with a network of its own" boot_clean

  must "apt-get install ./charla-broker_….deb ./charla_….deb installs them and their dependencies" \
    in_clean apt-get install --yes "${files[@]}"
  check "libzmq5 came with them" has_libzmq in_clean
  check "installing started the broker" in_clean systemctl is-active charla-broker
  local uid
  uid=$(broker_uid || true)
  check "the broker runs as the unit's dynamic user (uid $uid), not root and not in /etc/passwd" \
    dynamic_user "$uid" "$(in_clean systemctl show -p DynamicUser --value charla-broker || true)" \
    "$(in_clean cat /etc/passwd || true)"
  check "a real client (the installed charla) joins, and the broker answers its /usuarios" chats
  check "the broker listens on 127.0.0.1 only, ports 8082 and 8083" listens_on_loopback
  check "man charla-broker shows its page, accents and all (and every program has one)" man_page

  must "apt-get remove charla-broker" in_clean apt-get remove --yes charla-broker
  check "removing stopped the broker" stopped
  must "apt-get purge charla-broker charla" in_clean apt-get purge --yes charla-broker charla
  check "purging left no unit, user, state or configuration" no_leftovers
  stop_container "$clean_pid"
}
