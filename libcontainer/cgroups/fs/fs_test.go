package fs

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
)

// fake builds a hybrid layout over a temporary directory, with co-mounted
// cpu,cpuacct and net_cls,net_prio, and turns on common.TestMode.
func fake(t *testing.T) (*common.Layout, string) {
	t.Helper()
	root := t.TempDir()
	l := &common.Layout{Mode: common.Hybrid, UnifiedMount: root + "/unified", UnifiedRoot: "/", Own: map[string]string{"": "/"}}
	for _, ctrls := range [][]string{
		{"cpuset"}, {"cpu", "cpuacct"}, {"memory"}, {"devices"}, {"freezer"}, {"pids"},
		{"blkio"}, {"net_cls", "net_prio"}, {"name=systemd"},
	} {
		name := strings.TrimPrefix(strings.Join(ctrls, ","), "name=")
		mp := root + "/" + name
		if err := os.MkdirAll(mp, 0o755); err != nil {
			t.Fatal(err)
		}
		l.V1 = append(l.V1, common.Hierarchy{Mountpoint: mp, Root: "/", Controllers: ctrls})
		for _, c := range ctrls {
			l.Own[c] = "/"
		}
	}
	_ = os.MkdirAll(l.UnifiedMount, 0o755)
	writeFiles(t, root+"/cpuset", map[string]string{"cpuset.cpus": "0-1\n", "cpuset.mems": "0\n"})
	common.TestMode = true
	common.TestWrites = nil
	common.TestWriteErr = nil
	t.Cleanup(func() { common.TestMode, common.TestWrites, common.TestWriteErr = false, nil, nil })
	return l, root
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for f, c := range files {
		if err := os.WriteFile(filepath.Join(dir, f), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// emulate creates the container's cgroup directories with the files the
// kernel would show.
func emulate(t *testing.T, m *Manager) {
	t.Helper()
	for k, dir := range m.paths {
		files := map[string]string{"cgroup.procs": ""}
		switch k {
		case "freezer":
			files["freezer.state"] = "THAWED\n"
		case "cpuset":
			files["cpuset.cpus"], files["cpuset.mems"] = "\n", "\n"
		case "memory":
			files["memory.limit_in_bytes"] = "9223372036854771712\n"
			files["memory.memsw.limit_in_bytes"] = "9223372036854771712\n"
		case "blkio":
			files["blkio.bfq.weight"] = "100\n"
		case "devices":
			files["devices.list"] = "a *:* rwm\n"
		case Unified:
			files["cgroup.events"] = "populated 0\nfrozen 0\n"
			files["cgroup.freeze"] = "0\n"
		}
		writeFiles(t, dir, files)
	}
	common.TestWrites = nil
}

func writes(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	for _, w := range common.TestWrites {
		rel, _ := filepath.Rel(root, w.Path)
		out = append(out, rel+"="+w.Data)
	}
	common.TestWrites = nil
	return out
}

func i64(v int64) *int64   { return &v }
func u64(v uint64) *uint64 { return &v }
func u16(v uint16) *uint16 { return &v }
func boolp(v bool) *bool   { return &v }
func u32(v uint32) *uint32 { return &v }

func TestNewPaths(t *testing.T) {
	l, root := fake(t)
	m, err := New(l, "/a/c1", "c1", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"cpuset": root + "/cpuset/a/c1", "cpu": root + "/cpu,cpuacct/a/c1", "cpuacct": root + "/cpu,cpuacct/a/c1",
		"memory": root + "/memory/a/c1", "devices": root + "/devices/a/c1", "freezer": root + "/freezer/a/c1",
		"pids": root + "/pids/a/c1", "blkio": root + "/blkio/a/c1", "net_cls": root + "/net_cls,net_prio/a/c1",
		"net_prio": root + "/net_cls,net_prio/a/c1", "name=systemd": root + "/systemd/a/c1", "": root + "/unified/a/c1",
	}
	if got := m.Paths(); !reflect.DeepEqual(got, want) {
		t.Fatalf("paths:\n got %v\nwant %v", got, want)
	}
	m2, err := Load(l, m.Paths())
	if err != nil || !reflect.DeepEqual(m2.Paths(), want) {
		t.Fatal("Load:", err)
	}
	if _, err := Load(l, map[string]string{"bogus": "/x"}); err == nil {
		t.Fatal("Load of an unknown controller")
	}

	l.Own["memory"] = "/svc"
	m, err = New(l, "", "ctr", nil)
	if err != nil || m.paths["memory"] != root+"/memory/svc/ctr" || m.paths["pids"] != root+"/pids/ctr" {
		t.Fatal(err, m.Paths())
	}
}

func TestMissingController(t *testing.T) {
	l, _ := fake(t)
	for _, tc := range []struct {
		r    specs.LinuxResources
		want string
	}{
		{specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 1}}}, "linux.resources.hugepageLimits: the hugetlb cgroup controller is not mounted"},
		{specs.LinuxResources{Rdma: map[string]specs.LinuxRdma{"mlx": {HcaHandles: u32(1)}}}, "linux.resources.rdma: the rdma"},
		{specs.LinuxResources{Unified: map[string]string{"memory.high": "1"}}, "linux.resources.unified: needs cgroup v2"},
	} {
		_, err := New(l, "/c", "", &tc.r)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("New: got %v, want %q...", err, tc.want)
		}
		m, _ := New(l, "/c", "", nil)
		if err := m.Set(&tc.r); err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("Set: got %v, want %q...", err, tc.want)
		}
		var fe *common.FieldError
		if !errors.As(err, &fe) {
			t.Errorf("not a FieldError: %T", err)
		}
	}
	// Unused missing controllers are fine.
	if _, err := New(l, "/c", "", &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(3)}}); err != nil {
		t.Fatal(err)
	}
}

