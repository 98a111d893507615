package nsenter

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/initplan"
	"github.com/husk-runtime/husk/libcontainer/initproc"
)

// These tests need root: each runs the test binary itself as the init
// (see helpers_test.go) and checks what the payload sees.

// TestPivotRootProc: new pid, mount, uts and ipc namespaces, a proc mount,
// pivot_root: the payload is PID 1, sees its hostname and the rootfs as /,
// and gets exactly the environment of the plan.
func TestPivotRootProc(t *testing.T) {
	needRoot(t)
	rootfs := newRootfs(t)
	p := container(rootfs, nil)
	p.op(initplan.OpHostname, initplan.S("husk-test"))
	p.sh(`echo pid=$$; hostname; ls /; env; cat /proc/1/cmdline; echo`)
	out := mustRun(t, job{flags: nsFlags, plan: p.bytes(t)})
	wantLines(t, out, "pid=1\n", "husk-test\n", "bin\n", "PATH=/bin\n", "sh\x00-c\x00")
	if contains(out, "_HUSK_INITPIPE") {
		t.Errorf("the init pipe variable reached the payload: %s", out)
	}
}

// TestBindReadonly: a read-only bind mount cannot be written inside, and
// the host directory stays writable (nothing propagated back).
func TestBindReadonly(t *testing.T) {
	needRoot(t)
	rootfs := newRootfs(t)
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "f"), []byte("hello\n"), 0o644)
	p := container(rootfs, func(p plan) {
		p.mount(host, "/data", "bind", unix.MS_BIND|unix.MS_REC|unix.MS_RDONLY|unix.MS_NOSUID, "", 0)
	})
	p.sh(`cat /data/f; echo x > /data/g && echo WROTE; grep ' /data ' /proc/self/mounts`)
	out := mustRun(t, job{flags: nsFlags, plan: p.bytes(t)})
	wantLines(t, out, "hello\n", "Read-only file system", " ro,nosuid")
	if contains(out, "WROTE") || exists(filepath.Join(host, "g")) {
		t.Errorf("wrote through a read-only bind: %s", out)
	}
	if err := os.WriteFile(filepath.Join(host, "h"), nil, 0o644); err != nil {
		t.Errorf("host directory became read-only: %v", err)
	}
}

// TestTmpfs: a tmpfs with an explicit mode, one over an existing directory
// (which takes the directory's mode), and tmpcopyup (old content copied).
func TestTmpfs(t *testing.T) {
	needRoot(t)
	rootfs := newRootfs(t)
	os.Mkdir(filepath.Join(rootfs, "old"), 0o710)
	os.Chmod(filepath.Join(rootfs, "old"), 0o710)
	cu := filepath.Join(rootfs, "cu")
	os.MkdirAll(filepath.Join(cu, "sub"), 0o750)
	os.WriteFile(filepath.Join(cu, "sub", "a"), []byte("copied\n"), 0o640)
	os.Chown(filepath.Join(cu, "sub", "a"), 1000, 1001)
	os.Symlink("sub/a", filepath.Join(cu, "link"))
	p := container(rootfs, func(p plan) {
		p.mount("tmpfs", "/t", "tmpfs", unix.MS_NOSUID, "mode=1777,size=1m", 0)
		p.mount("tmpfs", "/old", "tmpfs", 0, "", 0)
		p.mount("tmpfs", "/cu", "tmpfs", unix.MS_RDONLY, "", initplan.MountOptTmpcopyup)
	})
	p.sh(`stat -c '%a %n' /t /old; cat /cu/sub/a; stat -c '%a %u:%g' /cu/sub/a; readlink /cu/link;
stat -f -c '%T' /cu; touch /cu/x || echo cu-ro`)
	out := mustRun(t, job{flags: nsFlags, plan: p.bytes(t)})
	wantLines(t, out, "1777 /t\n", "710 /old\n", "copied\n", "640 1000:1001\n", "sub/a\n", "tmpfs\n", "cu-ro\n")
}

// TestDestinationSymlinks: mount destinations whose components are
// symlinks to absolute host paths, or that climb with "..", resolve inside
// the rootfs: the host canaries are never created.
func TestDestinationSymlinks(t *testing.T) {
	needRoot(t)
	rootfs := newRootfs(t)
	hostDir := t.TempDir()
	canary := filepath.Join(hostDir, "canary")
	canary2 := filepath.Join(hostDir, "canary2")
	os.Symlink(canary, filepath.Join(rootfs, "mnt", "abs"))
	os.Symlink("../../../../../../../../"+canary2, filepath.Join(rootfs, "mnt", "rel"))
	os.Symlink("/etc", filepath.Join(rootfs, "mnt", "etc"))
	p := container(rootfs, func(p plan) {
		p.mount("tmpfs", "/mnt/abs/sub", "tmpfs", 0, "", 0)
		p.mount("tmpfs", "/mnt/rel/sub", "tmpfs", 0, "", 0)
		p.mount("tmpfs", "/mnt/etc", "tmpfs", 0, "", 0)
		p.op(initplan.OpMkdir, initplan.S("/mnt/abs/made"), initplan.I(0o700))
	})
	p.sh(`stat -f -c '%T' /etc /mnt/abs/sub /mnt/rel/sub; stat -c %a /mnt/abs/made`)
	out := mustRun(t, job{flags: nsFlags, plan: p.bytes(t)})
	wantLines(t, out, "tmpfs\ntmpfs\ntmpfs\n", "700\n")
	for _, c := range []string{canary, canary2} {
		if exists(c) {
			t.Errorf("host path %s was created", c)
		}
		if !exists(filepath.Join(rootfs, c, "sub")) {
			t.Errorf("%s/sub was not created inside the rootfs", c)
		}
	}
}

