package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func readTrim(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("%v", err)
		return ""
	}
	return strings.TrimSpace(string(data))
}

// procCgroups parses /proc/PID/cgroup: controllers -> path.
func procCgroups(t *testing.T, pid int) map[string]string {
	t.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", pid))
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if p := strings.SplitN(l, ":", 3); len(p) == 3 {
			m[p[1]] = p[2]
		}
	}
	return m
}

// memory limit, pids limit, cpu shares and quota in the container's cgroup
// files on the host; the cgroup is removed on delete.
func TestCgroupLimits(t *testing.T) {
	e := newEnv(t)
	cg := "/husk-it-" + randHex(5)
	e.cgroups = append(e.cgroups, cg)
	limit, pids, shares, quota, period := int64(64<<20), int64(42), uint64(512), int64(50000), uint64(100000)
	b := e.bundle(args("sleep", "1000"), func(s *specs.Spec) {
		s.Linux.CgroupsPath = cg
		r := s.Linux.Resources
		r.Memory = &specs.LinuxMemory{Limit: &limit}
		r.Pids = &specs.LinuxPids{Limit: &pids}
		r.CPU = &specs.LinuxCPU{Shares: &shares, Quota: &quota, Period: &period}
	})
	id, _ := e.startDetached(b)
	pid := e.state(id).Pid
	checks := []struct{ ctrl, file, want string }{
		{"memory", "memory.limit_in_bytes", fmt.Sprint(limit)},
		{"pids", "pids.max", fmt.Sprint(pids)},
		{"cpu", "cpu.shares", fmt.Sprint(shares)},
		{"cpu", "cpu.cfs_quota_us", fmt.Sprint(quota)},
		{"cpu", "cpu.cfs_period_us", fmt.Sprint(period)},
	}
	own := procCgroups(t, pid)
	var dirs []string
	for _, c := range checks {
		h, ok := v1Hierarchy(c.ctrl)
		if !ok {
			t.Skipf("no cgroup v1 %s hierarchy on this host", c.ctrl)
		}
		if own[h.Ctrls] != cg {
			t.Errorf("container init is in %s cgroup %q, want %q", h.Ctrls, own[h.Ctrls], cg)
		}
		dir := filepath.Join(h.Mount, cg)
		dirs = append(dirs, dir)
		if got := readTrim(t, filepath.Join(dir, c.file)); got != c.want {
			t.Errorf("%s = %q, want %q", filepath.Join(dir, c.file), got, c.want)
		}
		if procs := readTrim(t, filepath.Join(dir, "cgroup.procs")); procs != fmt.Sprint(pid) {
			t.Errorf("%s/cgroup.procs = %q, want the init %d", dir, procs, pid)
		}
	}
	e.destroy(id)
	for _, d := range dirs {
		if _, err := os.Stat(d); err == nil {
			t.Errorf("cgroup %s not removed by delete", d)
		}
	}
}

// pids.limit is enforced: forks beyond it fail inside the container
// (busybox sh gives up at the first failed fork).
func TestCgroupPidsLimitEnforced(t *testing.T) {
	if _, ok := v1Hierarchy("pids"); !ok {
		t.Skip("no cgroup v1 pids hierarchy on this host")
	}
	e := newEnv(t)
	n := int64(4)
	script := "for i in 1 2 3 4 5 6 7 8; do sleep 5 & echo $i; done"
	r := e.runContainer(e.bundle(func(s *specs.Spec) { s.Linux.Resources.Pids = &specs.LinuxPids{Limit: &n} }, sh(script)))
	if r.Stdout != "1\n2\n3\n" {
		t.Errorf("with pids.limit=4 (the shell + 3) forks went: %s", r)
	}
	if r := e.runContainer(e.bundle(sh(script))); r.Code != 0 || r.Stdout != "1\n2\n3\n4\n5\n6\n7\n8\n" {
		t.Errorf("without a pids limit: %s", r)
	}
}

// Without cgroupsPath the container's cgroup is the caller's cgroup + id in
// every v1 hierarchy (runc's naming), removed on delete.
func TestCgroupDefaultPath(t *testing.T) {
	e := newEnv(t)
	id, _ := e.startDetached(e.bundle(args("sleep", "1000")))
	own := procCgroups(t, e.state(id).Pid)
	var dirs []string
	for _, h := range cgroupHierarchies() {
		if h.Ctrls == "" {
			continue // cgroup2 hierarchy of a hybrid host: no controllers
		}
		want := filepath.Join(h.Self, id)
		if own[h.Ctrls] != want {
			t.Errorf("%s cgroup of the container: %q, want %q", h.Ctrls, own[h.Ctrls], want)
		}
		dirs = append(dirs, filepath.Join(h.Mount, want))
	}
	e.destroy(id)
	for _, d := range dirs {
		if _, err := os.Stat(d); err == nil {
			t.Errorf("cgroup %s not removed by delete", d)
		}
	}
}

// The payload starts in its cgroups: its first look at /proc/self/cgroup
// (no cgroup namespace) names the container's cgroup in every v1
// hierarchy, for run and for create + start (husk moves the init while it
// sets up the rootfs and the init waits for that before going on).
func TestCgroupJoinedBeforePayload(t *testing.T) {
	e := newEnv(t)
	check := func(what, id, out string) {
		own := map[string]string{}
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			if p := strings.SplitN(l, ":", 3); len(p) == 3 {
				own[p[1]] = p[2]
			}
		}
		for _, h := range cgroupHierarchies() {
			if h.Ctrls == "" {
				continue
			}
			if want := filepath.Join(h.Self, id); own[h.Ctrls] != want {
				t.Errorf("%s: the payload's first %s cgroup is %q, want %q", what, h.Ctrls, own[h.Ctrls], want)
			}
		}
	}
	b := e.bundle(args("cat", "/proc/self/cgroup"))
	id := e.id()
	r := e.husk("run", "--bundle", b.Dir, id)
	if r.Code != 0 {
		t.Fatalf("run: %s", r)
	}
	check("run", id, r.Stdout)
	id, out := e.startDetached(b)
	e.waitStatus(id, "stopped")
	data, _ := os.ReadFile(out)
	check("create+start", id, string(data))
	e.mustHusk("delete", id)
}

// Kernel memory limits are ignored with runc's warning (deprecated since
// kernel 5.4, absent from cgroup v2), not refused: the container runs and
// its memory limit is applied.
func TestCgroupKernelMemoryWarned(t *testing.T) {
	e := newEnv(t)
	limit, kmem := int64(64<<20), int64(32<<20)
	b := e.bundle(sh("cat /proc/self/cgroup > /dev/null"), func(s *specs.Spec) {
		s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &limit, Kernel: &kmem, KernelTCP: &kmem}
	})
	r := e.runContainer(b)
	if r.Code != 0 || !strings.Contains(r.Stderr, "Kernel memory settings are ignored") {
		t.Errorf("run with memory.kernel: %s, want exit 0 and runc's warning", r)
	}
}