func TestApplyFake(t *testing.T) {
	l, root := fake(t)
	r := &specs.LinuxResources{CPU: &specs.LinuxCPU{Mems: "0"}}
	m, err := New(l, "/c", "", r)
	if err != nil {
		t.Fatal(err)
	}
	emulate(t, m)
	if err := m.Apply(42); err != nil {
		t.Fatal(err)
	}
	got := writes(t, root)
	want := []string{
		"cpuset/c/cpuset.mems=0", "cpuset/c/cpuset.cpus=0-1", "cpuset/c/cgroup.procs=42",
		"devices/c/cgroup.procs=42", "memory/c/cgroup.procs=42", "cpu,cpuacct/c/cgroup.procs=42",
		"pids/c/cgroup.procs=42", "blkio/c/cgroup.procs=42", "net_cls,net_prio/c/cgroup.procs=42",
		"freezer/c/cgroup.procs=42", "systemd/c/cgroup.procs=42", "unified/c/cgroup.procs=42",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("writes:\n got %q\nwant %q", got, want)
	}

	// A frozen or populated pre-existing cgroup is refused.
	emulate(t, m)
	writeFiles(t, m.paths["freezer"], map[string]string{"freezer.state": "FROZEN\n", "cgroup.procs": ""})
	if err := m.Apply(43); err == nil || !strings.Contains(err.Error(), "is FROZEN") {
		t.Fatalf("frozen: %v", err)
	}
	writeFiles(t, m.paths["freezer"], map[string]string{"freezer.state": "THAWED\n"})
	writeFiles(t, m.paths["memory"]+"/sub", map[string]string{"cgroup.procs": "77\n"})
	if err := m.Apply(43); err == nil || !strings.Contains(err.Error(), "holds 1 process") {
		t.Fatalf("populated: %v", err)
	}
}