// TestProcMountOnSymlink: proc on a destination that is a symlink is refused.
func TestProcMountOnSymlink(t *testing.T) {
	needRoot(t)
	rootfs := newRootfs(t)
	os.Remove(filepath.Join(rootfs, "proc"))
	os.Symlink("/tmp", filepath.Join(rootfs, "proc"))
	p := newPlan().op(initplan.OpPrepareRoot, initplan.S(rootfs), initplan.I(0))
	p.mount("proc", "/proc", "proc", 0, "", 0).sh("true")
	mustFail(t, job{flags: nsFlags, plan: p.bytes(t)}, "mount /proc: must be mounted on ordinary directory")
}

// TestMountErrors: the mount error texts.
func TestMountErrors(t *testing.T) {
	needRoot(t)
	rootfs := newRootfs(t)
	p := newPlan().op(initplan.OpPrepareRoot, initplan.S(rootfs), initplan.I(0))
	p.mount("foo", "/mnt", "foo", 0, "", 0).sh("true")
	mustFail(t, job{flags: nsFlags, plan: p.bytes(t)}, `mount foo on /mnt: unknown filesystem type "foo"`)
	p = newPlan().op(initplan.OpPrepareRoot, initplan.S(rootfs), initplan.I(0))
	p.mount("/nonexistent-husk", "/mnt", "bind", unix.MS_BIND, "", 0).sh("true")
	mustFail(t, job{flags: nsFlags, plan: p.bytes(t)}, "mount /nonexistent-husk on /mnt (type bind): No such file or directory")
}

// TestMasks: a masked directory is empty, a masked file reads empty.
func TestMasks(t *testing.T) {
	needRoot(t)
	rootfs := newRootfs(t)
	os.MkdirAll(filepath.Join(rootfs, "secret", "dir"), 0o755)
	os.WriteFile(filepath.Join(rootfs, "secret", "dir", "x"), []byte("x"), 0o644)
	os.WriteFile(filepath.Join(rootfs, "secret", "file"), []byte("s3cr3t"), 0o644)
	os.Symlink("file", filepath.Join(rootfs, "secret", "link"))
	os.MkdirAll(filepath.Join(rootfs, "secret", "dir2"), 0o755)
	os.WriteFile(filepath.Join(rootfs, "secret", "dir2", "y"), []byte("y"), 0o644)
	p := container(rootfs, nil)
	for _, m := range []string{"/secret/dir", "/secret/link", "/secret/dir2", "/secret/missing", "/proc/kcore"} {
		p.op(initplan.OpMask, initplan.S(m))
	}
	p.sh(`ls /secret/dir /secret/dir2; cat /secret/link; echo end; touch /secret/dir/n || echo ro; cat /secret/file`)
	out := mustRun(t, job{flags: nsFlags, plan: p.bytes(t)})
	// The symlink itself is masked, not its target.
	if !strings.HasSuffix(out, "ro\ns3cr3t") || strings.Count(out, "s3cr3t") != 1 || contains(out, "x\n") || contains(out, "y\n") {
		t.Errorf("masked content visible: %q", out)
	}
	wantLines(t, out, "end\n", "ro\n")
}

// TestMaskDevNullSymlink: the container's /dev/null replaced by a symlink
// to a procfs file is refused (CVE-2025-31133); the host file is unchanged.
func TestMaskDevNullSymlink(t *testing.T) {
	needRoot(t)
	rootfs := newRootfs(t)
	before, _ := os.ReadFile("/proc/sys/kernel/core_pattern")
	os.WriteFile(filepath.Join(rootfs, "etc", "f"), nil, 0o644)
	p := newPlan().op(initplan.OpPrepareRoot, initplan.S(rootfs), initplan.I(0))
	p.mount("proc", "/proc", "proc", 0, "", 0)
	p.mount("tmpfs", "/dev", "tmpfs", 0, "", 0)
	p.op(initplan.OpSymlink, initplan.S("/proc/sys/kernel/core_pattern"), initplan.S("/dev/null"))
	p.op(initplan.OpPivotRoot)
	p.op(initplan.OpMask, initplan.S("/etc/f"))
	p.sh(`echo '|/bin/evil' > /etc/f`)
	msg := mustFail(t, job{flags: nsFlags, plan: p.bytes(t)}, "/dev/null")
	if msg != "/dev/null: not a character device 1:3" {
		t.Errorf("error %q", msg)
	}
	after, _ := os.ReadFile("/proc/sys/kernel/core_pattern")
	if !bytes.Equal(before, after) {
		t.Errorf("host core_pattern changed: %q -> %q", before, after)
	}
}

// TestReadonlyAndRemount: a read-only path and "/" remounted read-only.
func TestReadonlyAndRemount(t *testing.T) {
	needRoot(t)
	rootfs := newRootfs(t)
	os.Mkdir(filepath.Join(rootfs, "ro"), 0o755)
	p := container(rootfs, func(p plan) {
		p.mount("tmpfs", "/tmp", "tmpfs", 0, "", 0)
	})
	p.op(initplan.OpReadonly, initplan.S("/ro"))
	p.op(initplan.OpReadonly, initplan.S("/missing"))
	p.op(initplan.OpReadonly, initplan.S("/proc/sys"))
	p.op(initplan.OpRemount, initplan.S("/"), initplan.U(unix.MS_RDONLY))
	p.sh(`touch /ro/x || echo ro-ok; touch /x || echo root-ok; touch /tmp/x && echo tmp-rw;
echo h > /proc/sys/kernel/hostname || echo sys-ok`)
	out := mustRun(t, job{flags: nsFlags, plan: p.bytes(t)})
	wantLines(t, out, "ro-ok\n", "root-ok\n", "tmp-rw\n", "sys-ok\n")
}

