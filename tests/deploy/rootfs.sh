#!/bin/bash
# Prints the path of a cached Debian 12 root filesystem for the deploy test, making it
# first if needed: debootstrap with systemd, sshd, python3, sudo and man-db, plus a
# key-only user "deploy" with passwordless sudo. None of charla's run-time libraries are
# in it: installing the package must bring them from the mirror. Per-run settings (SSH
# key, port, the packages to install) are not in it: run.sh writes those into an overlay.
#
# The cache lives in $CHARLA_DEPLOY_TEST_CACHE (default /var/cache/charla-deploy-test),
# one directory per hash of everything that goes into it; a cold build takes minutes.
set -euo pipefail

cache=${CHARLA_DEPLOY_TEST_CACHE:-/var/cache/charla-deploy-test}
mirror=${CHARLA_DEPLOY_TEST_MIRROR:-http://deb.debian.org/debian}
suite=bookworm
# Bump when the recipe below changes in a way the hash cannot see.
recipe=3

packages=$(printf '%s\n' systemd systemd-sysv dbus openssh-server python3 python3-apt sudo ca-certificates man-db |
  sort -u | paste -sd, -)

key=$(printf '%s\n' "$recipe" "$suite" "$mirror" "$packages" | sha256sum | cut -c1-16)
rootfs=$cache/rootfs-$key

mkdir -p "$cache"
exec 9>"$cache/.lock"
flock -w 1800 9 || { echo "rootfs.sh: another run holds $cache/.lock" >&2; exit 1; }

if [[ -f $rootfs/.charla-rootfs-complete ]]; then
  echo "$rootfs"
  exit 0
fi

echo "rootfs.sh: building $rootfs (debootstrap $suite, a few minutes)" >&2
started=$SECONDS
tmp=$cache/building-$key
rm -rf "$tmp"
debootstrap --variant=minbase --include="$packages" "$suite" "$tmp" "$mirror" >"$cache/debootstrap-$key.log" 2>&1 || {
  tail -20 "$cache/debootstrap-$key.log" >&2
  echo "rootfs.sh: debootstrap failed; full log in $cache/debootstrap-$key.log" >&2
  exit 1
}

in_root() { chroot "$tmp" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
in_root useradd --create-home --shell /bin/bash deploy
# "*": no password, but not locked either (sshd refuses key logins to a locked account).
in_root usermod --password '*' deploy
printf 'deploy ALL=(ALL) NOPASSWD:ALL\n' >"$tmp/etc/sudoers.d/deploy"
chmod 0440 "$tmp/etc/sudoers.d/deploy"
install -d -m 0700 -o "$(in_root id -u deploy)" -g "$(in_root id -g deploy)" "$tmp/home/deploy/.ssh"
echo charla-deploy-test >"$tmp/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tcharla-deploy-test\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$tmp/etc/hosts"
# A machine id is made at first boot of each run's copy.
: >"$tmp/etc/machine-id"
# Nothing in the container needs a console login.
in_root systemctl mask console-getty.service getty@tty1.service >/dev/null 2>&1 || true
in_root apt-get clean
touch "$tmp/.charla-rootfs-complete"
mv "$tmp" "$rootfs"

# Older recipes are of no further use.
for old in "$cache"/rootfs-* "$cache"/debootstrap-*.log; do
  [[ $old == "$rootfs" || $old == "$cache/debootstrap-$key.log" ]] || rm -rf "$old"
done
echo "rootfs.sh: built in $((SECONDS - started)) s" >&2
echo "$rootfs"
