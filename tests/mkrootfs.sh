#!/usr/bin/env bash
# mkrootfs.sh DIR — a minimal busybox-static root filesystem for husk's tests and demo.
#
#   DIR/bin/busybox        the static busybox (Debian package busybox-static)
#   applet symlinks        one per applet at its canonical place (`busybox --list-full`),
#                          relative links to bin/busybox
#   /etc/passwd, /etc/group  root (0), user (1000, home /home/user), nobody (65534)
#   /root, /home/user      home directories (0700 root:root, 0755 1000:1000)
#   /proc /sys /dev /tmp   empty mount points (/tmp 1777), plus /run /var /mnt
#
# DIR must not exist or be empty. Needs: busybox-static. Root is not required
# (ownership of /home/user is only set when run as root).
set -euo pipefail

die() { echo "mkrootfs: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: mkrootfs.sh DIR"
dir=$1

bb=""
for c in /bin/busybox /usr/bin/busybox; do [ -x "$c" ] && { bb=$c; break; }; done
[ -n "$bb" ] || die "busybox not found (apt-get install busybox-static)"
# busybox-static is statically linked; the dynamic `busybox` package would not run in
# a rootfs without a libc.
if command -v file >/dev/null && ! file -L "$bb" | grep -q 'statically linked'; then
	die "$bb is not statically linked (apt-get install busybox-static)"
fi

if [ -e "$dir" ] && [ -n "$(ls -A "$dir")" ]; then
	die "$dir exists and is not empty"
fi
mkdir -p "$dir"
r=$(cd "$dir" && pwd)

mkdir -p "$r"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,tmp,root,run,var,mnt,home/user}
cp "$bb" "$r/bin/busybox"
chmod 0755 "$r/bin/busybox"

while read -r p; do
	case $p in */*) ;; *) continue ;; esac # skip top-level names (linuxrc)
	{ [ -e "$r/$p" ] || [ -L "$r/$p" ]; } && continue
	up=""
	IFS=/ read -r -a parts <<<"${p%/*}"
	for _ in "${parts[@]}"; do up+="../"; done # bin -> ../, usr/bin -> ../../
	ln -s "${up}bin/busybox" "$r/$p"
done < <("$bb" --list-full)

cat >"$r/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PW
cat >"$r/etc/group" <<'GR'
root:x:0:
wheel:x:10:user
user:x:1000:
nogroup:x:65534:
GR
printf 'hosts: files\n' >"$r/etc/nsswitch.conf"
printf '127.0.0.1 localhost\n::1 localhost\n' >"$r/etc/hosts"

chmod 1777 "$r/tmp"
chmod 0700 "$r/root"
chmod 0755 "$r/home/user"
if [ "$(id -u)" = 0 ]; then
	chown 1000:1000 "$r/home/user"
fi

[ -x "$r/bin/sh" ] || die "rootfs has no /bin/sh"
[ -x "$r/bin/true" ] || die "rootfs has no /bin/true"
echo "$r"
