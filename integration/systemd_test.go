package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// systemdHost skips unless the host runs systemd on pure cgroup v2 (the
// CGV2_VM_INIT=systemd lane of tests/cgv2.sh).
func systemdHost(t *testing.T) cgroupHierarchy {
	t.Helper()
	v2, ok := pureV2()
	if _, err := os.Stat("/run/systemd/system"); err != nil || !ok {
		t.Skip("needs systemd as init on a pure cgroup v2 host (tests/cgv2.sh with CGV2_VM_INIT=systemd)")
	}
	return v2
}

func unitProperty(t *testing.T, unit, prop string) string {
	t.Helper()
	out, _ := exec.Command("systemctl", "show", "-p", prop, "--value", unit).Output()
	return strings.TrimSpace(string(out))
}

// --systemd-cgroup: the container is a transient scope (slice:prefix:name)
// with its limits as unit properties and in the cgroup files, the payload
// runs in it from the start, exec joins it, and delete removes the unit.
func TestSystemdCgroup(t *testing.T) {
	v2 := systemdHost(t)
	e := newEnv(t)
	id := e.id()
	unit := "husk-it-" + id + ".scope"
	limit, pids := int64(48<<20), int64(33)
	b := e.bundle(withoutNamespace(specs.CgroupNamespace), args("sh", "-c", "cat /proc/self/cgroup; sleep 1000"), func(s *specs.Spec) {
		s.Linux.CgroupsPath = "system.slice:husk-it:" + id
		s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &limit}
		s.Linux.Resources.Pids = &specs.LinuxPids{Limit: &pids}
	})
	out := filepath.Join(e.dir, id+".out")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	c := e.cmd("--systemd-cgroup", "create", "--bundle", b.Dir, id)
	c.Stdout, c.Stderr = f, f
	if r := e.run(c); r.Code != 0 {
		data, _ := os.ReadFile(out)
		t.Fatalf("create --systemd-cgroup: exit %d: %s", r.Code, data)
	}
	f.Close()
	defer e.husk("--systemd-cgroup", "delete", "--force", id)
	e.mustHusk("--systemd-cgroup", "start", id)
	want := "0::/system.slice/" + unit
	if got := waitFile(t, out, "\n"); strings.TrimSpace(got) != want {
		t.Errorf("the payload's cgroup: %q, want %q", got, want)
	}
	if s := unitProperty(t, unit, "ActiveState"); s != "active" {
		t.Errorf("unit %s: ActiveState %q", unit, s)
	}
	if got := unitProperty(t, unit, "MemoryMax"); got != "50331648" {
		t.Errorf("unit MemoryMax %q, want 50331648", got)
	}
	dir := filepath.Join(v2.Mount, "system.slice", unit)
	if got := readTrim(t, filepath.Join(dir, "pids.max")); got != "33" {
		t.Errorf("pids.max %q", got)
	}
	if got := e.mustHusk("--systemd-cgroup", "exec", id, "cat", "/proc/self/cgroup").Stdout; strings.TrimSpace(got) != want {
		t.Errorf("exec's cgroup: %q, want %q", got, want)
	}
	e.mustHusk("--systemd-cgroup", "update", id, "--pids-limit", "44")
	if got := readTrim(t, filepath.Join(dir, "pids.max")); got != "44" {
		t.Errorf("pids.max after update %q", got)
	}
	e.mustHusk("--systemd-cgroup", "kill", id, "KILL")
	e.waitStatus(id, "stopped")
	e.mustHusk("--systemd-cgroup", "delete", id)
	if s := unitProperty(t, unit, "LoadState"); s != "not-found" {
		t.Errorf("unit %s after delete: LoadState %q, want not-found", unit, s)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("%s left after delete", dir)
	}
}
