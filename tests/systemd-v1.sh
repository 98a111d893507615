#!/usr/bin/env bash
# systemd-v1.sh 'COMMAND' -- run COMMAND as root under systemd (252, the
# host's /lib/systemd/systemd) as PID 1 of a fresh set of namespaces on THIS
# host, which must be cgroup v1 (hybrid or legacy): the systemd driver's v1
# lane. The VM harness (../shared/cgv2-vm) cannot give a v1 guest: its
# kernel command line always has cgroup_no_v1=all, which no later argument
# can undo (the kernel only ORs such masks), so a guest has no v1
# controller at all.
#
# What it does:
#   * cgroups: a directory husk-sdv1-<pid> below this shell's own cgroup in
#     every v1 hierarchy and the cgroup2 one (nothing else on the host is
#     touched); a new cgroup namespace rooted there, where systemd's slices
#     and the containers' scopes are made
#   * root: the host's / with a tmpfs overlay (writes are discarded), the
#     current directory bound read-write at the same path; new mount, pid,
#     uts, ipc and network namespaces; /sys read-only, /dev the host's
#   * systemd boots as in a container (container=husk-sdv1) to a target of
#     dbus and a Delegate=yes service running COMMAND; every generator and
#     every unit that could act on the host (sysctl, modules, fstab,
#     swap, udev, tmpfiles, apparmor, ...) is masked
# Exit code: COMMAND's (125: the harness failed). Output: COMMAND's.
set -euo pipefail

