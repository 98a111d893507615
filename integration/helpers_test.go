// Package integration runs the runtime binary the way containerd's runc shim,
// Podman's conmon and people's scripts do, and observes every effect from
// inside the container or from the host. It needs root.
//
//	go test ./integration/                            builds husk with the Makefile's flags
//	HUSK_BINARY=/usr/sbin/runc go test ./integration/ the same tests against another runtime
//
// Tests marked husk-specific (huskOnly) check husk's own identity (version
// text, features ociVersionMax) and are skipped, with the reason, for other
// binaries. Everything else is runc's contract and should pass on runc too;
// see README.md for the known runc 1.1.5 failures.
package integration

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

var (
	huskBin      string // absolute path of the runtime under test
	isHusk       bool   // its --version says "husk version"
	sharedRootfs string // busybox rootfs built once by tests/mkrootfs.sh; never written to
	defaultSpec  []byte // `<binary> spec` output
	repoRoot     string
)

// cmdTimeout bounds every runtime invocation; a hung runtime fails the test
// instead of the whole run.
const cmdTimeout = 60 * time.Second

// Mount points pre-created in the shared rootfs so that tests can mount there
// without writing into it (a missing destination makes the bundle copy the
// rootfs, see needsPrivateRootfs).
var sharedMountPoints = []string{"/mnt/a", "/mnt/b", "/mnt/c", "/mnt/d", "/mnt/e", "/mnt/f", "/mnt/g", "/hostdir"}

func TestMain(m *testing.M) { os.Exit(testMain(m)) }

func testMain(m *testing.M) int {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "integration: these tests create containers and must run as root (sudo go test ./integration/)")
		return 1
	}
	os.Setenv("PATH", os.Getenv("PATH")+":/usr/local/sbin:/usr/sbin:/sbin")
	var err error
	if repoRoot, err = filepath.Abs(".."); err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	work, err := os.MkdirTemp("", "husk-integration-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	defer os.RemoveAll(work)
	// user-namespaced containers run as unprivileged host ids: they must be able to
	// traverse to the rootfs.
	if err := os.Chmod(work, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "integration:", err)
		return 1
	}
	if err := setup(work); err != nil {
		fmt.Fprintln(os.Stderr, "integration: setup:", err)
		return 1
	}
	fmt.Printf("integration: runtime %s (husk=%v), rootfs %s\n", huskBin, isHusk, sharedRootfs)
	return m.Run()
}

func setup(work string) error {
	if b := os.Getenv("HUSK_BINARY"); b != "" {
		p, err := exec.LookPath(b)
		if err != nil {
			return fmt.Errorf("HUSK_BINARY=%s: %w", b, err)
		}
		if huskBin, err = filepath.Abs(p); err != nil {
			return err
		}
	} else {
		// Build once with the Makefile's flags (static, cgo, netgo osusergo).
		huskBin = filepath.Join(work, "husk")
		cmd := exec.Command("make", "--no-print-directory", "-C", repoRoot, "husk", "BINARY="+huskBin)
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("building husk (make husk BINARY=%s): %v\n%s", huskBin, err, out)
		}
	}
	out, err := exec.Command(huskBin, "--version").Output()
	if err != nil {
		return fmt.Errorf("%s --version: %v", huskBin, err)
	}
	isHusk = strings.HasPrefix(string(out), "husk version")

	sharedRootfs = filepath.Join(work, "rootfs")
	if out, err := exec.Command(filepath.Join(repoRoot, "tests", "mkrootfs.sh"), sharedRootfs).CombinedOutput(); err != nil {
		return fmt.Errorf("tests/mkrootfs.sh: %v\n%s", err, out)
	}
	for _, d := range sharedMountPoints {
		if err := os.MkdirAll(filepath.Join(sharedRootfs, d), 0o755); err != nil {
			return err
		}
	}
	specDir := filepath.Join(work, "spec")
	if err := os.Mkdir(specDir, 0o755); err != nil {
		return err
	}
	cmd := exec.Command(huskBin, "spec")
	cmd.Dir = specDir
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%s spec: %v\n%s", huskBin, err, out)
	}
	if defaultSpec, err = os.ReadFile(filepath.Join(specDir, "config.json")); err != nil {
		return err
	}
	var s specs.Spec
	if err := json.Unmarshal(defaultSpec, &s); err != nil {
		return fmt.Errorf("%s spec wrote an invalid config.json: %w", huskBin, err)
	}
	return nil
}

