package integration

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ps lists the container's processes: ps -ef's table filtered by the PID
// column, extra arguments after the id go to ps, --format json gives the
// pids; a stopped container has none.
func TestPs(t *testing.T) {
	e := newEnv(t)
	hd := e.hostDir("ps")
	id, _ := e.startDetached(e.bundle(withBind(hd, "/hostdir"), withoutNamespace(specs.PIDNamespace),
		sh("sleep 1000 & echo ready > /hostdir/ready; wait")))
	waitFile(t, hd+"/ready", "ready")
	init := e.state(id).Pid
	var pids []int
	if err := json.Unmarshal([]byte(e.mustHusk("ps", "--format", "json", id).Stdout), &pids); err != nil {
		t.Fatal(err)
	}
	if len(pids) != 2 || (pids[0] != init && pids[1] != init) {
		t.Errorf("ps --format json: %v, want the init %d and its sleep", pids, init)
	}
	out := e.mustHusk("ps", id).Stdout
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "UID") || !strings.Contains(lines[0], "PID") {
		t.Errorf("ps table: %q, want the ps -ef header and 2 processes", out)
	}
	if !strings.Contains(out, " "+strconv.Itoa(init)+" ") || !strings.Contains(out, "sleep 1000") {
		t.Errorf("ps table lacks the init or the sleep: %q", out)
	}
	out = e.mustHusk("ps", id, "-o", "pid,comm").Stdout
	if !strings.HasPrefix(strings.TrimSpace(out), "PID COMMAND") || !strings.Contains(out, "sleep") {
		t.Errorf("ps ID -o pid,comm: %q", out)
	}
	e.mustFail([]string{"invalid format option"}, "ps", "--format", "yaml", id)
	e.husk("kill", "-a", id, "KILL")
	e.waitStatus(id, "stopped")
	// The init is dead; its killed children may take a moment to leave
	// the cgroup on a loaded machine.
	deadline := time.Now().Add(5 * time.Second)
	for {
		out := e.mustHusk("ps", "-f", "json", id).Stdout
		if strings.TrimSpace(out) == "[]" {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("ps of a stopped container, 5s after the kill: %q", out)
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.mustHusk("delete", id)
}
