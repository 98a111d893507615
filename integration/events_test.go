package integration

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// events --stats prints one stats event in runc's schema, with the
// container's pids and memory limit in it.
func TestEventsStats(t *testing.T) {
	e := newEnv(t)
	limit, pids := int64(48<<20), int64(40)
	b := e.bundle(args("sleep", "1000"), func(s *specs.Spec) {
		s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &limit}
		s.Linux.Resources.Pids = &specs.LinuxPids{Limit: &pids}
	})
	id, _ := e.startDetached(b)
	out := e.mustHusk("events", "--stats", id).Stdout
	var ev struct {
		Type string `json:"type"`
		ID   string `json:"id"`
		Data struct {
			CPU    struct{ Usage struct{ Total uint64 } } `json:"cpu"`
			Memory struct {
				Usage struct{ Limit, Usage uint64 } `json:"usage"`
			} `json:"memory"`
			Pids struct{ Current, Limit uint64 } `json:"pids"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(out), &ev); err != nil || strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Fatalf("events --stats: %v: %q", err, out)
	}
	if ev.Type != "stats" || ev.ID != id || ev.Data.Pids.Current != 1 || ev.Data.Pids.Limit != 40 ||
		ev.Data.Memory.Usage.Limit != 48<<20 || ev.Data.Memory.Usage.Usage == 0 || ev.Data.CPU.Usage.Total == 0 {
		t.Errorf("events --stats: %+v", ev)
	}
	e.destroy(id)
	e.mustFail([]string{"does not exist"}, "events", "--stats", id)
}

// events streams stats every --interval and an oom event when the OOM
// killer kills a process of the container; it ends when the container is
// deleted.
func TestEventsStreamAndOOM(t *testing.T) {
	e := newEnv(t)
	hd := e.hostDir("oom")
	limit := int64(32 << 20)
	b := e.bundle(withBind(hd, "/hostdir"), func(s *specs.Spec) {
		s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &limit, Swap: &limit}
	}, sh("while [ ! -e /hostdir/go ]; do sleep 0.05; done; dd if=/dev/zero of=/dev/null bs=100M count=1; sleep 1000"))
	id, _ := e.startDetached(b)
	cmd := e.cmd("events", "--interval", "200ms", id)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	types := map[string]int{}
	deadline := time.After(10 * time.Second)
	// The payload allocates only once events has reported, so the oom
	// cannot fall before events has read its baseline (a slow guest may
	// take longer than any fixed delay to get there).
	released := false
wait:
	for types["oom"] == 0 || types["stats"] < 2 {
		select {
		case l, ok := <-lines:
			if !ok {
				break wait
			}
			var ev struct{ Type, ID string }
			if err := json.Unmarshal([]byte(l), &ev); err != nil || ev.ID != id {
				t.Fatalf("event line %q: %v", l, err)
			}
			types[ev.Type]++
			if !released {
				released = true
				if err := os.WriteFile(hd+"/go", nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		case <-deadline:
			break wait
		}
	}
	if types["stats"] < 2 || types["oom"] == 0 {
		t.Errorf("events: got %v, want at least 2 stats and an oom", types)
	}
	e.destroy(id)
	done := make(chan error, 1)
	go func() {
		for range lines {
		}
		done <- cmd.Wait()
	}()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("events after delete: %v", err)
		}
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		t.Error("events did not end after the container was deleted")
	}
}
