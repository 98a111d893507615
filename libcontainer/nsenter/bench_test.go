package nsenter

import (
	"testing"

	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/initplan"
)

// defaultPlan is roughly what the planner makes of `runc spec`'s config:
// 6 mounts, 6 devices, 5 symlinks, pivot_root, read-only root, 5 read-only
// and 10 masked paths, credentials, /bin/true.
func defaultPlan(rootfs string) plan {
	ro := uintptr(unix.MS_NOSUID | unix.MS_NOEXEC | unix.MS_NODEV)
	p := newPlan()
	p.op(initplan.OpPrepareRoot, initplan.S(rootfs), initplan.I(0))
	p.mount("proc", "/proc", "proc", ro, "", 0)
	p.mount("tmpfs", "/dev", "tmpfs", unix.MS_NOSUID|unix.MS_STRICTATIME, "mode=755,size=65536k", 0)
	p.mount("devpts", "/dev/pts", "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620,gid=5", 0)
	p.mount("shm", "/dev/shm", "tmpfs", ro, "mode=1777,size=65536k", 0)
	p.mount("mqueue", "/dev/mqueue", "mqueue", ro, "", 0)
	p.mount("sysfs", "/sys", "sysfs", ro|unix.MS_RDONLY, "", 0)
	for i, d := range []string{"null", "zero", "full", "random", "urandom", "tty"} {
		minor := []uint32{3, 5, 7, 8, 9, 0}[i]
		major := uint32(1)
		if d == "tty" {
			major = 5
		}
		p.op(initplan.OpMknod, initplan.S("/dev/"+d), initplan.U(unix.S_IFCHR|0o666),
			initplan.U(unix.Mkdev(major, minor)), initplan.I(0), initplan.I(0))
	}
	p.op(initplan.OpSymlink, initplan.S("pts/ptmx"), initplan.S("/dev/ptmx"))
	for _, l := range [][2]string{{"/proc/self/fd", "/dev/fd"}, {"/proc/self/fd/0", "/dev/stdin"},
		{"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"}} {
		p.op(initplan.OpSymlink, initplan.S(l[0]), initplan.S(l[1]))
	}
	p.op(initplan.OpPivotRoot)
	p.op(initplan.OpRemount, initplan.S("/"), initplan.U(unix.MS_RDONLY))
	p.op(initplan.OpHostname, initplan.S("runc"))
	for _, r := range []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"} {
		p.op(initplan.OpReadonly, initplan.S(r))
	}
	for _, m := range []string{"/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
		"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"} {
		p.op(initplan.OpMask, initplan.S(m))
	}
	p.op(initplan.OpKeyring, initplan.S("_ses.bench"))
	p.op(initplan.OpNoNewPrivs)
	p.op(initplan.OpCloseFds, initplan.I(3))
	const caps = 0xa80425fb
	p.op(initplan.OpCapBounding, initplan.U(caps))
	p.op(initplan.OpUser, initplan.I(0), initplan.I(0), initplan.U32s(nil), initplan.I(1))
	p.op(initplan.OpCaps, initplan.U(caps), initplan.U(caps), initplan.I(0), initplan.U(caps))
	p.op(initplan.OpUmask, initplan.I(0o22))
	p.op(initplan.OpChdir, initplan.S("/"))
	return p.exec([]string{"true"}, "/bin")
}

// benchInit runs an init b.N times and reports the CPU time of the
// children (tick-based: use many iterations). On this machine kind, perf
// shows the init's own C code at a few tens of µs per start: the rest is
// the kernel's work and the loading of the binaries.
func benchInit(b *testing.B, flags uintptr, mk func() []byte) {
	var before, after unix.Rusage
	unix.Getrusage(unix.RUSAGE_CHILDREN, &before)
	for i := 0; i < b.N; i++ {
		if r := run(b, job{flags: flags, plan: mk()}); r.err != nil {
			b.Fatal(r.err)
		}
	}
	unix.Getrusage(unix.RUSAGE_CHILDREN, &after)
	n := float64(b.N)
	b.ReportMetric(float64(after.Utime.Nano()-before.Utime.Nano())/n/1e3, "user-µs/op")
	b.ReportMetric(float64(after.Stime.Nano()-before.Stime.Nano())/n/1e3, "sys-µs/op")
}

// BenchmarkInitTrue: the re-exec of the binary and the exec of /bin/true, no set-up.
func BenchmarkInitTrue(b *testing.B) {
	if unix.Geteuid() != 0 {
		b.Skip("needs root")
	}
	p := newPlan().exec([]string{"true"}, "/bin")
	buf, _ := p.Bytes()
	benchInit(b, 0, func() []byte { return buf })
}

// BenchmarkInitDefault: the default config's set-up (compare with BenchmarkInitTrue).
func BenchmarkInitDefault(b *testing.B) {
	if unix.Geteuid() != 0 {
		b.Skip("needs root")
	}
	rootfs := newRootfs(b)
	buf, _ := defaultPlan(rootfs).Bytes()
	benchInit(b, nsFlags|unix.CLONE_NEWNET, func() []byte { return buf })
}
