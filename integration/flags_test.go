package integration

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// create/run flags that engines pass: --no-new-keyring, --pidfd-socket,
// LISTEN_FDS (socket activation) and exec --cgroup; commands on one id are
// serialized.

func TestNoNewKeyring(t *testing.T) {
	e := newEnv(t)
	b := e.bundle(args("echo", "ok"))
	if r := e.husk("run", "--no-new-keyring", "--bundle", b.Dir, e.id()); r.Code != 0 || r.Stdout != "ok\n" {
		t.Errorf("run --no-new-keyring: %s", r)
	}
	id := e.id()
	e.mustHusk("create", "--no-new-keyring", "--bundle", b.Dir, id)
	e.mustHusk("delete", "-f", id)
}

// --pidfd-socket: a pidfd of the container's init arrives over the socket
// (SCM_RIGHTS), as with the console socket.
func TestPidfdSocket(t *testing.T) {
	e := newEnv(t)
	b := e.bundle(args("sleep", "1000"))
	sock := e.consoleSocket()
	id := e.id()
	e.mustHusk("create", "--pidfd-socket", sock.Path, "--bundle", b.Dir, id)
	f := sock.master(t)
	info, err := os.ReadFile(fmt.Sprintf("/proc/self/fdinfo/%d", f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("Pid:\t%d\n", e.state(id).Pid)
	if !strings.Contains(string(info), want) {
		t.Errorf("received fd is not a pidfd of the init (want %q):\n%s", want, info)
	}
	e.mustHusk("delete", "-f", id)
}

// LISTEN_FDS: with socket activation the runtime passes fds 3.. and sets
// LISTEN_FDS / LISTEN_PID=1 for the container process.
func TestListenFds(t *testing.T) {
	e := newEnv(t)
	b := e.bundle(sh(`echo "$LISTEN_FDS $LISTEN_PID"; cat <&3`))
	data := filepath.Join(e.dir, "activation")
	os.WriteFile(data, []byte("activated\n"), 0o644)
	// LISTEN_PID must be the runtime's own pid: exec from a shell keeps it.
	cmd := exec.Command("sh", "-c", `LISTEN_FDS=1 LISTEN_PID=$$ exec "$0" "$@" 3<"$ACT"`,
		huskBin, "--root", e.root, "run", "--bundle", b.Dir, e.id())
	cmd.Env = append(os.Environ(), e.marker, "ACT="+data)
	cmd.Dir = e.dir
	r := e.run(cmd)
	if r.Code != 0 || r.Stdout != "1 1\nactivated\n" {
		t.Errorf("socket activation: %s", r)
	}
}

// exec --cgroup: a sub-cgroup of the container, for all controllers or one
// (v1 ctrl:path); ".." is refused.
func TestExecCgroup(t *testing.T) {
	pids, v1 := v1Hierarchy("pids")
	_, v2 := pureV2()
	if !v1 && !v2 {
		t.Skip("neither a cgroup v1 pids hierarchy nor a pure cgroup v2 host")
	}
	e := newEnv(t)
	id := e.running()
	own := procCgroups(t, e.state(id).Pid)
	var subs []string
	for _, h := range cgroupHierarchies() {
		d := filepath.Join(h.Mount, own[h.Ctrls], "sub")
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
		subs = append(subs, d)
		if strings.Contains(","+h.Ctrls+",", ",cpuset,") { // v1 cpuset: a new cgroup starts empty
			for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
				v, _ := os.ReadFile(filepath.Join(filepath.Dir(d), f))
				if err := os.WriteFile(filepath.Join(d, f), v, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	t.Cleanup(func() {
		for _, d := range subs {
			os.Remove(d)
		}
	})
	if v1 {
		out := e.mustHusk("exec", "--cgroup", "pids:sub", id, "cat", "/proc/self/cgroup").Stdout
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			p := strings.SplitN(l, ":", 3)
			if len(p) != 3 {
				continue
			}
			wantSub := p[1] == pids.Ctrls
			if strings.HasSuffix(p[2], "/sub") != wantSub {
				t.Errorf("exec --cgroup pids:sub: %q", l)
			}
		}
	}
	out := e.mustHusk("exec", "--cgroup", "sub", id, "cat", "/proc/self/cgroup").Stdout
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		if !strings.HasSuffix(l, "/sub") {
			t.Errorf("exec --cgroup sub: %q not in the sub-cgroup", l)
		}
	}
	prefix := "pids:"
	if !v1 {
		prefix = ""
	}
	e.mustFail([]string{"sub"}, "exec", "--cgroup", prefix+"../escape", id, "true")
	e.mustFail([]string{"no-such-sub"}, "exec", "--cgroup", prefix+"no-such-sub", id, "true")
	e.destroy(id)
	for _, d := range subs {
		if _, err := os.Stat(d); err == nil {
			t.Errorf("sub-cgroup %s left after delete", d)
		}
	}
}

// Concurrent creates of one id: exactly one wins, the others say it exists.
func TestConcurrentCreateSameID(t *testing.T) {
	e := newEnv(t)
	b := e.bundle(args("sleep", "1000"))
	id := e.id()
	const n = 6
	results := make([]result, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			results[i] = e.husk("create", "--bundle", b.Dir, id)
		}(i)
	}
	wg.Wait()
	won := 0
	for _, r := range results {
		if r.Code == 0 {
			won++
		} else if !strings.Contains(r.Stderr, "already exists") {
			t.Errorf("losing create: %s, want \"already exists\"", r)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d concurrent creates of one id succeeded, want 1", won, n)
	}
	if st := e.state(id); st.Status != "created" || !pidAlive(st.Pid) {
		t.Errorf("after the race: %+v", st)
	}
	e.mustHusk("delete", "-f", id)
}