[ $# -ge 1 ] || { echo "usage: $0 'COMMAND'" >&2; exit 125; }
[ "$(id -u)" = 0 ] || { echo "systemd-v1: must run as root" >&2; exit 125; }
CMD="$*"
TIMEOUT=${SDV1_TIMEOUT:-900}
if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
	echo "systemd-v1: this host is pure cgroup v2; nothing to do" >&2
	exit 125
fi
[ -x /lib/systemd/systemd ] || { echo "systemd-v1: no /lib/systemd/systemd" >&2; exit 125; }
grep -q ' - cgroup cgroup .*name=systemd' /proc/self/mountinfo || { echo "systemd-v1: no name=systemd hierarchy on this host" >&2; exit 125; }

CWD=$(pwd -P)
W=$(mktemp -d /tmp/husk-sdv1.XXXXXX)
NAME=husk-sdv1-$$

# ------------------------------------------------------------ cgroups
# mountpoint|fstype|options of every cgroup mount, and this shell's cgroups
declare -a CG_DIRS=() CG_HOME=()
while read -r mp fstype opts; do
	own=
	if [ "$fstype" = cgroup2 ]; then
		own=$(awk -F: '$1=="0"{print $3}' /proc/self/cgroup)
	else
		for o in ${opts//,/ }; do
			case $o in rw|ro|relatime|nosuid|nodev|noexec|xattr|clone_children) continue;; esac
			own=$(awk -F: -v c="$o" '{n=split($2,a,","); for(i=1;i<=n;i++) if(a[i]==c) print $3}' /proc/self/cgroup)
			[ -n "$own" ] && break
		done
	fi
	[ -n "$own" ] || continue
	CG_HOME+=("$mp${own%/}")
	CG_DIRS+=("$mp${own%/}/$NAME")
done < <(awk '{for(i=1;i<=NF;i++) if($i=="-"){ if($(i+1)=="cgroup"||$(i+1)=="cgroup2") print $5, $(i+1), $(i+3); break}}' /proc/self/mountinfo)

cleanup() {
	set +e
	# go home, then kill the processes left in our cgroups (all ours)
	for i in "${!CG_DIRS[@]}"; do
		echo $$ > "${CG_HOME[$i]}/cgroup.procs" 2>/dev/null
	done
	local pids
	pids=$(for d in "${CG_DIRS[@]}"; do find "$d" -name cgroup.procs -exec cat {} + 2>/dev/null; done | sort -u)
	[ -n "$pids" ] && kill -9 $pids 2>/dev/null
	sleep 0.5
	for d in "${CG_DIRS[@]}"; do
		[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
		[ -d "$d" ] && echo "systemd-v1: could not remove $d" >&2
	done
	rm -rf "$W"
}
trap cleanup EXIT
for i in "${!CG_DIRS[@]}"; do
	d=${CG_DIRS[$i]}
	mkdir -p "$d"
	if [ -f "$d/cpuset.cpus" ]; then
		cat "${CG_HOME[$i]}/cpuset.cpus" > "$d/cpuset.cpus"
		cat "${CG_HOME[$i]}/cpuset.mems" > "$d/cpuset.mems"
	fi
	echo $$ > "$d/cgroup.procs"
done

# ------------------------------------------------------------ the root
R=$W/root
mkdir -p "$R" "$W/t"
cat > "$W/cmd" <<EOF
cd $(printf %q "$CWD") || exit 125
export HOME=/root PATH=/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
$CMD
EOF

cat > "$W/stage2" <<'EOF'
#!/bin/bash
# PID 1 of the new namespaces, in the new cgroup namespace: build the
# root and exec systemd there.
set -e
W=$1 CWD=$2 R=$W/root
mount --make-rprivate /
mount -t tmpfs -o mode=755 tmpfs "$W/t"
mkdir -p "$W/t/u" "$W/t/w"
mount -t overlay -o "lowerdir=/,upperdir=$W/t/u,workdir=$W/t/w" overlay "$R"
mount -t proc proc "$R/proc"
mount -t sysfs -o ro,nosuid,nodev,noexec sysfs "$R/sys"
mount --rbind /dev "$R/dev"
mount -t tmpfs -o mode=755,nosuid,nodev,noexec tmpfs "$R/sys/fs/cgroup"
while read -r mp fstype opts; do
	name=${mp##*/}
	[ "$mp" = /sys/fs/cgroup ] && continue
	mkdir -p "$R/sys/fs/cgroup/$name"
	if [ "$fstype" = cgroup2 ]; then
		mount -t cgroup2 -o nosuid,nodev,noexec cgroup2 "$R/sys/fs/cgroup/$name"
	else
		o=$(echo "$opts" | tr , '\n' | grep -vE '^(rw|ro|relatime|nosuid|nodev|noexec|clone_children)$' | paste -sd,)
		case $o in name=*) o=none,$o;; esac
		mount -t cgroup -o "nosuid,nodev,noexec,$o" cgroup "$R/sys/fs/cgroup/$name"
	fi
done < <(awk '{for(i=1;i<=NF;i++) if($i=="-"){ if($(i+1)=="cgroup"||$(i+1)=="cgroup2") print $5, $(i+1), $(i+3); break}}' /proc/self/mountinfo)
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$R/tmp"
mkdir -p "$R$W" "$R$CWD"
mount --bind "$W" "$R$W"
mount --bind "$CWD" "$R$CWD"
rm -f "$R/.dockerenv" "$R/run/.containerenv"
u=$R/etc/systemd/system
mkdir -p "$u" "$R/etc/systemd/system-generators"
for g in /lib/systemd/system-generators/* /usr/lib/systemd/system-generators/* /etc/systemd/system-generators/*; do
	[ -e "$g" ] && ln -sf /dev/null "$R/etc/systemd/system-generators/${g##*/}"
done
cat > "$u/sdv1.target" <<UNIT
[Unit]
Description=husk systemd v1 lane
Requires=sdv1-run.service
AllowIsolate=yes
UNIT
cat > "$u/sdv1-run.service" <<UNIT
[Unit]
After=dbus.socket dbus.service systemd-journald.service
Wants=dbus.socket dbus.service
[Service]
Type=exec
Delegate=yes
ExecStart=/bin/bash -c 'bash $W/cmd > $W/out 2>&1; echo \$? > $W/rc; systemctl poweroff --force'
StandardInput=null
UNIT
for x in $(ls /lib/systemd/system/sysinit.target.wants /etc/systemd/system/sysinit.target.wants 2>/dev/null | grep -v -e : -e '^$' -e systemd-journald.service) \
	systemd-udevd.service systemd-udev-trigger.service systemd-udev-settle.service systemd-udevd-control.socket systemd-udevd-kernel.socket \
	systemd-remount-fs.service systemd-logind.service getty.target timers.target swap.target local-fs.target remote-fs.target \
	cryptsetup.target network.target apparmor.service systemd-networkd.service systemd-resolved.service systemd-timesyncd.service \
	systemd-hwdb-update.service ldconfig.service systemd-journal-catalog-update.service systemd-update-done.service \
	postgresql.service console-getty.service systemd-oomd.service; do
	ln -sf /dev/null "$u/$x"
done
cd "$R"
mkdir -p .oldroot
pivot_root . .oldroot
exec /usr/sbin/chroot . /bin/sh -c 'umount -l /.oldroot; rmdir /.oldroot 2>/dev/null; exec env -i container=husk-sdv1 /lib/systemd/systemd --unit=sdv1.target --log-level=warning'
EOF
chmod +x "$W/stage2"

set +e
timeout -k 10 "$TIMEOUT" unshare --mount --pid --fork --cgroup --uts --ipc --net --propagation private \
	"$W/stage2" "$W" "$CWD" > "$W/systemd.log" 2>&1
urc=$?
set -e
[ -f "$W/out" ] && cat "$W/out"
if [ -f "$W/rc" ]; then exit "$(cat "$W/rc")"; fi
echo "systemd-v1: systemd ended without COMMAND's exit code (unshare rc $urc); its log:" >&2
tail -30 "$W/systemd.log" >&2
exit 125
