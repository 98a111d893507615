package nsenter

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/initplan"
	"github.com/husk-runtime/husk/libcontainer/initproc"
)

// The test binary imports this package, so it carries the init
// constructor: each test re-executes the binary itself as `husk init` and
// sends it a plan.

func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
}

var (
	busyboxOnce sync.Once
	busyboxPath string
	busyboxErr  error
)

// applets get a symlink to busybox in every test rootfs.
var applets = []string{"sh", "cat", "ls", "id", "hostname", "echo", "mkdir", "stat", "readlink",
	"touch", "test", "sleep", "env", "tty", "stty", "grep", "true", "mountpoint"}

// newRootfs makes a small busybox rootfs in a temporary directory.
func newRootfs(t testing.TB) string {
	t.Helper()
	busyboxOnce.Do(func() {
		dir, err := os.MkdirTemp("", "husk-nsenter-busybox-")
		if err != nil {
			busyboxErr = err
			return
		}
		busyboxPath = filepath.Join(dir, "busybox")
		b, err := os.ReadFile("/bin/busybox")
		if err == nil {
			err = os.WriteFile(busyboxPath, b, 0o755)
		}
		busyboxErr = err
	})
	if busyboxErr != nil {
		t.Skipf("no busybox: %v", busyboxErr)
	}
	root := t.TempDir()
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"bin", "proc", "dev", "sys", "tmp", "etc", "mnt"} {
		if err := os.Mkdir(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bb := filepath.Join(root, "bin", "busybox")
	if err := os.Link(busyboxPath, bb); err != nil {
		b, _ := os.ReadFile(busyboxPath)
		if err := os.WriteFile(bb, b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, a := range applets {
		if err := os.Symlink("busybox", filepath.Join(root, "bin", a)); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// handler answers the init's requests with the test's functions.
type handler struct {
	init    *initproc.Init
	pid     func(int) error
	usermap func(int) error
	hooks   func(int) ([]byte, error)
	console func(*os.File) error
	seccomp func(*os.File) error
	mu      sync.Mutex
	logs    []string
}

func (h *handler) Pid(pid int) error {
	if h.pid != nil {
		return h.pid(pid)
	}
	return nil
}

func (h *handler) Usermap(pid int) error {
	if pid == 0 {
		pid = h.init.Pid
	}
	if h.usermap != nil {
		return h.usermap(pid)
	}
	return errors.New("unexpected usermap request")
}

func (h *handler) Hooks(pid int) ([]byte, error) {
	if h.hooks != nil {
		return h.hooks(pid)
	}
	return []byte(`{}`), nil
}

func (h *handler) Console(f *os.File) error {
	if h.console != nil {
		return h.console(f)
	}
	f.Close()
	return nil
}

func (h *handler) Seccomp(f *os.File) error {
	if h.seccomp != nil {
		return h.seccomp(f)
	}
	f.Close()
	return nil
}

func (h *handler) Cgroup() error { return nil }

func (h *handler) Log(level, msg string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.logs = append(h.logs, level+": "+msg)
}

// job is one init to run.
type job struct {
	flags uintptr // namespaces made at clone time
	plan  []byte
	h     *handler
	extra []*os.File
	// afterReady runs between Sync and WaitExec (e.g. `husk start`).
	afterReady func(*initproc.Init) error
}

// result is what the payload printed (stdout and stderr) and the error of
// the set-up or exec.
type result struct {
	out string
	err error
	in  *initproc.Init
}

// plan is a plan under construction with shortcuts for the common ops.
type plan struct{ *initplan.Plan }

func newPlan() plan { return plan{initplan.New()} }

func (p plan) op(code uint32, args ...initplan.Arg) plan {
	p.Add(code, args...)
	return p
}

func (p plan) mount(src, dst, fstype string, flags uintptr, data string, opts uint64) plan {
	return p.mountX(src, dst, fstype, flags, 0, data, nil, 0, 0, -1, opts)
}

func (p plan) mountX(src, dst, fstype string, flags, clear uintptr, data string, prop []uint64,
	set, clr uint64, tree int, opts uint64) plan {
	return p.op(initplan.OpMount, initplan.S(src), initplan.S(dst), initplan.S(fstype),
		initplan.U(uint64(flags)), initplan.S(data), initplan.U(uint64(clear)), initplan.U64s(prop),
		initplan.U(set), initplan.U(clr), initplan.I(int64(tree)), initplan.U(opts))
}

// container: prepare-root, /proc, a tmpfs /dev with /dev/null, then the
// caller's mounts (pre), pivot_root.
func container(rootfs string, pre func(plan)) plan {
	p := newPlan()
	p.op(initplan.OpPrepareRoot, initplan.S(rootfs), initplan.I(0))
	p.mount("proc", "/proc", "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "", 0)
	p.mount("tmpfs", "/dev", "tmpfs", unix.MS_NOSUID, "mode=755", 0)
	p.op(initplan.OpMknod, initplan.S("/dev/null"), initplan.U(unix.S_IFCHR|0o666),
		initplan.U(unix.Mkdev(1, 3)), initplan.I(0), initplan.I(0))
	if pre != nil {
		pre(p)
	}
	return p.op(initplan.OpPivotRoot)
}

// sh ends the plan with sh -c script, PATH=/bin and nothing else in the env.
func (p plan) sh(script string) plan {
	return p.exec([]string{"sh", "-c", script}, "/bin")
}

func (p plan) exec(argv []string, path string) plan {
	p.op(initplan.OpLookup, initplan.S(argv[0]), initplan.S(path))
	p.op(initplan.OpReady)
	return p.op(initplan.OpExec, initplan.L(argv), initplan.L([]string{"PATH=" + path}))
}

func (p plan) bytes(t testing.TB) []byte {
	t.Helper()
	b, err := p.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const nsFlags = unix.CLONE_NEWNS | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC | unix.CLONE_NEWPID

// run starts the test binary as the init, sends the plan, answers the
// requests and waits for the payload to exit.
func run(t testing.TB, j job) result {
	t.Helper()
	exe, err := os.Open("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	defer exe.Close()
	if j.h == nil {
		j.h = &handler{}
	}
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	in, err := initproc.Start(&initproc.Spawn{Exe: exe, Cloneflags: j.flags, Stdout: w, Stderr: w,
		CgroupFD: -1, ExtraFiles: j.extra})
	w.Close()
	if err != nil {
		r.Close()
		t.Fatal(err)
	}
	var out bytes.Buffer
	done := make(chan struct{})
	go func() { io.Copy(&out, r); r.Close(); close(done) }()

	j.h.init = in
	res := result{in: in}
	res.err = in.SendPlan(j.plan)
	if err := in.Sync(j.h); err != nil || res.err == nil {
		res.err = err
	}
	if res.err == nil && j.afterReady != nil {
		res.err = j.afterReady(in)
	}
	if res.err == nil {
		res.err = in.WaitExec(j.h)
	}
	in.Close()
	reap(t, in, res.err != nil)
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("payload output did not end")
	}
	res.out = out.String()
	return res
}

// reap waits for the init (or the forked payload); on failure it kills it first.
func reap(t testing.TB, in *initproc.Init, kill bool) {
	if kill {
		in.Kill()
		return
	}
	if !in.Forked {
		in.WaitChild()
		return
	}
	var ws unix.WaitStatus
	for {
		if _, err := unix.Wait4(in.Pid, &ws, 0, nil); err != unix.EINTR {
			return
		}
	}
}

// mustRun runs a job that must succeed and returns its output.
func mustRun(t *testing.T, j job) string {
	t.Helper()
	res := run(t, j)
	if res.err != nil {
		t.Fatalf("init failed: %v\noutput: %s", res.err, res.out)
	}
	return res.out
}

// mustFail runs a job that must fail with an error containing want.
func mustFail(t *testing.T, j job, want string) string {
	t.Helper()
	res := run(t, j)
	if res.err == nil {
		t.Fatalf("init succeeded, want error %q; output: %s", want, res.out)
	}
	var ce *initproc.ChildError
	if !errors.As(res.err, &ce) {
		t.Fatalf("error %v is not the init's own error", res.err)
	}
	if !strings.Contains(res.err.Error(), want) {
		t.Fatalf("error %q, want it to contain %q", res.err, want)
	}
	return res.err.Error()
}

func wantLines(t *testing.T, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
}

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
