package systemd

import (
	"testing"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestExpandSlice(t *testing.T) {
	for in, want := range map[string]string{
		"system.slice": "/system.slice", "-.slice": "/", "a-b-c.slice": "/a.slice/a-b.slice/a-b-c.slice",
	} {
		if got, err := expandSlice(in); err != nil || got != want {
			t.Errorf("expandSlice(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"system", ".slice", "a--b.slice", "a/b.slice", "-a.slice"} {
		if _, err := expandSlice(bad); err == nil {
			t.Errorf("expandSlice(%q) accepted", bad)
		}
	}
}

func TestUnitProperties(t *testing.T) {
	limit, pids, quota := int64(64<<20), int64(10), int64(25000)
	shares, period := uint64(1024), uint64(100000)
	ps := unitProperties(&specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: &limit}, Pids: &specs.LinuxPids{Limit: &pids},
		CPU: &specs.LinuxCPU{Shares: &shares, Quota: &quota, Period: &period},
	})
	got := map[string]any{}
	for _, p := range ps {
		got[p.name] = p.value
	}
	want := map[string]any{"MemoryMax": uint64(64 << 20), "TasksMax": uint64(10),
		"CPUWeight": common.SharesToWeight(1024), "CPUQuotaPerSecUSec": uint64(250000)}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("properties %v, want %v", got, want)
	}
}

func TestNewRefusals(t *testing.T) {
	v1 := &common.Layout{Mode: common.Hybrid}
	if _, err := New(v1, "", "c", nil); err == nil {
		t.Error("systemd driver on a v1 layout accepted")
	}
}
