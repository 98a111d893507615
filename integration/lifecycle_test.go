package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func pidAlive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// state is the field after the parenthesised comm
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || (s[i+2] != 'Z' && s[i+2] != 'X')
}

// withoutLogLines drops the runtime's own logrus lines (warnings) from a
// stderr that the container shares with the runtime.
func withoutLogLines(s string) string {
	var keep []string
	for _, l := range strings.SplitAfter(s, "\n") {
		if !strings.HasPrefix(l, `time="`) || !strings.Contains(l, " level=") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "")
}

func waitDead(t *testing.T, pid int) {
	t.Helper()
	for i := 0; i < 200; i++ {
		if !pidAlive(pid) {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("process %d (%s) still alive after 5s", pid, procCmdline(pid))
}

// create → state created (init blocked, payload not run) → start → running →
// kill → stopped → delete → gone, with the named transition errors between.
func TestLifecycle(t *testing.T) {
	e := newEnv(t)
	hd := e.hostDir("shared")
	b := e.bundle(withBind(hd, "/hostdir"), sh("echo started > /hostdir/started; exec sleep 1000"))
	id := e.id()
	before := time.Now().Add(-2 * time.Second)
	e.mustHusk("create", "--bundle", b.Dir, id)

	st := e.state(id)
	if st.Status != "created" || st.ID != id || st.OCIVersion == "" {
		t.Errorf("state after create: %+v", st)
	}
	if st.Pid <= 0 || !pidAlive(st.Pid) {
		t.Errorf("state after create: pid %d is not a live process", st.Pid)
	}
	if st.Bundle != b.Dir {
		t.Errorf("state bundle = %q, want %q", st.Bundle, b.Dir)
	}
	if st.Rootfs != b.Rootfs {
		t.Errorf("state rootfs = %q, want %q", st.Rootfs, b.Rootfs)
	}
	if st.Created.Before(before) || st.Created.After(time.Now().Add(2*time.Second)) {
		t.Errorf("state created = %v, not the time of create", st.Created)
	}
	var onDisk containerState // runc's layout: <root>/<id>/state.json
	if data, err := os.ReadFile(filepath.Join(e.root, id, "state.json")); err != nil || json.Unmarshal(data, &onDisk) != nil {
		t.Errorf("no valid %s/%s/state.json: %v", e.root, id, err)
	}
	time.Sleep(200 * time.Millisecond)
	if _, err := os.Stat(filepath.Join(hd, "started")); err == nil {
		t.Errorf("the payload ran before start (create must leave the init blocked)")
	}

	e.mustHusk("start", id)
	waitFile(t, filepath.Join(hd, "started"), "started")
	st2 := e.state(id)
	if st2.Status != "running" || st2.Pid != st.Pid {
		t.Errorf("state after start: %+v (pid after create %d)", st2, st.Pid)
	}
	if got := procCmdline(st2.Pid); got != "sleep 1000" {
		t.Errorf("init process runs %q, want the payload %q", got, "sleep 1000")
	}

	e.mustFail([]string{"cannot start", "running"}, "start", id)
	e.mustFail([]string{"running"}, "delete", id)
	if s := e.state(id).Status; s != "running" {
		t.Errorf("after a refused delete the container is %q", s)
	}

	e.mustHusk("kill", id, "KILL")
	e.waitStatus(id, "stopped")
	waitDead(t, st.Pid)
	e.mustFail([]string{"cannot start", "stopped"}, "start", id)
	e.mustFail([]string{"not running"}, "kill", id, "KILL")

	e.mustHusk("delete", id)
	e.mustFail([]string{"does not exist"}, "state", id)
	e.mustFail([]string{"does not exist"}, "delete", id)
	e.mustFail([]string{"does not exist"}, "start", id)
	e.mustHusk("delete", "--force", id) // --force on a missing container succeeds
}

func TestRunExitStatus(t *testing.T) {
	e := newEnv(t)
	for _, code := range []int{0, 1, 42, 255} {
		r := e.runContainer(e.bundle(sh(fmt.Sprintf("exit %d", code))))
		if r.Code != code {
			t.Errorf("container exited %d, run returned: %s", code, r)
		}
	}
	r := e.runContainer(e.bundle(args("sh", "-c", "echo out; echo err >&2")))
	if r.Stdout != "out\n" || withoutLogLines(r.Stderr) != "err\n" || r.Code != 0 {
		t.Errorf("stdio not passed through: %s", r)
	}
}

// runInBackground starts a foreground `run` and returns its id and a channel
// with its result once the container is running.
func (e *env) runInBackground(b *bundle) (string, chan result) {
	e.t.Helper()
	id := e.id()
	ch := make(chan result, 1)
	cmd := e.cmd("run", "--bundle", b.Dir, id)
	go func() { ch <- e.run(cmd) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := e.husk("state", id)
		if r.Code == 0 && strings.Contains(r.Stdout, `"running"`) {
			return id, ch
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("container %s not running after 10s: %s", id, r)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A foreground run killed by signal N returns 128+N.
func TestRunExitStatusSignal(t *testing.T) {
	e := newEnv(t)
	id, ch := e.runInBackground(e.bundle(args("sleep", "1000")))
	e.mustHusk("kill", id, "KILL")
	if r := <-ch; r.Code != 128+9 {
		t.Errorf("run of a container killed by SIGKILL: %s, want exit 137", r)
	}
	// PID 1 of a pid namespace ignores TERM without a handler: use the host's.
	id, ch = e.runInBackground(e.bundle(args("sleep", "1000"), withoutNamespace(specs.PIDNamespace)))
	e.mustHusk("kill", id, "TERM")
	if r := <-ch; r.Code != 128+15 {
		t.Errorf("run of a container killed by SIGTERM: %s, want exit 143", r)
	}
}

func TestRunDetached(t *testing.T) {
	e := newEnv(t)
	b := e.bundle(args("sleep", "1000"))
	id := e.id()
	start := time.Now()
	e.mustHusk("run", "-d", "--bundle", b.Dir, id)
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("run -d took %v", d)
	}
	st := e.state(id)
	if st.Status != "running" || !pidAlive(st.Pid) {
		t.Fatalf("after run -d: %+v", st)
	}
	e.destroy(id)
	waitDead(t, st.Pid)
}

// --pid-file is relative to the caller's cwd and holds the init's pid.
func TestPidFile(t *testing.T) {
	e := newEnv(t)
	b := e.bundle(args("sleep", "1000"))
	cwd := e.hostDir("cwd")
	for _, mode := range []string{"create", "run-d"} {
		id := e.id()
		var cmd []string
		if mode == "create" {
			cmd = []string{"create", "--pid-file", "init.pid", "--bundle", b.Dir, id}
		} else {
			cmd = []string{"run", "-d", "--pid-file", "init.pid", "--bundle", b.Dir, id}
		}
		c := e.cmd(cmd...)
		c.Dir = cwd
		if r := e.run(c); r.Code != 0 {
			t.Fatalf("%s", r)
		}
		data, err := os.ReadFile(filepath.Join(cwd, "init.pid"))
		if err != nil {
			t.Fatalf("%s: pid file not written relative to the caller's cwd: %v", mode, err)
		}
		pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
		if err != nil || pid != e.state(id).Pid {
			t.Errorf("%s: pid file %q, state pid %d", mode, data, e.state(id).Pid)
		}
		os.Remove(filepath.Join(cwd, "init.pid"))
		e.destroy(id)
	}
}

// `run --keep` leaves the stopped container for `state` and `delete`.
func TestRunKeep(t *testing.T) {
	e := newEnv(t)
	b := e.bundle(sh("exit 3"))
	id := e.id()
	if r := e.husk("run", "--keep", "--bundle", b.Dir, id); r.Code != 3 {
		t.Errorf("run --keep: %s, want exit 3", r)
	}
	if st := e.state(id); st.Status != "stopped" {
		t.Errorf("after run --keep: status %q, want stopped", st.Status)
	}
	e.mustHusk("delete", id)
	// without --keep nothing remains
	id2 := e.id()
	e.husk("run", "--bundle", b.Dir, id2)
	e.mustFail([]string{"does not exist"}, "state", id2)
}

// -b/--bundle, and the bundle defaults to the current directory.
func TestBundleFlag(t *testing.T) {
	e := newEnv(t)
	b := e.bundle(args("echo", "hello"))
	if r := e.mustHusk("run", "-b", b.Dir, e.id()); r.Stdout != "hello\n" {
		t.Errorf("run -b: %s", r)
	}
	c := e.cmd("run", e.id())
	c.Dir = b.Dir
	if r := e.run(c); r.Code != 0 || r.Stdout != "hello\n" {
		t.Errorf("run from the bundle dir without --bundle: %s", r)
	}
}

func TestList(t *testing.T) {
	e := newEnv(t)
	r := e.mustHusk("list")
	if f := strings.Fields(r.Stdout); strings.Join(f, " ") != "ID PID STATUS BUNDLE CREATED OWNER" {
		t.Errorf("list with no containers: %q, want only the header", r.Stdout)
	}
	if r := e.mustHusk("list", "-q"); strings.TrimSpace(r.Stdout) != "" {
		t.Errorf("list -q with no containers: %q", r.Stdout)
	}
	if r := e.mustHusk("list", "--format", "json"); strings.TrimSpace(r.Stdout) != "null" && strings.TrimSpace(r.Stdout) != "[]" {
		t.Errorf("list --format json with no containers: %q, want null or []", r.Stdout)
	}

	b := e.bundle(args("sleep", "1000"))
	idC := e.id()
	e.mustHusk("create", "--bundle", b.Dir, idC)
	idR, _ := e.startDetached(b)
	want := map[string]string{idC: "created", idR: "running"}

	lines := strings.Split(strings.TrimSpace(e.mustHusk("list").Stdout), "\n")
	if len(lines) != 3 || strings.Join(strings.Fields(lines[0]), " ") != "ID PID STATUS BUNDLE CREATED OWNER" {
		t.Fatalf("list: %q", lines)
	}
	for _, l := range lines[1:] {
		f := strings.Fields(l)
		if len(f) < 5 || want[f[0]] == "" {
			t.Errorf("list row %q", l)
			continue
		}
		st := e.state(f[0])
		if f[1] != strconv.Itoa(st.Pid) || f[2] != want[f[0]] || f[3] != b.Dir {
			t.Errorf("list row %q; state %+v", l, st)
		}
		if _, err := time.Parse(time.RFC3339Nano, f[4]); err != nil {
			t.Errorf("list row %q: CREATED is not RFC 3339: %v", l, err)
		}
	}

	q := strings.Fields(e.mustHusk("list", "-q").Stdout)
	sort.Strings(q)
	exp := []string{idC, idR}
	sort.Strings(exp)
	if strings.Join(q, " ") != strings.Join(exp, " ") {
		t.Errorf("list -q = %q, want %q", q, exp)
	}

	var js []containerState
	if err := json.Unmarshal([]byte(e.mustHusk("list", "--format", "json").Stdout), &js); err != nil {
		t.Fatalf("list --format json: %v", err)
	}
	if len(js) != 2 {
		t.Errorf("list --format json: %d entries, want 2", len(js))
	}
	for _, c := range js {
		if want[c.ID] != c.Status || c.Bundle != b.Dir || c.Pid <= 0 {
			t.Errorf("list --format json entry %+v", c)
		}
	}
	e.destroy(idC)
	e.destroy(idR)
}

// An explicit --root that does not exist is an error for list (runc >= 1.2).
func TestListMissingRoot(t *testing.T) {
	e := newEnv(t)
	c := e.cmd("list")
	c.Args = []string{huskBin, "--root", filepath.Join(e.dir, "nonexistent"), "list"}
	if r := e.run(c); r.Code == 0 {
		t.Errorf("list with a non-existent explicit --root succeeded: %s", r)
	}
}

func TestKillSignals(t *testing.T) {
	e := newEnv(t)
	hd := e.hostDir("shared")
	// The signals are recorded by a Go program (tests/sysprobe): busybox
	// sh's traps lost a signal now and then on a loaded machine.
	id, _ := e.startDetached(e.bundle(withBind(hd, "/hostdir"), probe(t, "signals", "/hostdir")))
	waitFile(t, filepath.Join(hd, "ready"), "ready")
	sigs := filepath.Join(hd, "sigs")
	steps := []struct {
		args []string
		want string
	}{
		{nil, "TERM\n"}, // default signal
		{[]string{"USR1"}, "TERM\nUSR1\n"},
		{[]string{"SIGHUP"}, "TERM\nUSR1\nHUP\n"},
		{[]string{"12"}, "TERM\nUSR1\nHUP\nUSR2\n"}, // SIGUSR2 on x86-64
	}
	for _, s := range steps {
		e.mustHusk(append([]string{"kill", id}, s.args...)...)
		if got := waitFile(t, sigs, s.want); got != s.want {
			t.Errorf("after kill %v: signals seen %q, want %q", s.args, got, s.want)
		}
	}
	e.mustFail([]string{"FOO"}, "kill", id, "FOO")
	if s := e.state(id).Status; s != "running" {
		t.Errorf("container %s after an unknown signal", s)
	}
	e.mustHusk("kill", id, "9")
	e.waitStatus(id, "stopped")
	e.mustHusk("delete", id)
}

// kill -a signals every process of a container that shares the host's pid
// namespace.
func TestKillAll(t *testing.T) {
	e := newEnv(t)
	hd := e.hostDir("shared")
	b := e.bundle(withBind(hd, "/hostdir"), withoutNamespace(specs.PIDNamespace),
		sh("sleep 1000 & sleep 1000 & echo ready > /hostdir/ready; wait"))
	id, _ := e.startDetached(b)
	waitFile(t, filepath.Join(hd, "ready"), "ready")
	// A forked child execs sleep a moment after the shell went on.
	var payload []int
	for deadline := time.Now().Add(5 * time.Second); len(payload) != 2 && time.Now().Before(deadline); {
		payload = payload[:0]
		for _, p := range markedProcs(e.marker) {
			if strings.HasPrefix(procCmdline(p), "sleep") {
				payload = append(payload, p)
			}
		}
		if len(payload) != 2 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if len(payload) != 2 {
		t.Fatalf("expected 2 sleep processes, found %v", payload)
	}
	e.mustHusk("kill", "-a", id, "KILL")
	for _, p := range payload {
		waitDead(t, p)
	}
	e.waitStatus(id, "stopped")
	e.mustHusk("delete", id)
}

func TestDeleteForce(t *testing.T) {
	e := newEnv(t)
	b := e.bundle(args("sleep", "1000"))
	for _, start := range []bool{true, false} {
		id := e.id()
		e.mustHusk("create", "--bundle", b.Dir, id)
		if start {
			e.mustHusk("start", id)
		}
		pid := e.state(id).Pid
		if start {
			e.mustFail([]string{"running"}, "delete", id)
		}
		e.mustHusk("delete", "-f", id)
		waitDead(t, pid)
		e.mustFail([]string{"does not exist"}, "state", id)
	}
}

// The init exits or is killed with no runtime process watching: state says
// stopped and a plain delete cleans up.
func TestDeleteAfterInitDied(t *testing.T) {
	e := newEnv(t)
	id, _ := e.startDetached(e.bundle(args("true")))
	e.waitStatus(id, "stopped")
	e.mustHusk("delete", id)

	id, _ = e.startDetached(e.bundle(args("sleep", "1000")))
	pid := e.state(id).Pid
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	e.waitStatus(id, "stopped")
	e.mustHusk("delete", id)
}

// Signals sent to a foreground `run` or `exec` reach the container's
// process (as runc forwards them); SIGWINCH is not forwarded.
func TestForegroundForwardsSignals(t *testing.T) {
	e := newEnv(t)
	const script = `trap 'echo got USR1' USR1; trap 'echo got WINCH' WINCH; trap 'echo got TERM; exit 3' TERM; touch /hostdir/ready; while :; do sleep 0.05; done`
	check := func(what, hd string, c *exec.Cmd) {
		out := filepath.Join(hd, "out")
		f, err := os.Create(out)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		c.Stdout = f
		ch := make(chan result, 1)
		go func() { ch <- e.run(c) }()
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			if _, err := os.Stat(filepath.Join(hd, "ready")); err == nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: the container did not get ready", what)
			}
		}
		for _, sig := range []syscall.Signal{syscall.SIGUSR1, syscall.SIGWINCH, syscall.SIGTERM} {
			time.Sleep(100 * time.Millisecond)
			if err := c.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
		}
		r := <-ch
		data, _ := os.ReadFile(out)
		if r.Code != 3 || string(data) != "got USR1\ngot TERM\n" {
			t.Errorf("%s: signals USR1, WINCH, TERM to the runtime: exit %d, container printed %q; want exit 3, USR1 and TERM only", what, r.Code, data)
		}
	}
	hd := e.hostDir("run")
	check("run", hd, e.cmd("run", "--bundle", e.bundle(withBind(hd, "/hostdir"), sh(script)).Dir, e.id()))
	hd2 := e.hostDir("exec")
	id, _ := e.startDetached(e.bundle(withBind(hd2, "/hostdir"), args("sleep", "1000")))
	defer e.destroy(id)
	check("exec", hd2, e.cmd("exec", id, "sh", "-c", script))
}
