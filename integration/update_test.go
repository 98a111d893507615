package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
)

// cgroupFile reads a cgroup file of container id (runc's default path
// under the caller's cgroup): the v1 file of controller ctrl, or on a pure
// cgroup v2 host the v2 file v1ToV2 names for it.
func cgroupFile(t *testing.T, ctrl, id, file string) string {
	t.Helper()
	if v2, ok := pureV2(); ok {
		f, ok := v1ToV2[file]
		if !ok {
			t.Fatalf("no cgroup v2 file for %s", file)
		}
		data, err := os.ReadFile(filepath.Join(v2.Mount, v2.Self, id, f.name))
		if err != nil {
			t.Fatal(err)
		}
		return f.conv(strings.TrimSpace(string(data)))
	}
	for _, h := range cgroupHierarchies() {
		for _, c := range strings.Split(h.Ctrls, ",") {
			if c == ctrl {
				data, err := os.ReadFile(filepath.Join(h.Mount, h.Self, id, file))
				if err != nil {
					t.Fatal(err)
				}
				return strings.TrimSpace(string(data))
			}
		}
	}
	t.Fatalf("no %s hierarchy", ctrl)
	return ""
}

// v1ToV2 maps a v1 file to its cgroup v2 counterpart and the v2 value
// back to the v1 form.
var v1ToV2 = map[string]struct {
	name string
	conv func(string) string
}{
	"memory.limit_in_bytes": {"memory.max", same},
	"pids.max":              {"pids.max", same},
	"cpuset.cpus":           {"cpuset.cpus", same},
	"cpu.cfs_quota_us":      {"cpu.max", func(v string) string { return strings.Fields(v)[0] }},
	"cpu.cfs_period_us":     {"cpu.max", func(v string) string { return strings.Fields(v)[1] }},
	"cpu.shares":            {"cpu.weight", same}, // the caller converts the expected value
}

func same(v string) string { return v }

// update changes the live limits (flags after the id, -r FILE, -r -),
// keeps what it is not given, works on a paused container, and the
// container sees the change: a lowered pids limit makes fork fail, a
// narrower cpuset shows in Cpus_allowed_list.
func TestUpdate(t *testing.T) {
	e := newEnv(t)
	limit := int64(128 << 20)
	id, _ := e.startDetached(e.bundle(args("sleep", "1000"), func(s *specs.Spec) {
		s.Linux.Resources.Memory = &specs.LinuxMemory{Limit: &limit}
	}))
	e.mustHusk("update", id, "--memory", "64M", "--pids-limit", "30", "--cpu-share", "256",
		"--cpu-quota", "20000", "--cpu-period", "100000", "--cpuset-cpus", "0")
	shares := "256"
	if _, ok := pureV2(); ok {
		shares = fmt.Sprint(common.SharesToWeight(256))
	}
	for _, c := range []struct{ ctrl, file, want string }{
		{"memory", "memory.limit_in_bytes", "67108864"}, {"pids", "pids.max", "30"}, {"cpu", "cpu.shares", shares},
		{"cpu", "cpu.cfs_quota_us", "20000"}, {"cpu", "cpu.cfs_period_us", "100000"}, {"cpuset", "cpuset.cpus", "0"},
	} {
		if got := cgroupFile(t, c.ctrl, id, c.file); got != c.want {
			t.Errorf("after update: %s = %q, want %q", c.file, got, c.want)
		}
	}
	if got := e.mustHusk("exec", id, "grep", "Cpus_allowed_list", "/proc/self/status").Stdout; !strings.Contains(got, "\t0\n") {
		t.Errorf("exec after --cpuset-cpus 0: %q", got)
	}
	// A quota alone keeps the period; -r FILE and -r - take JSON.
	e.mustHusk("update", id, "--cpu-quota", "30000")
	if q, p := cgroupFile(t, "cpu", id, "cpu.cfs_quota_us"), cgroupFile(t, "cpu", id, "cpu.cfs_period_us"); q != "30000" || p != "100000" {
		t.Errorf("--cpu-quota alone: quota %s period %s", q, p)
	}
	f := filepath.Join(e.dir, "res.json")
	if err := os.WriteFile(f, []byte(`{"pids":{"limit":2}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	e.mustHusk("update", "-r", f, id)
	if got := cgroupFile(t, "pids", id, "pids.max"); got != "2" {
		t.Errorf("-r FILE: pids.max %q", got)
	}
	if r := e.husk("exec", id, "sh", "-c", "true & true & true & wait"); r.Code == 0 {
		t.Errorf("fork under a pids limit of 2 succeeded: %s", r)
	}
	c := e.cmd("update", "-r", "-", id)
	c.Stdin = strings.NewReader(`{"pids":{"limit":40}}`)
	if r := e.run(c); r.Code != 0 {
		t.Fatalf("update -r -: %s", r)
	}
	if got := cgroupFile(t, "pids", id, "pids.max"); got != "40" {
		t.Errorf("-r -: pids.max %q", got)
	}
	// Paused containers are updated too; the memory limit set earlier stays.
	e.mustHusk("pause", id)
	e.mustHusk("update", id, "--pids-limit", "50")
	e.mustHusk("resume", id)
	if got := cgroupFile(t, "pids", id, "pids.max"); got != "50" {
		t.Errorf("update of a paused container: pids.max %q", got)
	}
	if got := cgroupFile(t, "memory", id, "memory.limit_in_bytes"); got != "67108864" {
		t.Errorf("memory limit after later updates: %q", got)
	}
	e.mustFail([]string{"invalid value for memory"}, "update", id, "--memory", "12Q")
	// The new values are kept in the state (husk's: <root>/<id>/state.json).
	if isHusk {
		data, err := os.ReadFile(filepath.Join(e.root, id, "state.json"))
		if err != nil || !strings.Contains(string(data), `"pids":{"limit":50}`) || !strings.Contains(string(data), `"limit":67108864`) {
			t.Errorf("state after update: %v: %.400s", err, data)
		}
	}
	e.destroy(id)
}