func TestApplyRollback(t *testing.T) {
	l, root := fake(t)
	l.V1 = l.V1[1:] // no cpuset: fake directories have no cpuset files
	m, _ := New(l, "/new/c", "", nil)
	// The freezer cgroup exists and is frozen: refused in the first
	// phase, before any process moves; what Apply created is gone.
	writeFiles(t, root+"/freezer/new/c", map[string]string{"freezer.state": "FROZEN\n", "cgroup.procs": ""})
	if err := m.Apply(42); err == nil || !strings.Contains(err.Error(), "FROZEN") {
		t.Fatal(err)
	}
	for _, c := range []string{"devices", "memory", "pids", "unified"} {
		if common.PathExists(root + "/" + c + "/new") {
			t.Errorf("%s/new left behind", c)
		}
	}
	if len(common.TestWrites) != 0 {
		t.Errorf("writes: %v", common.TestWrites)
	}
}

func TestSetMemoryOrder(t *testing.T) {
	l, root := fake(t)
	m, _ := New(l, "/c", "", nil)
	emulate(t, m)
	r := &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(100 << 20), Swap: i64(200 << 20)}}
	// Current limit unlimited (> new swap): memory first, then memsw.
	if err := m.Set(r); err != nil {
		t.Fatal(err)
	}
	want := []string{"memory/c/memory.limit_in_bytes=104857600", "memory/c/memory.memsw.limit_in_bytes=209715200"}
	if got := writes(t, root); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q", got)
	}
	// Current limit below the new memsw: memsw first.
	writeFiles(t, m.paths["memory"], map[string]string{"memory.limit_in_bytes": "52428800\n"})
	if err := m.Set(r); err != nil {
		t.Fatal(err)
	}
	if got := writes(t, root); !reflect.DeepEqual(got, []string{want[1], want[0]}) {
		t.Fatalf("got %q", got)
	}
	// The kernel refusing the first order: the other one is tried.
	first := true
	common.TestWriteErr = func(path, _ string) error {
		if strings.HasSuffix(path, "memsw.limit_in_bytes") && first {
			first = false
			return unix.EINVAL
		}
		return nil
	}
	if err := m.Set(r); err != nil {
		t.Fatal(err)
	}
	if got := writes(t, root); !reflect.DeepEqual(got, []string{want[0], want[1]}) {
		t.Fatalf("fallback: got %q", got)
	}
	common.TestWriteErr = nil
	// -1 without swap: memsw unlimited too, written first.
	if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(-1)}}); err != nil {
		t.Fatal(err)
	}
	if got := writes(t, root); !reflect.DeepEqual(got, []string{"memory/c/memory.memsw.limit_in_bytes=-1", "memory/c/memory.limit_in_bytes=-1"}) {
		t.Fatalf("unlimited: got %q", got)
	}
	// Other memory fields, and errors naming fields.
	if err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{
		Reservation: i64(1 << 20), DisableOOMKiller: boolp(true), Swappiness: u64(10), UseHierarchy: boolp(true), Kernel: i64(5),
	}}); err != nil {
		t.Fatal(err)
	}
	if got := writes(t, root); !reflect.DeepEqual(got, []string{
		"memory/c/memory.soft_limit_in_bytes=1048576", "memory/c/memory.oom_control=1",
		"memory/c/memory.swappiness=10", "memory/c/memory.use_hierarchy=1",
	}) {
		t.Fatalf("got %q", got)
	}
	err := m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Swappiness: u64(101)}})
	if err == nil || !strings.HasPrefix(err.Error(), "linux.resources.memory.swappiness: ") {
		t.Fatal(err)
	}
	err = m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(100), Swap: i64(50)}})
	if err == nil || !strings.HasPrefix(err.Error(), "linux.resources.memory.swap: ") {
		t.Fatal(err)
	}
	// Raising only the limit above memsw: the kernel's EINVAL explained.
	writeFiles(t, m.paths["memory"], map[string]string{"memory.memsw.limit_in_bytes": "104857600\n"})
	common.TestWriteErr = func(path, _ string) error {
		if strings.HasSuffix(path, "memory.limit_in_bytes") {
			return unix.EINVAL
		}
		return nil
	}
	err = m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(200 << 20)}})
	if err == nil || !strings.Contains(err.Error(), "give memory.swap too") || !errors.Is(err, unix.EINVAL) {
		t.Fatal(err)
	}
	common.TestWriteErr = nil
	writeFiles(t, m.paths["memory"], map[string]string{"memory.usage_in_bytes": "4096\n"})
	err = m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(4096), CheckBeforeUpdate: boolp(true)}})
	if err == nil || !strings.Contains(err.Error(), "checkBeforeUpdate") {
		t.Fatal(err)
	}
}

