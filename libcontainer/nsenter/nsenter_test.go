package nsenter

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/initplan"
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
