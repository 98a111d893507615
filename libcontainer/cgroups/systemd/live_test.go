package systemd

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

// TestLive talks to the host's systemd (HUSK_SYSTEMD_LIVE=1 only): a
// scope with a sleep in it is started, changed and stopped.
func TestLive(t *testing.T) {
	if os.Getenv("HUSK_SYSTEMD_LIVE") != "1" || !Running() {
		t.Skip("HUSK_SYSTEMD_LIVE=1 on a systemd host only")
	}
	cmd := exec.Command("sleep", "100")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	c, err := dialBus(time.Now().Add(10 * time.Second))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.subscribe(); err != nil {
		t.Fatal("subscribe:", err)
	}
	c.Close()
	if err := startScope("husk-live-test.scope", "system.slice", "husk live test", cmd.Process.Pid, nil, "TasksAccounting"); err != nil {
		t.Fatal(err)
	}
	defer stopScope("husk-live-test.scope")
	if err := setProperties("husk-live-test.scope", []property{{"TasksMax", uint64(55)}}); err != nil {
		t.Fatal(err)
	}
	out, _ := exec.Command("systemctl", "show", "-p", "TasksMax", "--value", "husk-live-test.scope").Output()
	if string(out) != "55\n" {
		t.Errorf("TasksMax %q", out)
	}
}
