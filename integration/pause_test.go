package integration

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// readCount reads the counter the payload keeps in the host dir.
func readCount(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(data))
}

// pause freezes the container: a busy loop stops counting, the status is
// paused, exec is refused unless --ignore-paused; resume lets it count
// again; a paused container can be deleted with --force.
func TestPauseResume(t *testing.T) {
	e := newEnv(t)
	hd := e.hostDir("count")
	count := filepath.Join(hd, "count")
	b := e.bundle(withBind(hd, "/hostdir"), sh(`i=0; while :; do i=$((i+1)); echo $i > /hostdir/count.tmp; mv /hostdir/count.tmp /hostdir/count; done`))
	id, _ := e.startDetached(b)
	waitFile(t, count, "")
	e.mustHusk("pause", id)
	if s := e.state(id).Status; s != "paused" {
		t.Fatalf("status after pause: %q", s)
	}
	before := readCount(t, count)
	time.Sleep(300 * time.Millisecond)
	if after := readCount(t, count); after != before {
		t.Errorf("the paused container kept running: count %s -> %s", before, after)
	}
	e.mustFail([]string{"paused"}, "exec", id, "true")
	// --ignore-paused: the process joins the frozen container and runs
	// once it is resumed; a detached exec returns at once.
	e.mustHusk("exec", "-d", "--ignore-paused", id, "sh", "-c", "echo ran > /hostdir/exec")
	time.Sleep(200 * time.Millisecond)
	if _, err := os.Stat(filepath.Join(hd, "exec")); err == nil {
		t.Error("a process exec'd into a paused container ran before resume")
	}
	e.mustHusk("resume", id)
	if s := e.state(id).Status; s != "running" {
		t.Fatalf("status after resume: %q", s)
	}
	before = readCount(t, count)
	deadline := time.Now().Add(5 * time.Second)
	for readCount(t, count) == before {
		if time.Now().After(deadline) {
			t.Fatal("the resumed container does not run")
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.mustFail([]string{"container not paused"}, "resume", id)
	waitFile(t, filepath.Join(hd, "exec"), "ran")
	// A paused container needs --force to be deleted.
	e.mustHusk("pause", id)
	e.mustFail([]string{"not stopped"}, "delete", id)
	e.mustHusk("delete", "--force", id)
	e.mustFail([]string{"does not exist"}, "state", id)
}

// pause of a stopped container fails as runc's does.
func TestPauseStopped(t *testing.T) {
	e := newEnv(t)
	id, _ := e.startDetached(e.bundle(sh("exit 0")))
	e.waitStatus(id, "stopped")
	e.mustFail([]string{"container not running or created: stopped"}, "pause", id)
	e.mustHusk("delete", id)
}