// huskOnly skips a test that checks husk's own identity when another runtime
// is under test.
func huskOnly(t *testing.T, what string) {
	t.Helper()
	if !isHusk {
		t.Skipf("husk-specific (%s); the binary under test, %s, is not husk", what, huskBin)
	}
}

func randHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// env is one test's world: a private --root, a temp dir for bundles, the ids
// it used and a marker put into the environment of every runtime and
// container process it starts, so that leftovers can be found afterwards.
type env struct {
	t        *testing.T
	dir      string
	root     string
	marker   string
	ids      []string
	cgroups  []string // cgroupsPath values the test set (absolute, per hierarchy)
	nBundles int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{t: t, dir: t.TempDir()}
	// traversable for user-namespaced containers (t.TempDir makes 0700 dirs)
	for _, d := range []string{e.dir, filepath.Dir(e.dir)} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	e.root = filepath.Join(e.dir, "state")
	if err := os.Mkdir(e.root, 0o700); err != nil {
		t.Fatal(err)
	}
	e.marker = "HUSK_ITEST=" + randHex(8)
	t.Cleanup(e.cleanup)
	return e
}

// id returns a fresh container id and remembers it for the cleanup checks.
func (e *env) id() string {
	id := "it" + randHex(5)
	e.ids = append(e.ids, id)
	return id
}

type result struct {
	Stdout, Stderr string
	Code           int
	Args           []string
}

func (r result) String() string {
	return fmt.Sprintf("%v: exit %d\nstdout: %q\nstderr: %q", r.Args, r.Code, r.Stdout, r.Stderr)
}

// Combined is stdout and stderr together (error text may go to either).
func (r result) Combined() string { return r.Stdout + r.Stderr }

// cmd prepares `<binary> --root <root> args...` with the marker in its
// environment and the env's dir as working directory.
func (e *env) cmd(args ...string) *exec.Cmd {
	full := append([]string{"--root", e.root}, args...)
	cmd := exec.Command(huskBin, full...)
	cmd.Dir = e.dir
	cmd.Env = append(os.Environ(), e.marker)
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// run executes a prepared command with the standard timeout and captures its
// output unless the caller set Stdout/Stderr. Output goes to files, not
// pipes: a container started by create or run -d inherits the runtime's stdio
// and would keep a pipe open long after the runtime exited.
func (e *env) run(cmd *exec.Cmd) result {
	e.t.Helper()
	var so, se *os.File
	if cmd.Stdout == nil {
		so = e.tempFile("stdout")
		defer so.Close()
		cmd.Stdout = so
	}
	if cmd.Stderr == nil {
		se = e.tempFile("stderr")
		defer se.Close()
		cmd.Stderr = se
	}
	read := func(f *os.File) string {
		if f == nil {
			return ""
		}
		data, _ := os.ReadFile(f.Name())
		return string(data)
	}
	if err := cmd.Start(); err != nil {
		e.t.Fatalf("starting %v: %v", cmd.Args, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(cmdTimeout):
		_ = cmd.Process.Kill()
		<-done
		e.t.Fatalf("%v did not finish within %v\nstdout: %s\nstderr: %s", cmd.Args, cmdTimeout, read(so), read(se))
	}
	r := result{Stdout: read(so), Stderr: read(se), Args: cmd.Args[1:]}
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		r.Code = ee.ExitCode()
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.Code = 128 + int(ws.Signal())
		}
	case errors.Is(err, exec.ErrWaitDelay):
		// output pipe held open by a container process; the runtime exited
		r.Code = cmd.ProcessState.ExitCode()
	default:
		e.t.Fatalf("%v: %v", cmd.Args, err)
	}
	return r
}

func (e *env) tempFile(name string) *os.File {
	e.t.Helper()
	f, err := os.CreateTemp(e.dir, name+".")
	if err != nil {
		e.t.Fatal(err)
	}
	return f
}

// husk runs the runtime and returns what it did.
func (e *env) husk(args ...string) result {
	e.t.Helper()
	return e.run(e.cmd(args...))
}

// mustHusk runs the runtime and fails the test unless it exits 0.
func (e *env) mustHusk(args ...string) result {
	e.t.Helper()
	r := e.husk(args...)
	if r.Code != 0 {
		e.t.Fatalf("unexpected failure: %s", r)
	}
	return r
}

