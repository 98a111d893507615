package nsenter

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/configs"
	"github.com/husk-runtime/husk/libcontainer/idmap"
	"github.com/husk-runtime/husk/libcontainer/initplan"
	"github.com/husk-runtime/husk/libcontainer/initproc"
)

// More init tests: the exec fifo, malformed plans, idmapped and
// attribute mounts, --no-pivot, process knobs, joins, the attack classes.

// execFifo makes an exec fifo and its O_PATH handle for the init (fd 3).
func execFifo(t *testing.T) (string, *os.File) {
	t.Helper()
	fifo := filepath.Join(t.TempDir(), "exec.fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(fifo, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	f := os.NewFile(uintptr(fd), fifo)
	t.Cleanup(func() { f.Close() })
	return fifo, f
}

// readFifo opens the fifo as `husk start` does and reads it to EOF.
func readFifo(fifo string, got *[]byte) func(*initproc.Init) error {
	return func(*initproc.Init) error {
		r, err := os.OpenFile(fifo, os.O_RDONLY, 0)
		if err != nil {
			return err
		}
		defer r.Close()
		*got, err = io.ReadAll(r)
		return err
	}
}

// TestWaitStart: the init waits on the exec fifo until it is opened (husk
// start); close-fds leaves the payload no fd but stdio.
func TestWaitStart(t *testing.T) {
	needRoot(t)
	fifo, f := execFifo(t)
	p := newPlan().op(initplan.OpCloseFds, initplan.I(3))
	p.op(initplan.OpLookup, initplan.S("sh"), initplan.S("/bin"))
	p.op(initplan.OpReady)
	p.op(initplan.OpWaitStart, initplan.I(3))
	p.op(initplan.OpExec, initplan.L([]string{"sh", "-c", "echo started; ls /proc/$$/fd"}), initplan.L(nil))
	var got []byte
	out := mustRun(t, job{plan: p.bytes(t), extra: []*os.File{f}, afterReady: readFifo(fifo, &got)})
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
	fifo, f := execFifo(t)
	p := newPlan().op(initplan.OpCloseFds, initplan.I(3))
	p.op(initplan.OpReady)
	p.op(initplan.OpWaitStart, initplan.I(3))
	p.op(initplan.OpHook, initplan.S("startContainer"), initplan.I(0), initplan.S("/bin/false"),
		initplan.L(nil), initplan.L(nil), initplan.I(0))
	p.sh("echo must not run")
	var got []byte
	res := run(t, job{plan: p.bytes(t), extra: []*os.File{f}, afterReady: readFifo(fifo, &got)})
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

// TestIDMapMount: the init attaches detached idmapped mounts made by the
// parent (package idmap, mapping 0 to 1000): through the bind, a file
// owned by 0 shows as 1000, one owned by 1000 (unmapped) as the overflow
// id, and the bind's flags (ro) are applied after attaching; the new tmpfs
// keeps the flags fsmount gave it.
func TestIDMapMount(t *testing.T) {
	needRoot(t)
	rootfs := newRootfs(t)
	host := t.TempDir()
	os.WriteFile(filepath.Join(host, "f"), nil, 0o644)
	os.WriteFile(filepath.Join(host, "g"), nil, 0o644)
	os.Chown(filepath.Join(host, "g"), 1000, 1000)
	maps := []configs.IDMap{{ContainerID: 0, HostID: 1000, Size: 1}}
	ns, err := idmap.UsernsFd(maps, maps)
	if err != nil {
		t.Fatal(err)
	}
	defer ns.Close()
	bind := &configs.Mount{Source: host, Destination: "/idm", Device: "bind", Flags: unix.MS_BIND | unix.MS_RDONLY}
	tree, err := idmap.Detached(0, bind, int(ns.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	defer tree.Close()
	tm := &configs.Mount{Source: "tmpfs", Destination: "/idt", Device: "tmpfs", Flags: unix.MS_NOEXEC}
	fs, err := idmap.Detached(1, tm, int(ns.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	defer fs.Close()
	p := container(rootfs, func(p plan) {
		p.mountX(host, "/idm", "bind", unix.MS_BIND|unix.MS_RDONLY, 0, "", nil, 0, 0, 3, 0)
		p.mountX("tmpfs", "/idt", "tmpfs", unix.MS_NOEXEC, 0, "", nil, 0, 0, 4, 0)
	})
	p.sh(`stat -c '%u:%g' /idm/f /idm/g /idt; touch /idm/x 2>/dev/null || echo ro; grep -c 'idmapped' /proc/self/mountinfo; grep ' /idt ' /proc/self/mountinfo | grep -c noexec`)
	out := mustRun(t, job{flags: nsFlags, plan: p.bytes(t), extra: []*os.File{tree, fs}})
	wantLines(t, out, "1000:1000\n65534:65534\n1000:1000\nro\n2\n1\n")
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
	mustFail(t, job{plan: p.bytes(t)}, "write /proc/thread-self/attr/exec (label x): Invalid argument")
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