// TestSysctl writes namespaced sysctls (dots and slashes) and refuses a
// write redirected by a mount over /proc/sys.
func TestSysctl(t *testing.T) {
	needRoot(t)
	rootfs := newRootfs(t)
	p := container(rootfs, nil)
	p.op(initplan.OpSysctl, initplan.S("kernel.domainname"), initplan.S("husk.example"))
	p.op(initplan.OpSysctl, initplan.S("net/ipv4/ip_forward"), initplan.S("1"))
	p.sh(`cat /proc/sys/kernel/domainname /proc/sys/net/ipv4/ip_forward`)
	out := mustRun(t, job{flags: nsFlags | unix.CLONE_NEWNET, plan: p.bytes(t)})
	wantLines(t, out, "husk.example\n1\n")

	p = container(rootfs, func(p plan) {
		p.mount("tmpfs", "/proc/sys/net", "tmpfs", 0, "", 0)
	})
	p.op(initplan.OpSysctl, initplan.S("net.ipv4.ip_forward"), initplan.S("1"))
	p.sh("true")
	mustFail(t, job{flags: nsFlags | unix.CLONE_NEWNET, plan: p.bytes(t)}, "write sysctl net.ipv4.ip_forward: ")
}

// TestMknod: device nodes with exact mode and owner, replacing a file.
func TestMknod(t *testing.T) {
	needRoot(t)
	rootfs := newRootfs(t)
	p := container(rootfs, func(p plan) {
		p.op(initplan.OpMknod, initplan.S("/dev/zero"), initplan.U(unix.S_IFCHR|0o640),
			initplan.U(unix.Mkdev(1, 5)), initplan.I(1000), initplan.I(1001))
		p.op(initplan.OpMknod, initplan.S("/dev/sub/fifo"), initplan.U(unix.S_IFIFO|0o600),
			initplan.I(0), initplan.I(0), initplan.I(0))
		p.op(initplan.OpMknod, initplan.S("/etc/f"), initplan.U(unix.S_IFCHR|0o666),
			initplan.U(unix.Mkdev(1, 7)), initplan.I(0), initplan.I(0))
		p.op(initplan.OpSymlink, initplan.S("/proc/self/fd"), initplan.S("/dev/fd"))
	})
	os.WriteFile(filepath.Join(rootfs, "etc", "f"), []byte("old"), 0o644)
	p.op(initplan.OpUmask, initplan.I(0o077))
	p.sh(`stat -c '%t:%T %a %u:%g %F' /dev/zero /dev/null /etc/f; stat -c '%a %F' /dev/sub/fifo; readlink /dev/fd`)
	out := mustRun(t, job{flags: nsFlags, plan: p.bytes(t)})
	wantLines(t, out, "1:5 640 1000:1001 character special file\n", "1:3 666 0:0 character special file\n",
		"1:7 666 0:0", "600 fifo\n", "/proc/self/fd\n")
}

// status returns the payload's /proc/self/status lines with the given prefixes.
const statusScript = `grep -E '^(Uid|Gid|Groups|CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/self/status`

// TestCredentials: bounding set, capabilities (an ambient one surviving
// the exec as a non-root user), user and groups, no_new_privs, as
// /proc/self/status shows them; then root, whose caps are the bounding set.
func TestCredentials(t *testing.T) {
	needRoot(t)
	rootfs := newRootfs(t)
	const caps = 1<<unix.CAP_CHOWN | 1<<unix.CAP_KILL | 1<<unix.CAP_NET_BIND_SERVICE
	p := container(rootfs, nil)
	p.op(initplan.OpNoNewPrivs)
	p.op(initplan.OpCapBounding, initplan.U(caps))
	p.op(initplan.OpUser, initplan.I(1000), initplan.I(1001), initplan.U32s([]uint32{10, 20}), initplan.I(1))
	p.op(initplan.OpCaps, initplan.U(caps), initplan.U(caps), initplan.U(1<<unix.CAP_KILL),
		initplan.U(1<<unix.CAP_KILL|1<<unix.CAP_NET_BIND_SERVICE))
	p.sh(statusScript)
	h := &handler{}
	out := mustRun(t, job{flags: nsFlags, plan: p.bytes(t), h: h})
	wantLines(t, out, "Uid:\t1000\t1000\t1000\t1000\n", "Gid:\t1001\t1001\t1001\t1001\n", "Groups:\t10 20",
		"CapInh:\t0000000000000020\n", "CapEff:\t0000000000000020\n", "CapPrm:\t0000000000000020\n",
		"CapBnd:\t0000000000000421\n", "CapAmb:\t0000000000000020\n", "NoNewPrivs:\t1\n")
	// CAP_NET_BIND_SERVICE is not inheritable: raising it in the ambient set fails with a warning.
	if len(h.logs) != 1 || !contains(h.logs[0], "warning: can't raise ambient capability CAP_NET_BIND_SERVICE") {
		t.Errorf("logs %q", h.logs)
	}

	p = container(rootfs, nil)
	p.op(initplan.OpCapBounding, initplan.U(caps))
	p.op(initplan.OpUser, initplan.I(0), initplan.I(0), initplan.U32s(nil), initplan.I(1))
	p.op(initplan.OpCaps, initplan.U(caps), initplan.U(caps), initplan.I(0), initplan.I(0))
	p.sh(statusScript)
	out = mustRun(t, job{flags: nsFlags, plan: p.bytes(t)})
	wantLines(t, out, "Uid:\t0\t0\t0\t0\n", "Groups:\t \n", "CapInh:\t0000000000000000\n",
		"CapEff:\t0000000000000421\n", "CapBnd:\t0000000000000421\n", "NoNewPrivs:\t0\n")
}

// TestRlimit sets a limit and reports a refused one in runc's words.
func TestRlimit(t *testing.T) {
	needRoot(t)
	p := newPlan().op(initplan.OpRlimit, initplan.I(unix.RLIMIT_NOFILE), initplan.I(1000), initplan.I(2000))
	p.exec([]string{"sh", "-c", "grep 'open files' /proc/self/limits"}, "/bin")
	out := mustRun(t, job{plan: p.bytes(t)})
	if f := strings.Fields(out); len(f) < 5 || f[3] != "1000" || f[4] != "2000" {
		t.Errorf("limits: %q", out)
	}

	// Without CAP_SYS_RESOURCE the hard limit cannot be raised.
	p = newPlan().op(initplan.OpCaps, initplan.I(0), initplan.I(0), initplan.I(0), initplan.I(0))
	p.op(initplan.OpRlimit, initplan.I(unix.RLIMIT_NOFILE), initplan.I(1<<20), initplan.I(1<<20))
	p.sh("true")
	mustFail(t, job{plan: p.bytes(t)}, "setrlimit RLIMIT_NOFILE: Operation not permitted")
}

