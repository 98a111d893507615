#!/usr/bin/env bash
# cgv2.sh [HUSK] — the cgroup v2 lane: the cgroup library's tests and the
# integration tests about cgroups, run as root in a throw-away QEMU guest
# with pure cgroup v2 (../shared/cgv2-vm/run-in-vm.sh; this host is v1
# hybrid). Test binaries are built here, on the host (never in the guest).
#
#   CGV2_RUN=REGEX    integration tests to run (default: the cgroup ones)
#   SHARED=DIR        where shared/ is (default: ../shared beside the repository)
#   CGV2_SYSTEMD_RUN=REGEX  integration tests of the second lane, with systemd as the
#                     guest's PID 1 (default: the systemd driver's; "" skips the lane)
#   CGV2_SYSTEMD_V1_RUN=REGEX  integration tests of the third lane: systemd as PID 1
#                     of new namespaces on THIS host when it is cgroup v1
#                     (tests/systemd-v1.sh; the guest cannot be v1: its
#                     kernel command line has cgroup_no_v1=all); "" skips it
#   CGV2_SELINUX_RUN=REGEX  integration tests of the fourth lane: the guest booted
#                     with security=selinux (instead of AppArmor), Debian's
#                     refpolicy (selinux-policy-default) loaded, permissive;
#                     "" skips it
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
shared=${SHARED:-$repo/../shared}
vm=$shared/cgv2-vm/run-in-vm.sh
husk=$(realpath "${1:-$repo/husk}")
run=${CGV2_RUN:-'AppArmor|Cgroup|Pause|Update|Events|TestPs|TestLifecycle|TestExecCgroup|Devices|TestKillAll|TestDeleteForce|TestRunExitStatus'}
sdrun=${CGV2_SYSTEMD_RUN-'TestSystemd|TestLifecycle'}
serun=${CGV2_SELINUX_RUN-'TestSELinux|TestLSM'}
sdv1run=${CGV2_SYSTEMD_V1_RUN-'TestSystemd|Cgroup|Pause|Update|Events|TestPs|TestExecCgroup|TestKillAll|TestDeleteForce|TestLifecycle'}

if [ ! -x "$vm" ]; then
	echo "cgv2: $vm not found (shared/ is expected beside the repository); skipped" >&2
	exit 0
fi
[ "$(id -u)" = 0 ] || { echo "cgv2: must run as root" >&2; exit 2; }
cd "$repo"
mkdir -p bin
go test -c -o bin/fs2.test ./libcontainer/cgroups/fs2
go test -c -o bin/cgroups.test ./libcontainer/cgroups
go test -c -o bin/integration.test ./integration

echo "cgv2: pure cgroup v2 guest: cgroup library tests, then integration tests matching '$run'"
CGV2_VM_INIT=shell CGV2_VM_TIMEOUT=${CGV2_VM_TIMEOUT:-900} "$vm" "set -e
cd '$repo/libcontainer/cgroups/fs2' && '$repo/bin/fs2.test'
cd '$repo/libcontainer/cgroups' && '$repo/bin/cgroups.test'
cd '$repo/integration' && HUSK_BINARY='$husk' '$repo/bin/integration.test' -test.run '$run' -test.v 2>&1 | grep -E '^(--- |ok|FAIL|PASS|panic)|_test.go:' ; exit \${PIPESTATUS[0]}"

if [ -n "$sdrun" ]; then
	echo "cgv2: pure cgroup v2 guest with systemd as PID 1: integration tests matching '$sdrun'"
	CGV2_VM_INIT=systemd CGV2_VM_TIMEOUT=${CGV2_VM_TIMEOUT:-900} "$vm" "cd '$repo/integration' && HUSK_BINARY='$husk' '$repo/bin/integration.test' -test.run '$sdrun' -test.v 2>&1 | grep -E '^(--- |ok|FAIL|PASS|panic)|_test.go:' ; exit \${PIPESTATUS[0]}"
fi

if [ -n "$sdv1run" ] && [ "$(stat -f -c %T /sys/fs/cgroup)" != cgroup2fs ]; then
	echo "cgv2: cgroup v1 host, systemd as PID 1 of new namespaces (tests/systemd-v1.sh): integration tests matching '$sdv1run'"
	SDV1_TIMEOUT=${CGV2_VM_TIMEOUT:-900} "$here/systemd-v1.sh" "cd '$repo/integration' && HUSK_BINARY='$husk' '$repo/bin/integration.test' -test.run '$sdv1run' -test.v 2>&1 | grep -E '^(--- |ok|FAIL|PASS|panic)|_test.go:' ; exit \${PIPESTATUS[0]}"
fi

if [ -n "$serun" ]; then
	if [ ! -f /etc/selinux/default/policy/policy.33 ] || ! command -v load_policy >/dev/null; then
		echo "cgv2: SELinux lane skipped: no policy (apt-get install selinux-policy-default policycoreutils; make deps does)" >&2
	else
		echo "cgv2: guest with SELinux (security=selinux, Debian's policy, permissive): integration tests matching '$serun'"
		CGV2_VM_INIT=shell CGV2_VM_APPEND="security=selinux enforcing=0" CGV2_VM_TIMEOUT=${CGV2_VM_TIMEOUT:-900} "$vm" "set -e
mountpoint -q /sys/fs/selinux || mount -t selinuxfs selinuxfs /sys/fs/selinux
load_policy
cd '$repo/integration' && HUSK_BINARY='$husk' '$repo/bin/integration.test' -test.run '$serun' -test.v 2>&1 | grep -E '^(--- |ok|FAIL|PASS|panic)|_test.go:' ; exit \${PIPESTATUS[0]}"
	fi
fi