// mustFail runs the runtime, expects a non-zero exit and every one of the
// substrings (case-insensitive) in its stderr+stdout.
func (e *env) mustFail(want []string, args ...string) result {
	e.t.Helper()
	r := e.husk(args...)
	if r.Code == 0 {
		e.t.Fatalf("expected failure, got success: %s", r)
	}
	lc := strings.ToLower(r.Combined())
	for _, w := range want {
		if !strings.Contains(lc, strings.ToLower(w)) {
			e.t.Errorf("error output does not mention %q: %s", w, r)
		}
	}
	return r
}

// hostDir makes a fresh, world-writable directory on the host for a test to
// share with its container.
func (e *env) hostDir(name string) string {
	e.t.Helper()
	d := filepath.Join(e.dir, name)
	if err := os.MkdirAll(d, 0o777); err != nil {
		e.t.Fatal(err)
	}
	if err := os.Chmod(d, 0o777); err != nil {
		e.t.Fatal(err)
	}
	return d
}

// runContainer runs a container in the foreground (`run --bundle B ID`) and
// returns the runtime's result: the container's output and exit status.
func (e *env) runContainer(b *bundle, extra ...string) result {
	e.t.Helper()
	id := e.id()
	a := append([]string{"run", "--bundle", b.Dir}, extra...)
	return e.husk(append(a, id)...)
}

// output runs a container in the foreground, expects exit 0 and returns its
// stdout.
func (e *env) output(mut ...func(*specs.Spec)) string {
	e.t.Helper()
	r := e.runContainer(e.bundle(mut...))
	if r.Code != 0 {
		e.t.Fatalf("container failed: %s", r)
	}
	return r.Stdout
}

// containerState is the runtime's `state` JSON.
type containerState struct {
	OCIVersion  string            `json:"ociVersion"`
	ID          string            `json:"id"`
	Pid         int               `json:"pid"`
	Status      string            `json:"status"`
	Bundle      string            `json:"bundle"`
	Rootfs      string            `json:"rootfs"`
	Created     time.Time         `json:"created"`
	Owner       string            `json:"owner"`
	Annotations map[string]string `json:"annotations"`
}

func (e *env) state(id string) containerState {
	e.t.Helper()
	r := e.mustHusk("state", id)
	var st containerState
	if err := json.Unmarshal([]byte(r.Stdout), &st); err != nil {
		e.t.Fatalf("state %s: invalid JSON: %v\n%s", id, err, r.Stdout)
	}
	return st
}

// waitStatus polls `state` until the container has the status.
func (e *env) waitStatus(id, status string) containerState {
	e.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		st := e.state(id)
		if st.Status == status {
			return st
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("container %s: status %q, waited 10s for %q", id, st.Status, status)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startDetached creates and starts a container (create + start) whose stdio
// goes to files in the env's dir; it returns the id and the stdout file path.
func (e *env) startDetached(b *bundle, createFlags ...string) (id, stdout string) {
	e.t.Helper()
	id = e.id()
	stdout = filepath.Join(e.dir, id+".out")
	f, err := os.Create(stdout)
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	cmd := e.cmd(append(append([]string{"create", "--bundle", b.Dir}, createFlags...), id)...)
	cmd.Stdout, cmd.Stderr = f, f
	if r := e.run(cmd); r.Code != 0 {
		out, _ := os.ReadFile(stdout)
		e.t.Fatalf("create failed: exit %d: %s", r.Code, out)
	}
	e.mustHusk("start", id)
	return id, stdout
}

// destroy kills and deletes a container, failing the test if delete fails.
func (e *env) destroy(id string) {
	e.t.Helper()
	e.husk("kill", id, "KILL")
	e.mustHusk("delete", "--force", id)
}

// waitFile waits until path exists and has content containing want.
func waitFile(t *testing.T, path, want string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		data, err := os.ReadFile(path)
		if err == nil && strings.Contains(string(data), want) {
			return string(data)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: waited 10s for %q, have %q (err %v)", path, want, data, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// withTimeout is a context for helper commands (ip, mount) run by tests.
func withTimeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

// hostRun runs a host command and fails the test when it fails.
func hostRun(t *testing.T, name string, a ...string) string {
	t.Helper()
	ctx, cancel := withTimeout()
	defer cancel()
	out, err := exec.CommandContext(ctx, name, a...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(a, " "), err, out)
	}
	return string(out)
}

// hostRunQuiet runs a host command, ignoring its output.
func hostRunQuiet(name string, a ...string) error {
	ctx, cancel := withTimeout()
	defer cancel()
	return exec.CommandContext(ctx, name, a...).Run()
}