// TestConsole: the pty master reaches the handler; the payload's stdio is
// the peer, its controlling terminal, bound on /dev/console.
func TestConsole(t *testing.T) {
	needRoot(t)
	rootfs := newRootfs(t)
	p := container(rootfs, func(p plan) {
		p.mount("devpts", "/dev/pts", "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620", 0)
		p.op(initplan.OpSymlink, initplan.S("pts/ptmx"), initplan.S("/dev/ptmx"))
	})
	p.op(initplan.OpSetsid)
	p.op(initplan.OpConsole, initplan.I(24), initplan.I(80), initplan.I(0), initplan.I(0), initplan.I(1))
	p.sh(`stat -c 'console %t' /dev/console; tty; stty size; read x; echo got:$x`)
	masters := make(chan *os.File, 1)
	h := &handler{console: func(f *os.File) error { masters <- f; return nil }}
	res := make(chan result, 1)
	go func() { res <- run(t, job{flags: nsFlags, plan: p.bytes(t), h: h}) }()
	var m *os.File
	select {
	case m = <-masters:
	case r := <-res:
		t.Fatalf("no console: %v %s", r.err, r.out)
	}
	defer m.Close()
	if _, err := m.Write([]byte("ping\n")); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	buf := make([]byte, 1024)
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), "got:ping") && time.Now().Before(deadline) {
		m.SetReadDeadline(deadline)
		n, err := m.Read(buf)
		out.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if r := <-res; r.err != nil {
		t.Fatalf("init failed: %v", r.err)
	}
	wantLines(t, out.String(), "console 88", "/dev/pts/0", "24 80", "got:ping")
}

// TestHooks: a hook gets the state on stdin; a failing hook, a slow one
// and a missing one produce runc's error texts.
func TestHooks(t *testing.T) {
	needRoot(t)
	rootfs := newRootfs(t)
	state := `{"ociVersion":"1.2.0","id":"x"}`
	dir := t.TempDir()
	hook := func(kind string, idx int, path string, args []string, timeout int) func(plan) {
		return func(p plan) {
			p.op(initplan.OpSyncHooks)
			p.op(initplan.OpHook, initplan.S(kind), initplan.I(int64(idx)), initplan.S(path), initplan.L(args),
				initplan.L([]string{"HOOKENV=1"}), initplan.I(int64(timeout)))
		}
	}
	h := &handler{hooks: func(int) ([]byte, error) { return []byte(state), nil }}

	ok := hook("createContainer", 0, "/bin/sh", []string{"sh", "-c", "cat > " + dir + "/state; pwd > " + dir + "/cwd; echo $HOOKENV > " + dir + "/env"}, 0)
	mustRun(t, job{flags: nsFlags, plan: container(rootfs, ok).sh("true").bytes(t), h: h})
	for f, want := range map[string]string{"state": state, "cwd": rootfs + "\n", "env": "1\n"} {
		if b, _ := os.ReadFile(filepath.Join(dir, f)); string(b) != want {
			t.Errorf("hook %s: %q, want %q", f, b, want)
		}
	}

	fail := hook("createContainer", 0, "/bin/sh", []string{"sh", "-c", "read s; echo out:$s; echo err >&2; exit 3"}, 0)
	msg := mustFail(t, job{flags: nsFlags, plan: container(rootfs, fail).sh("true").bytes(t), h: h}, "")
	if want := "error running createContainer hook #0: exit status 3, stdout: out:" + state + "\n, stderr: err\n"; msg != want {
		t.Errorf("error %q, want %q", msg, want)
	}

	slow := hook("startContainer", 1, "/bin/sleep", []string{"sleep", "30"}, 1)
	start := time.Now()
	mustFail(t, job{flags: nsFlags, plan: container(rootfs, slow).sh("true").bytes(t), h: h},
		"error running startContainer hook #1: timeout after 1 second")
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("timeout took %v", d)
	}

	killed := hook("createContainer", 2, "/bin/sh", []string{"sh", "-c", "kill -9 $$"}, 0)
	mustFail(t, job{flags: nsFlags, plan: container(rootfs, killed).sh("true").bytes(t), h: h},
		"error running createContainer hook #2: signal: killed, stdout: , stderr: ")

	missing := hook("createContainer", 0, "/nonexistent/hook", nil, 0)
	mustFail(t, job{flags: nsFlags, plan: container(rootfs, missing).sh("true").bytes(t), h: h},
		"error running createContainer hook #0: fork/exec /nonexistent/hook: no such file or directory")
}

// TestForkClonePid: unshare(CLONE_NEWPID) + OP_FORK: the payload is PID 1
// of the new namespace and a child of this process (CLONE_PARENT).
func TestForkClonePid(t *testing.T) {
	needRoot(t)
	var got int
	h := &handler{pid: func(pid int) error { got = pid; return nil }}
	p := newPlan().op(initplan.OpUnshare, initplan.U(unix.CLONE_NEWPID)).op(initplan.OpFork)
	p.exec([]string{"sh", "-c", "echo pid=$$"}, "/bin")
	res := run(t, job{plan: p.bytes(t), h: h})
	if res.err != nil {
		t.Fatal(res.err)
	}
	wantLines(t, res.out, "pid=1\n")
	if got == 0 || got != res.in.Pid || !res.in.Forked {
		t.Errorf("handler pid %d, init pid %d forked %v", got, res.in.Pid, res.in.Forked)
	}
}

