package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// sdHost is a host with systemd as init: pure cgroup v2 (the
// CGV2_VM_INIT=systemd lane of tests/cgv2.sh), or cgroup v1 with the
// name=systemd hierarchy (hybrid or legacy).
type sdHost struct {
	v2 bool
	// dir returns the scope's directory in the hierarchy of ctrl ("" for
	// the cgroup2 one); ok false when that hierarchy is not mounted.
	dir func(ctrl, unit string) (string, bool)
}

// systemdHost skips unless systemd is the host's init.
func systemdHost(t *testing.T) sdHost {
	t.Helper()
	if _, err := os.Stat("/run/systemd/system"); err != nil {
		t.Skip("needs systemd as init (tests/cgv2.sh with CGV2_VM_INIT=systemd)")
	}
	if v2, ok := pureV2(); ok {
		if _, v1 := v1Hierarchy("name=systemd"); !v1 {
			return sdHost{v2: true, dir: func(ctrl, unit string) (string, bool) {
				return filepath.Join(v2.Mount, "system.slice", unit), true
			}}
		}
	}
	if _, ok := v1Hierarchy("name=systemd"); !ok {
		t.Skip("systemd on a cgroup v1 host without the name=systemd hierarchy")
	}
	return sdHost{dir: func(ctrl, unit string) (string, bool) {
		var h cgroupHierarchy
		ok := false
		if ctrl == "" {
			for _, x := range cgroupHierarchies() {
				if x.Ctrls == "" {
					h, ok = x, true
				}
			}
		} else {
			h, ok = v1Hierarchy(ctrl)
		}
		return filepath.Join(h.Mount, "system.slice", unit), ok
	}}
}

func unitProperty(t *testing.T, unit, prop string) string {
	t.Helper()
	out, _ := exec.Command("systemctl", "show", "-p", prop, "--value", unit).Output()
	return strings.TrimSpace(string(out))
}

// --systemd-cgroup: the container is a transient scope (slice:prefix:name)
// with its limits as unit properties and in the cgroup files, the payload
// runs in it from the start (on v1: in every hierarchy, those systemd
// manages and those husk makes), exec joins it, pause/update/ps/events
// work on it after a reload from the state file, and delete removes the
// unit and every directory.
func TestSystemdCgroup(t *testing.T) {
	h := systemdHost(t)
	e := newEnv(t)
	id := e.id()
	unit := "husk-it-" + id + ".scope"
	limit, pids := int64(48<<20), int64(33)
	memDir, hasMem := h.dir("memory", unit)
	pidsDir, hasPids := h.dir("pids", unit)
	if h.v2 {
		memDir, pidsDir = filepath.Join(memDir, "memory.max"), filepath.Join(pidsDir, "pids.max")
	} else {
		memDir, pidsDir = filepath.Join(memDir, "memory.limit_in_bytes"), filepath.Join(pidsDir, "pids.max")
	}
	b := e.bundle(withoutNamespace(specs.CgroupNamespace), args("sh", "-c", "cat /proc/self/cgroup; echo END; sleep 1000"), func(s *specs.Spec) {
		s.Linux.CgroupsPath = "system.slice:husk-it:" + id
		if hasMem {
			s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &limit}
		}
		if hasPids {
			s.Linux.Resources.Pids = &specs.LinuxPids{Limit: &pids}
		}
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
	// Every hierarchy's line (v2: the one) names the scope.
	inScope := func(what, got string) {
		t.Helper()
		lines := strings.Split(strings.TrimSpace(got), "\n")
		for _, l := range lines {
			if !strings.HasSuffix(l, ":/system.slice/"+unit) {
				t.Errorf("%s's cgroups:\n%s\nwant every line in /system.slice/%s", what, got, unit)
				return
			}
		}
		if h.v2 && len(lines) != 1 {
			t.Errorf("%s's cgroups: %q", what, got)
		}
	}
	inScope("the payload", strings.TrimSuffix(waitFile(t, out, "END\n"), "END\n"))
	if s := unitProperty(t, unit, "ActiveState"); s != "active" {
		t.Errorf("unit %s: ActiveState %q", unit, s)
	}
	if hasMem {
		prop := "MemoryMax"
		if !h.v2 {
			prop = "MemoryLimit"
		}
		if got := unitProperty(t, unit, prop); got != "50331648" {
			t.Errorf("unit %s %q, want 50331648", prop, got)
		}
		if got := readTrim(t, memDir); got != "50331648" {
			t.Errorf("%s %q", memDir, got)
		}
	}
	if hasPids {
		if got := readTrim(t, pidsDir); got != "33" {
			t.Errorf("pids.max %q", got)
		}
	}
	inScope("exec", e.mustHusk("--systemd-cgroup", "exec", id, "cat", "/proc/self/cgroup").Stdout)
	// Commands that load the manager from the state file.
	e.mustHusk("--systemd-cgroup", "pause", id)
	e.waitStatus(id, "paused")
	e.mustHusk("--systemd-cgroup", "resume", id)
	e.waitStatus(id, "running")
	if ps := e.mustHusk("--systemd-cgroup", "ps", id).Stdout; !strings.Contains(ps, "sleep") {
		t.Errorf("ps: %q", ps)
	}
	if ev := e.mustHusk("--systemd-cgroup", "events", "--stats", id).Stdout; !strings.Contains(ev, `"type":"stats"`) {
		t.Errorf("events --stats: %q", ev)
	}
	if hasPids {
		e.mustHusk("--systemd-cgroup", "update", id, "--pids-limit", "44")
		if got := readTrim(t, pidsDir); got != "44" {
			t.Errorf("pids.max after update %q", got)
		}
		if got := unitProperty(t, unit, "TasksMax"); !h.v2 && got != "44" {
			t.Errorf("unit TasksMax after update %q", got)
		}
	}
	e.mustHusk("--systemd-cgroup", "kill", id, "KILL")
	e.waitStatus(id, "stopped")
	e.mustHusk("--systemd-cgroup", "delete", id)
	if s := unitProperty(t, unit, "LoadState"); s != "not-found" {
		t.Errorf("unit %s after delete: LoadState %q, want not-found", unit, s)
	}
	for _, x := range cgroupHierarchies() {
		dir := filepath.Join(x.Mount, "system.slice", unit)
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("%s left after delete", dir)
		}
	}
}

// A resource whose controller the host lacks is refused naming the field,
// before any unit exists.
func TestSystemdCgroupMissingController(t *testing.T) {
	h := systemdHost(t)
	if _, ok := h.dir("memory", "x"); ok {
		t.Skip("the memory controller is there")
	}
	e := newEnv(t)
	id := e.id()
	limit := int64(48 << 20)
	b := e.bundle(args("true"), func(s *specs.Spec) {
		s.Linux.CgroupsPath = "system.slice:husk-it:" + id
		s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &limit}
	})
	r := e.husk("--systemd-cgroup", "run", "--bundle", b.Dir, id)
	if r.Code == 0 || !strings.Contains(r.Stderr, "linux.resources.memory") {
		t.Errorf("memory limit without the memory controller: exit %d, %q", r.Code, r.Stderr)
	}
	if s := unitProperty(t, "husk-it-"+id+".scope", "LoadState"); s != "not-found" {
		t.Errorf("unit after the refusal: LoadState %q", s)
	}
}