func TestSetCPUOrder(t *testing.T) {
	l, root := fake(t)
	m, _ := New(l, "/c", "", nil)
	emulate(t, m)
	// The new period is refused against the old quota: retried after it.
	tries := 0
	common.TestWriteErr = func(path, _ string) error {
		if strings.HasSuffix(path, "cfs_period_us") || strings.HasSuffix(path, "rt_period_us") {
			if tries++; tries%2 == 1 {
				return unix.EINVAL
			}
		}
		return nil
	}
	writeFiles(t, m.paths["cpu"], map[string]string{"cpu.shares": "512\n"})
	r := &specs.LinuxResources{CPU: &specs.LinuxCPU{
		Shares: u64(512), Quota: i64(50000), Period: u64(100000), Burst: u64(1000), Idle: i64(0),
		RealtimeRuntime: i64(1000), RealtimePeriod: u64(10000), Cpus: "1", Mems: "0",
	}}
	if err := m.Set(r); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"cpuset/c/cpuset.cpus=1", "cpuset/c/cpuset.mems=0",
		"cpu,cpuacct/c/cpu.shares=512",
		"cpu,cpuacct/c/cpu.cfs_burst_us=1000",
		"cpu,cpuacct/c/cpu.cfs_quota_us=50000", "cpu,cpuacct/c/cpu.cfs_period_us=100000",
		"cpu,cpuacct/c/cpu.idle=0",
		"cpu,cpuacct/c/cpu.rt_runtime_us=1000", "cpu,cpuacct/c/cpu.rt_period_us=10000",
	}
	if got := writes(t, root); !reflect.DeepEqual(got, want) {
		t.Fatalf("writes:\n got %q\nwant %q", got, want)
	}
	// Shares the kernel clamped are an error naming the field.
	writeFiles(t, m.paths["cpu"], map[string]string{"cpu.shares": "262144\n"})
	common.TestWriteErr = func(path, _ string) error {
		if strings.HasSuffix(path, "cpu.shares") {
			return errSkip
		}
		return nil
	}
	if err := m.Set(&specs.LinuxResources{CPU: &specs.LinuxCPU{Shares: u64(1 << 20)}}); err == nil || !strings.HasPrefix(err.Error(), "linux.resources.cpu.shares:") {
		t.Fatal(err)
	}
}

var errSkip = errors.New("skip")

func TestSetOthers(t *testing.T) {
	l, root := fake(t)
	m, _ := New(l, "/c", "", nil)
	emulate(t, m)
	r := &specs.LinuxResources{
		Pids:    &specs.LinuxPids{Limit: i64(0)},
		BlockIO: &specs.LinuxBlockIO{Weight: u16(300), WeightDevice: []specs.LinuxWeightDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Weight: u16(200)}}, ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Rate: 1000}}},
		Network: &specs.LinuxNetwork{ClassID: u32(0x100001), Priorities: []specs.LinuxInterfacePriority{{Name: "eth0", Priority: 5}}},
	}
	if err := m.Set(r); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"pids/c/pids.max=0",
		"blkio/c/blkio.bfq.weight=300", "blkio/c/blkio.bfq.weight_device=8:0 200", "blkio/c/blkio.throttle.read_bps_device=8:0 1000",
		"net_cls,net_prio/c/net_cls.classid=1048577", "net_cls,net_prio/c/net_prio.ifpriomap=eth0 5",
	}
	if got := writes(t, root); !reflect.DeepEqual(got, want) {
		t.Fatalf("writes:\n got %q\nwant %q", got, want)
	}
	// -1 is "max"; an absent limit writes nothing; nil writes nothing.
	_ = m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(-1)}})
	_ = m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{}})
	_ = m.Set(nil)
	if got := writes(t, root); !reflect.DeepEqual(got, []string{"pids/c/pids.max=max"}) {
		t.Fatalf("got %q", got)
	}
	// CFQ names when blkio.weight exists.
	writeFiles(t, m.paths["blkio"], map[string]string{"blkio.weight": "500\n"})
	_ = m.Set(&specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(300), LeafWeight: u16(20)}})
	if got := writes(t, root); !reflect.DeepEqual(got, []string{"blkio/c/blkio.weight=300", "blkio/c/blkio.leaf_weight=20"}) {
		t.Fatalf("got %q", got)
	}
}