// TestUsernsSync: unshare(CLONE_NEWUSER), the parent writes the maps on
// SyncUsermap, then the init becomes root of the new namespace.
func TestUsernsSync(t *testing.T) {
	needRoot(t)
	h := &handler{usermap: func(pid int) error {
		for _, f := range []string{"uid_map", "gid_map"} {
			if err := os.WriteFile(fmt.Sprintf("/proc/%d/%s", pid, f), []byte("0 100000 65536\n"), 0); err != nil {
				return err
			}
		}
		return nil
	}}
	p := newPlan().op(initplan.OpUnshare, initplan.U(unix.CLONE_NEWUSER)).op(initplan.OpUsernsSync)
	p.op(initplan.OpUser, initplan.I(0), initplan.I(0), initplan.U32s(nil), initplan.I(0))
	p.exec([]string{"sh", "-c", "cat /proc/self/uid_map; id -u; id -g"}, "/bin")
	out := mustRun(t, job{plan: p.bytes(t), h: h})
	wantLines(t, out, "100000", "0\n0\n")
}

// TestLookupErrors: the executable lookup's error texts, as runc (Go) words them.
func TestLookupErrors(t *testing.T) {
	needRoot(t)
	noexec := filepath.Join(t.TempDir(), "noexec")
	os.WriteFile(noexec, []byte("#!/bin/sh\n"), 0o644)
	for file, want := range map[string]string{
		"nope":      `exec: "nope": executable file not found in $PATH`,
		"/bin/nope": `exec: "/bin/nope": stat /bin/nope: no such file or directory`,
		"/etc":      `exec: "/etc": is a directory`,
		noexec:      `exec: "` + noexec + `": permission denied`,
	} {
		p := newPlan().exec([]string{file}, "/usr/bin:/bin")
		msg := mustFail(t, job{plan: p.bytes(t)}, want)
		if msg != want {
			t.Errorf("%s: %q, want %q", file, msg, want)
		}
	}
	p := newPlan().op(initplan.OpChdir, initplan.S("/nonexistent")).sh("true")
	mustFail(t, job{plan: p.bytes(t)}, `chdir to cwd ("/nonexistent") set in config.json failed: No such file or directory`)
}

// sockFilter is struct sock_filter.
func sockFilter(code uint16, jt, jf uint8, k uint32) []byte {
	return []byte{byte(code), byte(code >> 8), jt, jf, byte(k), byte(k >> 8), byte(k >> 16), byte(k >> 24)}
}

// TestSeccomp: a hand-written filter that fails mkdir/mkdirat with EPERM;
// then a notify filter whose listener reaches the handler.
func TestSeccomp(t *testing.T) {
	needRoot(t)
	if runtime.GOARCH != "amd64" {
		t.Skip("the filter is written for x86_64")
	}
	const (
		ldAbs = unix.BPF_LD | unix.BPF_W | unix.BPF_ABS
		jeq   = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		ret   = unix.BPF_RET | unix.BPF_K
	)
	var prog []byte
	for _, ins := range [][]byte{
		sockFilter(ldAbs, 0, 0, 4), // arch
		sockFilter(jeq, 0, 5, unix.AUDIT_ARCH_X86_64),
		sockFilter(ldAbs, 0, 0, 0), // nr
		sockFilter(jeq, 2, 0, unix.SYS_MKDIR),
		sockFilter(jeq, 1, 0, unix.SYS_MKDIRAT),
		sockFilter(ret, 0, 0, unix.SECCOMP_RET_ALLOW),
		sockFilter(ret, 0, 0, unix.SECCOMP_RET_ERRNO|uint32(unix.EPERM)),
		sockFilter(ret, 0, 0, unix.SECCOMP_RET_ALLOW),
	} {
		prog = append(prog, ins...)
	}
	dir := filepath.Join(t.TempDir(), "made")
	p := newPlan().op(initplan.OpNoNewPrivs)
	p.op(initplan.OpSeccomp, initplan.B(prog), initplan.I(0), initplan.I(0))
	p.exec([]string{"sh", "-c", "mkdir " + dir + "; echo rc=$?"}, "/bin")
	out := mustRun(t, job{plan: p.bytes(t)})
	wantLines(t, out, "Operation not permitted", "rc=1\n")
	if exists(dir) {
		t.Error("mkdir was not filtered")
	}

	notify := append(sockFilter(ldAbs, 0, 0, 0), sockFilter(jeq, 0, 1, unix.SYS_ACCT)...)
	notify = append(notify, sockFilter(ret, 0, 0, unix.SECCOMP_RET_USER_NOTIF)...)
	notify = append(notify, sockFilter(ret, 0, 0, unix.SECCOMP_RET_ALLOW)...)
	var listener *os.File
	h := &handler{seccomp: func(f *os.File) error { listener = f; return nil }}
	p = newPlan().op(initplan.OpNoNewPrivs)
	p.op(initplan.OpSeccomp, initplan.B(notify), initplan.I(0), initplan.I(1))
	p.sh("true")
	mustRun(t, job{plan: p.bytes(t), h: h})
	if listener == nil {
		t.Fatal("no seccomp listener")
	}
	listener.Close()
}

