package systemd

import (
	"strings"
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

func TestNewLegacyRefusals(t *testing.T) {
	v2 := &common.Layout{Mode: common.Unified}
	if _, err := NewLegacy(v2, "", "c", nil); err == nil {
		t.Error("systemd v1 driver on a v2 layout accepted")
	}
}

func TestV1Properties(t *testing.T) {
	limit, pids, quota := int64(64<<20), int64(-1), int64(25000)
	shares, period, weight := uint64(512), uint64(50000), uint16(300)
	ps, err := v1Properties(&specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: &limit}, Pids: &specs.LinuxPids{Limit: &pids},
		CPU:     &specs.LinuxCPU{Shares: &shares, Quota: &quota, Period: &period},
		BlockIO: &specs.LinuxBlockIO{Weight: &weight},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{}
	for _, p := range ps {
		got[p.name] = p.value
	}
	want := map[string]any{"MemoryLimit": uint64(64 << 20), "TasksMax": ^uint64(0), "CPUShares": uint64(512),
		"CPUQuotaPerSecUSec": uint64(500000), "CPUQuotaPeriodUSec": uint64(50000), "BlockIOWeight": uint64(300)}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("properties %v, want %v", got, want)
	}
}

func TestV1DeviceProperties(t *testing.T) {
	i := func(v int64) *int64 { return &v }
	props := func(rules ...specs.LinuxDeviceCgroup) map[string]any {
		t.Helper()
		ps, err := v1DeviceProperties(rules)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]any{}
		for _, p := range ps {
			out[p.name] = p.value
		}
		return out
	}
	if ps := props(); len(ps) != 0 {
		t.Errorf("no rules: %v", ps)
	}
	all := props(specs.LinuxDeviceCgroup{Allow: true, Access: "rwm"})
	if all["DevicePolicy"] != "auto" || len(all["DeviceAllow"].([][2]string)) != 0 {
		t.Errorf("allow-all: %v", all)
	}
	deny := props(specs.LinuxDeviceCgroup{Allow: true, Access: "rwm"}, specs.LinuxDeviceCgroup{Type: "c", Major: i(1), Minor: i(3), Access: "rwm"})
	if deny["DevicePolicy"] != "strict" || len(deny["DeviceAllow"].([][2]string)) != 0 {
		t.Errorf("allow-all with a deny: %v, want strict, no entries", deny)
	}
	list := props(specs.LinuxDeviceCgroup{Access: "rwm"},
		specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: i(-1), Minor: i(-1), Access: "m"},
		specs.LinuxDeviceCgroup{Allow: true, Type: "c", Major: i(1), Minor: i(3), Access: "rw"},
		specs.LinuxDeviceCgroup{Allow: true, Type: "b", Major: i(8), Minor: i(0), Access: "r"})
	want := [][2]string{{"/dev/char/1:3", "rw"}, {"/dev/block/8:0", "r"}, {"char-*", "m"}}
	got := list["DeviceAllow"].([][2]string)
	if list["DevicePolicy"] != "strict" || len(got) != len(want) {
		t.Fatalf("allow list: %v, want strict %v", list, want)
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || g == w
		}
		if !found {
			t.Errorf("DeviceAllow %v lacks %v", got, w)
		}
	}
	if _, err := v1DeviceProperties([]specs.LinuxDeviceCgroup{{Allow: true, Type: "x", Access: "r"}}); err == nil {
		t.Error("invalid device type accepted")
	}
}

func TestVariantDeviceAllow(t *testing.T) {
	var m msgBuf
	m.variant([][2]string{{"/dev/null", "rw"}})
	// sig "a(ss)", pad to 4, array length 23 (not counting the padding
	// to 8 that follows it), "/dev/null", "rw"
	want := []byte{5, 'a', '(', 's', 's', ')', 0, 0, 23, 0, 0, 0, 0, 0, 0, 0,
		9, 0, 0, 0, '/', 'd', 'e', 'v', '/', 'n', 'u', 'l', 'l', 0, 0, 0,
		2, 0, 0, 0, 'r', 'w', 0}
	if string(m.b) != string(want) {
		t.Errorf("a(ss) variant\n got %v\nwant %v", m.b, want)
	}
}

func TestResolveUnit(t *testing.T) {
	slice, unit, sp, err := resolveUnit("user-x.slice:pre:c1", "id")
	if err != nil || slice != "user-x.slice" || unit != "pre-c1.scope" || sp != "/user.slice/user-x.slice" {
		t.Errorf("resolveUnit = %q %q %q %v", slice, unit, sp, err)
	}
	if _, unit, _, _ := resolveUnit("", "id"); unit != "husk-id.scope" {
		t.Errorf("default unit %q", unit)
	}
	for _, bad := range []string{"a:b", "system.slice:p:n.slice", "bad:p:n", "system.slice:p:"} {
		if _, _, _, err := resolveUnit(bad, "id"); err == nil || !strings.Contains(err.Error(), "linux.cgroupsPath") {
			t.Errorf("resolveUnit(%q): %v", bad, err)
		}
	}
}

func TestNewLegacyPaths(t *testing.T) {
	defer func(f func() bool) { booted = f }(booted)
	booted = func() bool { return true }
	l := &common.Layout{Mode: common.Hybrid, UnifiedMount: "/sys/fs/cgroup/unified", UnifiedRoot: "/",
		V1: []common.Hierarchy{
			{Mountpoint: "/sys/fs/cgroup/memory", Root: "/", Controllers: []string{"memory"}},
			{Mountpoint: "/sys/fs/cgroup/freezer", Root: "/", Controllers: []string{"freezer"}},
			{Mountpoint: "/sys/fs/cgroup/systemd", Root: "/", Controllers: []string{"name=systemd"}},
		},
		Own: map[string]string{"memory": "/", "freezer": "/", "name=systemd": "/", "": "/"}}
	m, err := NewLegacy(l, "machine.slice:pre:c1", "id", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"memory": "/sys/fs/cgroup/memory/machine.slice/pre-c1.scope", "freezer": "/sys/fs/cgroup/freezer/machine.slice/pre-c1.scope",
		"name=systemd": "/sys/fs/cgroup/systemd/machine.slice/pre-c1.scope", "": "/sys/fs/cgroup/unified/machine.slice/pre-c1.scope"}
	p := m.Paths()
	if len(p) != len(want) {
		t.Fatalf("paths %v, want %v", p, want)
	}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("paths[%q] = %q, want %q", k, p[k], v)
		}
	}
	if m.Started() || m.TaskFiles() != nil {
		t.Error("a new manager is started")
	}
	if !IsLegacyScope(p) || IsLegacyScope(map[string]string{"name=systemd": "/sys/fs/cgroup/systemd/x/c.scope"}) {
		t.Error("IsLegacyScope")
	}
	lm, err := LoadLegacy(l, p)
	if err != nil || !lm.Started() || lm.unit != "pre-c1.scope" {
		t.Fatalf("LoadLegacy: %v %+v", err, lm)
	}
	// A field whose controller is missing is named.
	pids := int64(5)
	_, err = NewLegacy(l, "", "id", &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: &pids}})
	if err == nil || !strings.Contains(err.Error(), "linux.resources.pids") {
		t.Errorf("pids without the pids controller: %v", err)
	}
	// No name=systemd hierarchy: refused.
	l.V1 = l.V1[:2]
	if _, err := NewLegacy(l, "", "id", nil); err == nil || !strings.Contains(err.Error(), "name=systemd") {
		t.Errorf("without name=systemd: %v", err)
	}
}