func TestJoinFake(t *testing.T) {
	l, root := fake(t)
	m, _ := New(l, "/c", "", nil)
	emulate(t, m)
	for _, d := range []string{"cpu,cpuacct/c/s1", "memory/c/m", "freezer/c/all", "pids/c/all", "cpuset/c/all"} {
		writeFiles(t, root+"/"+d, map[string]string{"cgroup.procs": ""})
	}
	if err := m.Join(9, "cpu,cpuacct:s1;memory:m"); err != nil {
		t.Fatal(err)
	}
	got := writes(t, root)
	want := []string{
		"cpuset/c/cgroup.procs=9", "devices/c/cgroup.procs=9", "memory/c/m/cgroup.procs=9",
		"cpu,cpuacct/c/s1/cgroup.procs=9", "pids/c/cgroup.procs=9", "blkio/c/cgroup.procs=9",
		"net_cls,net_prio/c/cgroup.procs=9", "freezer/c/cgroup.procs=9", "systemd/c/cgroup.procs=9",
		"unified/c/cgroup.procs=9",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("writes:\n got %q\nwant %q", got, want)
	}
	for _, bad := range []string{"../x", "cpu:a/../../b", "bogus:x", "cpu:a;cpu:b", ":x"} {
		if err := m.Join(9, bad); err == nil {
			t.Errorf("Join(%q): no error", bad)
		}
	}
	// A missing sub-cgroup is an error (not created).
	if err := m.Join(9, "nope"); err == nil {
		t.Error("Join into a missing sub-cgroup")
	}
}

func TestDevicesTransition(t *testing.T) {
	l, root := fake(t)
	m, _ := New(l, "/c", "", nil)
	emulate(t, m)
	rules := []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		{Allow: true, Type: "c", Major: i64(1), Minor: i64(3), Access: "rwm"},
		{Allow: true, Type: "c", Major: i64(-1), Minor: i64(-1), Access: "m"},
		{Allow: true, Type: "c", Major: i64(136), Access: "rw"},
		{Allow: false, Type: "c", Major: i64(1), Minor: i64(3), Access: "w"},
	}
	if err := m.Set(&specs.LinuxResources{Devices: rules}); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"devices/c/devices.deny=a",
		"devices/c/devices.allow=c *:* m", "devices/c/devices.allow=c 1:3 rm", "devices/c/devices.allow=c 136:* rw",
	}
	if got := writes(t, root); !reflect.DeepEqual(got, want) {
		t.Fatalf("writes:\n got %q\nwant %q", got, want)
	}
	// From the resulting whitelist, only the difference is written.
	writeFiles(t, m.paths["devices"], map[string]string{"devices.list": "c *:* m\nc 1:3 rm\nc 136:* rw\n"})
	rules = append(rules[:4:4], specs.LinuxDeviceCgroup{Allow: true, Type: "b", Major: i64(8), Minor: i64(0), Access: "r"})
	if err := m.Set(&specs.LinuxResources{Devices: rules}); err != nil {
		t.Fatal(err)
	}
	if got := writes(t, root); !reflect.DeepEqual(got, []string{"devices/c/devices.allow=c 1:3 w", "devices/c/devices.allow=b 8:0 r"}) {
		t.Fatalf("got %q", got)
	}
	// Punching a hole into a wildcard rule is refused.
	bad := []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}, {Allow: true, Type: "c", Access: "rwm"}, {Allow: false, Type: "c", Major: i64(1), Minor: i64(3), Access: "r"}}
	if err := m.Set(&specs.LinuxResources{Devices: bad}); err == nil || !strings.Contains(err.Error(), "linux.resources.devices[2]") {
		t.Fatal(err)
	}
	if err := m.Set(&specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: true, Type: "c"}}}); err == nil {
		t.Fatal("empty access accepted")
	}
	if err := m.Set(&specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: true, Type: "p", Access: "r"}}}); err == nil {
		t.Fatal("type p accepted")
	}
}