// TestWaitStart: the init waits on the exec fifo until it is opened (husk
// start); close-fds leaves the payload no fd but stdio.
func TestWaitStart(t *testing.T) {
	needRoot(t)
	fifo := filepath.Join(t.TempDir(), "exec.fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(fifo, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), fifo)
	defer f.Close()
	p := newPlan().op(initplan.OpCloseFds, initplan.I(3))
	p.op(initplan.OpLookup, initplan.S("sh"), initplan.S("/bin"))
	p.op(initplan.OpReady)
	p.op(initplan.OpWaitStart, initplan.I(3))
	p.op(initplan.OpExec, initplan.L([]string{"sh", "-c", "echo started; ls /proc/$$/fd"}), initplan.L(nil))
	var got []byte
	out := mustRun(t, job{plan: p.bytes(t), extra: []*os.File{f}, afterReady: func(in *initproc.Init) error {
		r, err := os.OpenFile(fifo, os.O_RDONLY, 0)
		if err != nil {
			return err
		}
		defer r.Close()
		got, err = io.ReadAll(r)
		return err
	}})
	// Success is EOF without a word: the write end closes at the execve.
	if string(got) != "" {
		t.Errorf("fifo gave %q, want EOF at the payload's execve", got)
	}
	if out != "started\n0\n1\n2\n" {
		t.Errorf("payload output %q, want only fds 0, 1, 2", out)
	}
}

// TestWaitStartError: what the init dies of after the fifo was opened (a
// startContainer hook here) is written to the fifo for `husk start`.
func TestWaitStartError(t *testing.T) {
	needRoot(t)
	fifo := filepath.Join(t.TempDir(), "exec.fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(fifo, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), fifo)
	defer f.Close()
	p := newPlan().op(initplan.OpCloseFds, initplan.I(3))
	p.op(initplan.OpReady)
	p.op(initplan.OpWaitStart, initplan.I(3))
	p.op(initplan.OpHook, initplan.S("startContainer"), initplan.I(0), initplan.S("/bin/false"),
		initplan.L(nil), initplan.L(nil), initplan.I(0))
	p.sh("echo must not run")
	var got []byte
	res := run(t, job{plan: p.bytes(t), extra: []*os.File{f}, afterReady: func(in *initproc.Init) error {
		r, err := os.OpenFile(fifo, os.O_RDONLY, 0)
		if err != nil {
			return err
		}
		defer r.Close()
		got, err = io.ReadAll(r)
		return err
	}})
	if !strings.HasPrefix(string(got), "error running startContainer hook #0: exit status 1") {
		t.Errorf("fifo gave %q, want the hook's failure", got)
	}
	if strings.Contains(res.out, "must not run") {
		t.Errorf("the payload ran after a failed startContainer hook: %q", res.out)
	}
}

// TestMalformedPlans: bad magic, oversized, truncated inside, truncated
// stream, no exec: the init answers with a clean error, never a crash.
func TestMalformedPlans(t *testing.T) {
	needRoot(t)
	good := newPlan().sh("true").bytes(t)
	le := func(b []byte, off int, v uint32) []byte {
		b = append([]byte(nil), b...)
		b[off], b[off+1], b[off+2], b[off+3] = byte(v), byte(v>>8), byte(v>>16), byte(v>>24)
		return b
	}
	innerTrunc := le(good, 16+8+4, 1000) // first arg's length past the end
	for name, c := range map[string]struct {
		b    []byte
		want string
	}{
		"magic":     {le(good, 0, 0x12345678), "malformed init plan: bad magic 0x12345678"},
		"version":   {le(good, 4, 9), "malformed init plan: version 9, want 1"},
		"oversized": {le(good[:16], 8, initplan.MaxLen+1), fmt.Sprintf("init plan is %d bytes, over the limit of %d", initplan.MaxLen+1, initplan.MaxLen)},
		"inner":     {innerTrunc, "malformed init plan: op 0 arg 0: length 1000 past the end"},
		"no exec":   {newPlan().op(initplan.OpReady).bytes(t), "init plan ended without exec"},
	} {
		t.Run(name, func(t *testing.T) {
			if name == "no exec" {
				// Ready first: Sync returns; the error comes with WaitExec.
				res := run(t, job{plan: c.b})
				if res.err == nil || res.err.Error() != c.want {
					t.Fatalf("error %v, want %q", res.err, c.want)
				}
				return
			}
			msg := mustFail(t, job{plan: c.b}, c.want)
			if msg != c.want {
				t.Errorf("error %q, want %q", msg, c.want)
			}
		})
	}
	t.Run("short stream", func(t *testing.T) {
		msg := rawInit(t, good[:len(good)-8])
		want := fmt.Sprintf("read init plan: truncated: got %d of %d bytes", len(good)-8, len(good))
		if msg != want {
			t.Errorf("error %q, want %q", msg, want)
		}
	})
}

// rawInit starts the init by hand, writes b, shuts the write side (EOF)
// and returns the SyncError text.
func rawInit(t *testing.T, b []byte) string {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	parent := os.NewFile(uintptr(fds[0]), "parent")
	child := os.NewFile(uintptr(fds[1]), "child")
	defer parent.Close()
	exe, _ := os.Executable()
	attr := &os.ProcAttr{Env: []string{initproc.EnvInitPipe + "=3"}, Files: []*os.File{nil, nil, nil, child}}
	proc, err := os.StartProcess(exe, []string{"husk", "init"}, attr)
	child.Close()
	if err != nil {
		t.Fatal(err)
	}
	defer proc.Wait()
	parent.Write(b)
	unix.Shutdown(fds[0], unix.SHUT_WR)
	hdr := make([]byte, 8)
	if _, err := io.ReadFull(parent, hdr); err != nil {
		t.Fatal(err)
	}
	if typ := int(hdr[0]); typ != int(initplan.SyncError) {
		t.Fatalf("message type %d", typ)
	}
	msg := make([]byte, int(hdr[4])|int(hdr[5])<<8)
	io.ReadFull(parent, msg)
	return string(msg)
}

// TestIDMapMount: through a bind mount idmapped with a user namespace
// mapping 0 to 1000, a file owned by 0 shows as 1000, one owned by 1000
// (unmapped) as the overflow id.
func TestIDMapMount(t *testing.T) {
	needRoot(t)
	rootfs := newRootfs(t)
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "f"), nil, 0o644)
	os.WriteFile(filepath.Join(host, "g"), nil, 0o644)
	os.Chown(filepath.Join(host, "g"), 1000, 1000)
	// A user namespace mapping 0 -> 1000, held by a sleeping process.
	sleeper, err := os.StartProcess("/bin/sleep", []string{"sleep", "30"}, &os.ProcAttr{Sys: &syscall.SysProcAttr{
		Cloneflags:  unix.CLONE_NEWUSER,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 1000, Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: 0, HostID: 1000, Size: 1}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { sleeper.Kill(); sleeper.Wait() }()
	ns, err := os.Open("/proc/" + strconv.Itoa(sleeper.Pid) + "/ns/user")
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	p := container(rootfs, func(p plan) {
		p.mountX(host, "/idm", "bind", unix.MS_BIND, 0, "", nil, 0, 0, 3, 0)
	})
	p.sh(`stat -c '%u:%g' /idm/f /idm/g`)
	out := mustRun(t, job{flags: nsFlags, plan: p.bytes(t), extra: []*os.File{ns}})
	wantLines(t, out, "1000:1000\n65534:65534\n")
}

// TestChrootMove: --no-pivot: the rootfs is moved onto / and chroot'ed into.
func TestChrootMove(t *testing.T) {
	needRoot(t)
	rootfs := newRootfs(t)
	p := newPlan().op(initplan.OpPrepareRoot, initplan.S(rootfs), initplan.I(0))
	p.mount("proc", "/proc", "proc", 0, "", 0)
	p.op(initplan.OpChrootMove)
	p.sh(`ls /; echo pid=$$`)
	out := mustRun(t, job{flags: nsFlags, plan: p.bytes(t)})
	wantLines(t, out, "bin\n", "pid=1\n")
}

// TestProcessKnobs: scheduler, I/O priority, affinity, personality, umask,
// oom_score_adj, session keyring, dup of a tty-like fd onto stdio.
func TestProcessKnobs(t *testing.T) {
	needRoot(t)
	out := filepath.Join(t.TempDir(), "out")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p := newPlan()
	p.op(initplan.OpOOMScoreAdj, initplan.I(123))
	p.op(initplan.OpKeyring, initplan.S("_ses.husk-test"))
	p.op(initplan.OpScheduler, initplan.I(unix.SCHED_BATCH), initplan.I(5), initplan.I(0), initplan.I(0),
		initplan.I(0), initplan.I(0), initplan.I(0))
	p.op(initplan.OpIOPrio, initplan.I(2), initplan.I(7))
	p.op(initplan.OpAffinity, initplan.B([]byte{1}))
	p.op(initplan.OpPersonality, initplan.I(0x0008)) // PER_LINUX32
	p.op(initplan.OpUmask, initplan.I(0o027))
	p.op(initplan.OpDupStdio, initplan.I(3))
	p.op(initplan.OpCloseFds, initplan.I(3))
	p.sh(`cat /proc/self/oom_score_adj; grep -E '^(Cpus_allowed_list|Umask):' /proc/self/status;
grep -E '^policy|^prio' /proc/self/sched; uname -m; cat /proc/keys | grep -c _ses.husk-test; ionice -p $$ 2>/dev/null`)
	mustRun(t, job{plan: p.bytes(t), extra: []*os.File{f}})
	b, _ := os.ReadFile(out)
	wantLines(t, string(b), "123\n", "Umask:\t0027\n", "Cpus_allowed_list:\t0\n", "policy                                       :                    3\n",
		"i686\n", "1\n")
}

// TestSetns joins the network namespace of another process, and names a
// missing one in runc's words.
func TestSetns(t *testing.T) {
	needRoot(t)
	sleeper, err := os.StartProcess("/bin/sleep", []string{"sleep", "30"}, &os.ProcAttr{
		Sys: &syscall.SysProcAttr{Cloneflags: unix.CLONE_NEWNET | unix.CLONE_NEWUTS}})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { sleeper.Kill(); sleeper.Wait() }()
	var st unix.Stat_t
	ns := fmt.Sprintf("/proc/%d/ns/net", sleeper.Pid)
	if err := unix.Stat(ns, &st); err != nil {
		t.Fatal(err)
	}
	p := newPlan().op(initplan.OpSetns, initplan.U(unix.CLONE_NEWNET), initplan.S(ns))
	p.op(initplan.OpSetns, initplan.U(unix.CLONE_NEWUTS), initplan.S(fmt.Sprintf("/proc/%d/ns/uts", sleeper.Pid)))
	p.op(initplan.OpHostname, initplan.S("joined"))
	p.sh(`stat -L -c %i /proc/self/ns/net; hostname`)
	out := mustRun(t, job{plan: p.bytes(t)})
	wantLines(t, out, fmt.Sprintf("%d\n", st.Ino), "joined\n")
	if h, _ := os.Hostname(); h == "joined" {
		t.Error("the host's hostname changed")
	}

	p = newPlan().op(initplan.OpSetns, initplan.U(unix.CLONE_NEWNET), initplan.S("/run/netns/husk-missing")).sh("true")
	mustFail(t, job{plan: p.bytes(t)}, "join namespace network (/run/netns/husk-missing): No such file or directory")
}

// TestTimeNamespace: offsets written between unshare(CLONE_NEWTIME) and
// the fork apply to the payload.
func TestTimeNamespace(t *testing.T) {
	needRoot(t)
	if _, err := os.Stat("/proc/self/timens_offsets"); err != nil {
		t.Skip("no time namespaces")
	}
	p := newPlan().op(initplan.OpUnshare, initplan.U(unix.CLONE_NEWTIME))
	p.op(initplan.OpTimeOffsets, initplan.S("boottime 1000000 0\n"))
	p.op(initplan.OpFork)
	p.sh(`cat /proc/uptime`)
	out := mustRun(t, job{plan: p.bytes(t)})
	up, err := strconv.ParseFloat(strings.Fields(out)[0], 64)
	if err != nil || up < 1000000 {
		t.Errorf("uptime %q, want the offset applied", out)
	}
}

// TestBindDev: a device bind-mounted from the host onto an empty file.
func TestBindDev(t *testing.T) {
	needRoot(t)
	rootfs := newRootfs(t)
	p := container(rootfs, func(p plan) {
		p.op(initplan.OpBindDev, initplan.S("/dev/zero"), initplan.S("/dev/zero"))
	})
	p.sh(`stat -c '%t:%T %F' /dev/zero; head -c 3 /dev/zero | od -An -tx1`)
	out := mustRun(t, job{flags: nsFlags, plan: p.bytes(t)})
	wantLines(t, out, "1:5 character special file\n", "00 00 00")
}

// TestMountAttrsPropagation: recursive read-only through mount_setattr and
// a propagation list applied in order.
func TestMountAttrsPropagation(t *testing.T) {
	needRoot(t)
	rootfs := newRootfs(t)
	p := container(rootfs, func(p plan) {
		p.mount("tmpfs", "/b", "tmpfs", 0, "", 0)
		p.mount("tmpfs", "/b/sub", "tmpfs", 0, "", 0)
		p.mountX(filepath.Join(rootfs, "b"), "/r", "bind", unix.MS_BIND|unix.MS_REC, 0, "", []uint64{unix.MS_PRIVATE, unix.MS_SHARED},
			unix.MOUNT_ATTR_RDONLY|unix.MOUNT_ATTR_NOEXEC, 0, -1, initplan.MountOptRecAttr)
	})
	p.sh(`touch /r/x || echo top-ro; touch /r/sub/x || echo sub-ro; grep ' /r' /proc/self/mountinfo`)
	out := mustRun(t, job{flags: nsFlags, plan: p.bytes(t)})
	wantLines(t, out, "top-ro\n", "sub-ro\n", " shared:")
}

// TestLockedFlagsUserns: in a user namespace, a bind of a nosuid,nodev
// mount made read-only keeps the locked flags (the remount is retried with
// them, as runc does); explicitly clearing one is an error.
func TestLockedFlagsUserns(t *testing.T) {
	needRoot(t)
	dir := t.TempDir()
	os.Chmod(dir, 0o755)
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst")
	os.Mkdir(src, 0o755)
	os.Mkdir(dst, 0o755)
	maps := func(pid int) error {
		for _, f := range []string{"uid_map", "gid_map"} {
			if err := os.WriteFile(fmt.Sprintf("/proc/%d/%s", pid, f), []byte("0 0 65536\n"), 0); err != nil {
				return err
			}
		}
		return nil
	}
	build := func(clear uintptr) []byte {
		p := newPlan().op(initplan.OpPrepareRoot, initplan.S(dir), initplan.I(0))
		p.mount("tmpfs", "/src", "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, "", 0)
		// A new user and mount namespace: the mounts above are locked now
		// (and container paths resolve from "/" again).
		p.op(initplan.OpUnshare, initplan.U(unix.CLONE_NEWUSER|unix.CLONE_NEWNS)).op(initplan.OpUsernsSync)
		p.op(initplan.OpUser, initplan.I(0), initplan.I(0), initplan.U32s(nil), initplan.I(0))
		p.mountX(src, dst, "bind", unix.MS_BIND|unix.MS_RDONLY, clear, "", nil, 0, 0, -1, 0)
		return p.exec([]string{"sh", "-c", "grep " + dst + " /proc/self/mounts"}, "/bin").bytes(t)
	}
	out := mustRun(t, job{flags: unix.CLONE_NEWNS, plan: build(0), h: &handler{usermap: maps}})
	wantLines(t, out, "ro,nosuid,nodev")
	mustFail(t, job{flags: unix.CLONE_NEWNS, plan: build(unix.MS_NOSUID), h: &handler{usermap: maps}},
		"cannot clear locked flags MS_NOSUID: Operation not permitted")
}

// TestLabelError: without an LSM the attribute write fails with a clear text.
func TestLabelError(t *testing.T) {
	needRoot(t)
	if b, _ := os.ReadFile("/sys/kernel/security/lsm"); len(bytes.TrimSpace(b)) > 0 {
		t.Skip("an LSM is active")
	}
	p := newPlan().op(initplan.OpLabel, initplan.S("exec"), initplan.S("x")).sh("true")
	mustFail(t, job{plan: p.bytes(t)}, "write /proc/thread-self/attr/exec: Invalid argument")
}

// TestCwdOutsideRoot: a cwd through /proc/self/fd/N to a host directory
// fd is refused (CVE-2024-21626).
func TestCwdOutsideRoot(t *testing.T) {
	needRoot(t)
	rootfs := newRootfs(t)
	hostDir, err := os.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer hostDir.Close()
	p := container(rootfs, nil)
	p.op(initplan.OpChdir, initplan.S("/proc/self/fd/3"))
	p.sh("pwd")
	mustFail(t, job{flags: nsFlags, plan: p.bytes(t), extra: []*os.File{hostDir}},
		"current working directory is outside of container mount namespace root")
}

// TestConsoleSymlink: /dev/console replaced by a symlink to a procfs file:
// the console is still the new pty bound on a fresh /dev/console
// (CVE-2025-52565), nothing is mounted on the symlink's target.
func TestConsoleSymlink(t *testing.T) {
	needRoot(t)
	rootfs := newRootfs(t)
	p := container(rootfs, func(p plan) {
		p.mount("devpts", "/dev/pts", "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620", 0)
		p.op(initplan.OpSymlink, initplan.S("pts/ptmx"), initplan.S("/dev/ptmx"))
		p.op(initplan.OpSymlink, initplan.S("/proc/sys/kernel/core_pattern"), initplan.S("/dev/console"))
	})
	p.op(initplan.OpSetsid)
	p.op(initplan.OpConsole, initplan.I(0), initplan.I(0), initplan.I(0), initplan.I(0), initplan.I(1))
	p.sh(`stat -c "%F %t" /dev/console; grep -c core_pattern /proc/self/mountinfo; grep -c ' /dev/console ' /proc/self/mountinfo`)
	masters := make(chan *os.File, 1)
	h := &handler{console: func(f *os.File) error { masters <- f; return nil }}
	res := make(chan result, 1)
	go func() { res <- run(t, job{flags: nsFlags, plan: p.bytes(t), h: h}) }()
	var m *os.File
	select {
	case m = <-masters:
	case r := <-res:
		t.Fatalf("no console: %v %s", r.err, r.out)
	}
	defer m.Close()
	var out bytes.Buffer
	buf := make([]byte, 512)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		m.SetReadDeadline(deadline)
		n, err := m.Read(buf)
		out.Write(buf[:n])
		if err != nil {
			break
		}
	}
	if r := <-res; r.err != nil {
		t.Fatalf("init failed: %v", r.err)
	}
	wantLines(t, out.String(), "character special file 88\r\n0\r\n1\r\n")
}
