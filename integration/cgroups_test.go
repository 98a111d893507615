package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
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
// files on the host (v1 files, or cgroup v2's on a pure v2 host); the
// cgroup is removed on delete.
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
	defer e.destroy(id)
	pid := e.state(id).Pid
	own := procCgroups(t, pid)
	var dirs []string
	check := func(dir, file, want string) {
		t.Helper()
		if got := readTrim(t, filepath.Join(dir, file)); got != want {
			t.Errorf("%s = %q, want %q", filepath.Join(dir, file), got, want)
		}
	}
	if v2, ok := pureV2(); ok {
		dir := filepath.Join(v2.Mount, cg)
		dirs = append(dirs, dir)
		if own[""] != cg {
			t.Errorf("container init is in cgroup %q, want %q", own[""], cg)
		}
		check(dir, "memory.max", fmt.Sprint(limit))
		check(dir, "pids.max", fmt.Sprint(pids))
		check(dir, "cpu.weight", fmt.Sprint(common.SharesToWeight(shares)))
		check(dir, "cpu.max", fmt.Sprintf("%d %d", quota, period))
		check(dir, "cgroup.procs", fmt.Sprint(pid))
	} else {
		for _, c := range []struct{ ctrl, file, want string }{
			{"memory", "memory.limit_in_bytes", fmt.Sprint(limit)},
			{"pids", "pids.max", fmt.Sprint(pids)},
			{"cpu", "cpu.shares", fmt.Sprint(shares)},
			{"cpu", "cpu.cfs_quota_us", fmt.Sprint(quota)},
			{"cpu", "cpu.cfs_period_us", fmt.Sprint(period)},
		} {
			h, ok := v1Hierarchy(c.ctrl)
			if !ok {
				t.Errorf("no cgroup v1 %s hierarchy and not a pure cgroup v2 host", c.ctrl)
				continue
			}
			if own[h.Ctrls] != cg {
				t.Errorf("container init is in %s cgroup %q, want %q", h.Ctrls, own[h.Ctrls], cg)
			}
			dir := filepath.Join(h.Mount, cg)
			dirs = append(dirs, dir)
			check(dir, c.file, c.want)
			check(dir, "cgroup.procs", fmt.Sprint(pid))
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
		if _, ok := pureV2(); !ok {
			t.Skip("no pids controller: neither a cgroup v1 pids hierarchy nor a pure cgroup v2 host")
		}
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
// hierarchy, for run, for create + start and for an exec'd process (the
// init, and exec's process, write "0" to each v1 "tasks" file husk opened
// for them as their first step).
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
	id = e.running()
	check("exec", id, e.mustHusk("exec", id, "cat", "/proc/self/cgroup").Stdout)
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

// A cgroupsPath already holding processes is refused, frozen or not, at
// once (no hang), naming it; the other container is untouched and the
// refused one leaves nothing behind.
func TestCgroupPathInUseRefused(t *testing.T) {
	e := newEnv(t)
	cg := "/husk-it-" + randHex(5)
	e.cgroups = append(e.cgroups, cg)
	with := func(s *specs.Spec) { s.Linux.CgroupsPath = cg }
	id, _ := e.startDetached(e.bundle(with, args("sleep", "1000")))
	b := e.bundle(with, args("true"))
	for _, paused := range []bool{false, true} {
		if paused {
			e.mustHusk("pause", id)
		}
		id2 := e.id()
		start := time.Now()
		r := e.mustFail([]string{"husk-it-"}, "create", "--bundle", b.Dir, id2)
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("refusing a cgroup in use (paused %v) took %v", paused, d)
		}
		if !strings.Contains(r.Stderr, "process") && !strings.Contains(r.Stderr, "frozen") {
			t.Errorf("paused %v: error does not say why: %s", paused, r.Stderr)
		}
		e.mustFail([]string{"does not exist"}, "state", id2)
	}
	e.mustHusk("resume", id)
	if s := e.state(id).Status; s != "running" {
		t.Errorf("the first container after the refusals: %s", s)
	}
	e.destroy(id)
}