func TestStateFromList(t *testing.T) {
	s, err := stateFromList("c 1:3 rwm\nb *:* m\nc 136:* rw\n")
	if err != nil || s.allowAll || len(s.rules) != 3 || s.rules[devKey{'b', -1, -1}] != permM {
		t.Fatal(s, err)
	}
	s, err = stateFromList("a *:* rwm\n")
	if err != nil || !s.allowAll {
		t.Fatal(s, err)
	}
	if _, err := stateFromList("x 1:2 r\n"); err == nil {
		t.Fatal("bad type accepted")
	}
}

func TestParseCPUList(t *testing.T) {
	got, err := ParseCPUList("0-2,5,7-8\n")
	if err != nil || !reflect.DeepEqual(got, []uint16{0, 1, 2, 5, 7, 8}) {
		t.Fatal(got, err)
	}
	if _, err := ParseCPUList("3-1"); err == nil {
		t.Fatal("bad range")
	}
}

func TestParseNUMAStat(t *testing.T) {
	u, err := parseNUMAStat("total=44611 N0=32631 N1=7501\nfile=44428 N0=32614 N1=7335\nhierarchical_total=1 N0=1\nnuma_locality 0 0\n")
	if err != nil || u.Total.Total != 44611 || u.Total.Nodes[1] != 7501 || u.Hierarchical.Total.Nodes[0] != 1 {
		t.Fatal(u, err)
	}
}

// On hybrid hosts whose hugetlb controller is bound to cgroup2 (as this
// project's hosts), hugepageLimits go to the cgroup2 directory.
func TestUnifiedHugetlb(t *testing.T) {
	if err := common.CheckPageSize("2MB"); err != nil {
		t.Skip(err)
	}
	l, root := fake(t)
	writeFiles(t, l.UnifiedMount, map[string]string{"cgroup.controllers": "hugetlb\n", "cgroup.subtree_control": "\n"})
	r := &specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 2 << 20}}}
	m, err := New(l, "/p/c", "", r)
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, l.UnifiedMount+"/p", map[string]string{"cgroup.subtree_control": "\n", "cgroup.type": "domain\n"})
	writeFiles(t, m.paths[Unified], map[string]string{"cgroup.procs": ""})
	if err := m.Set(r); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"unified/cgroup.subtree_control=+hugetlb", "unified/p/cgroup.subtree_control=+hugetlb",
		"unified/p/c/hugetlb.2MB.max=2097152", "unified/p/c/hugetlb.2MB.rsvd.max=2097152",
	}
	if got := writes(t, root); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q", got)
	}
	// Without hugetlb in cgroup2 either: an error naming the field.
	writeFiles(t, l.UnifiedMount, map[string]string{"cgroup.controllers": "\n"})
	if _, err := New(l, "/p/c", "", r); err == nil || !strings.HasPrefix(err.Error(), "linux.resources.hugepageLimits:") {
		t.Fatal(err)
	}
}

func TestFreezerFallbackToUnified(t *testing.T) {
	l, root := fake(t)
	m, _ := New(l, "/c", "", nil)
	delete(m.paths, "freezer")
	emulate(t, m)
	writeFiles(t, m.paths[Unified], map[string]string{"cgroup.events": "populated 1\nfrozen 1\n"})
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if fr, err := m.State(); err != nil || !fr {
		t.Fatal(fr, err)
	}
	if got := writes(t, root); !reflect.DeepEqual(got, []string{"unified/c/cgroup.freeze=1"}) {
		t.Fatalf("got %q", got)
	}
}
