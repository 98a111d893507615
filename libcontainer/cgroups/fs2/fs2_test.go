package fs2

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
)

func i64(v int64) *int64   { return &v }
func u64(v uint64) *uint64 { return &v }
func u16(v uint16) *uint16 { return &v }
func u32(v uint32) *uint32 { return &v }

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

// fake returns a manager over a fake pure-v2 hierarchy whose container
// cgroup /c exists with the given controllers.
func fake(t *testing.T, ctrls string) (*Manager, string) {
	t.Helper()
	root := t.TempDir()
	l := &common.Layout{Mode: common.Unified, UnifiedMount: root, UnifiedRoot: "/", Own: map[string]string{"": "/x/self"}}
	writeFiles(t, root, map[string]string{"cgroup.controllers": ctrls + "\n", "cgroup.subtree_control": "\n"})
	m, err := New(l, "/c", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	writeFiles(t, m.dir, map[string]string{"cgroup.controllers": ctrls + "\n", "cgroup.procs": "", "cgroup.events": "populated 0\nfrozen 0\n", "cgroup.freeze": "0\n"})
	common.TestMode, common.TestWrites, common.TestWriteErr = true, nil, nil
	t.Cleanup(func() { common.TestMode, common.TestWrites, common.TestWriteErr = false, nil, nil })
	return m, root
}

func writes(root string) []string {
	var out []string
	for _, w := range common.TestWrites {
		rel, _ := filepath.Rel(root, w.Path)
		out = append(out, rel+"="+w.Data)
	}
	common.TestWrites = nil
	return out
}

func TestPaths(t *testing.T) {
	l := &common.Layout{Mode: common.Unified, UnifiedMount: "/sys/fs/cgroup", UnifiedRoot: "/", Own: map[string]string{"": "/user.slice/s.scope"}}
	for _, tc := range [][3]string{{"/a/b", "", "/sys/fs/cgroup/a/b"}, {"rel", "", "/sys/fs/cgroup/user.slice/rel"}, {"", "id", "/sys/fs/cgroup/user.slice/id"}} {
		m, err := New(l, tc[0], tc[1], nil)
		if err != nil || m.Dir() != tc[2] || !reflect.DeepEqual(m.Paths(), map[string]string{"": tc[2]}) {
			t.Errorf("New(%q, %q): %v %v", tc[0], tc[1], m, err)
		}
	}
}

func TestSet(t *testing.T) {
	m, root := fake(t, "cpuset cpu io memory hugetlb pids rdma")
	writeFiles(t, m.dir, map[string]string{"io.bfq.weight": "default 100\n"})
	r := &specs.LinuxResources{
		Pids:   &specs.LinuxPids{Limit: i64(0)},
		Memory: &specs.LinuxMemory{Limit: i64(100), Swap: i64(300), Reservation: i64(50)},
		BlockIO: &specs.LinuxBlockIO{
			Weight:                  u16(500),
			WeightDevice:            []specs.LinuxWeightDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Weight: u16(200)}},
			ThrottleWriteIOPSDevice: []specs.LinuxThrottleDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 16}, Rate: 10}},
		},
		CPU:            &specs.LinuxCPU{Shares: u64(1024), Quota: i64(20000), Burst: u64(100), Idle: i64(1), Cpus: "0-1", Mems: "0"},
		HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "2MB", Limit: 4 << 20}},
		Rdma:           map[string]specs.LinuxRdma{"mlx5_0": {HcaHandles: u32(3), HcaObjects: u32(100)}},
		Unified:        map[string]string{"memory.high": "90", "io.max": "8:0 rbps=1\n8:16 rbps=2\n"},
	}
	if !strings.Contains(strings.Join(common.HugePageSizes(), ","), "2MB") {
		r.HugepageLimits = nil
	}
	if err := m.Set(r); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(writes(root), "\n")
	for _, want := range []string{
		"c/pids.max=0", "c/memory.swap.max=200", "c/memory.max=100", "c/memory.low=50",
		"c/io.bfq.weight=500", "c/io.bfq.weight=8:0 200", "c/io.max=8:16 wiops=10",
		"c/cpu.idle=1", "c/cpu.weight=100", "c/cpu.max.burst=100", "c/cpu.max=20000 100000",
		"c/cpuset.cpus=0-1", "c/cpuset.mems=0", "c/rdma.max=mlx5_0 hca_handle=3 hca_object=100",
		"c/memory.high=90", "c/io.max=8:0 rbps=1", "c/io.max=8:16 rbps=2",
	} {
		if !strings.Contains(got+"\n", want+"\n") {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	if r.HugepageLimits != nil && !strings.Contains(got, "c/hugetlb.2MB.max=4194304\nc/hugetlb.2MB.rsvd.max=4194304") {
		t.Errorf("hugetlb: %s", got)
	}
	// The order of the first writes.
	if !strings.HasPrefix(got, "c/pids.max=0\nc/memory.swap.max=200\nc/memory.max=100\n") {
		t.Errorf("order:\n%s", got)
	}

	// swap == limit: no swap; -1: max; io.weight without BFQ.
	os.Remove(m.dir + "/io.bfq.weight")
	_ = m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(100), Swap: i64(100)}})
	_ = m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(-1)}})
	_ = m.Set(&specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(1000), WeightDevice: []specs.LinuxWeightDevice{{LinuxBlockIODevice: specs.LinuxBlockIODevice{Major: 8, Minor: 0}, Weight: u16(10)}}}})
	_ = m.Set(&specs.LinuxResources{CPU: &specs.LinuxCPU{Period: u64(50000)}})
	want := []string{
		"c/memory.swap.max=0", "c/memory.max=100", "c/memory.swap.max=max", "c/memory.max=max",
		"c/io.weight=10000", "c/io.weight=8:0 1", "c/cpu.max=max 50000",
	}
	if got := writes(root); !reflect.DeepEqual(got, want) {
		t.Errorf("got %q", got)
	}
	// A burst refused against the old quota is written again after cpu.max.
	first := true
	common.TestWriteErr = func(path, _ string) error {
		if strings.HasSuffix(path, "cpu.max.burst") && first {
			first = false
			return unix.EINVAL
		}
		return nil
	}
	_ = m.Set(&specs.LinuxResources{CPU: &specs.LinuxCPU{Quota: i64(-1), Burst: u64(5)}})
	if got := writes(root); !reflect.DeepEqual(got, []string{"c/cpu.max=max 100000", "c/cpu.max.burst=5"}) {
		t.Errorf("burst: got %q", got)
	}
}

func TestSetErrors(t *testing.T) {
	m, _ := fake(t, "cpu pids")
	// Emulate the kernel: no files of controllers that are not enabled.
	common.TestWriteErr = func(path, _ string) error {
		if strings.HasPrefix(filepath.Base(path), "memory.") {
			return unix.ENOENT
		}
		return nil
	}
	for _, tc := range []struct {
		r    specs.LinuxResources
		want string
	}{
		{specs.LinuxResources{Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}}, "linux.resources.devices: query the device programs of "}, // not a cgroup
		{specs.LinuxResources{Network: &specs.LinuxNetwork{ClassID: u32(1)}}, "linux.resources.network.classID: net_cls is a cgroup v1 controller"},
		{specs.LinuxResources{Network: &specs.LinuxNetwork{Priorities: []specs.LinuxInterfacePriority{{Name: "eth0"}}}}, "linux.resources.network.priorities:"},
		{specs.LinuxResources{CPU: &specs.LinuxCPU{RealtimeRuntime: i64(5)}}, "linux.resources.cpu.realtimeRuntime: "},
		{specs.LinuxResources{Memory: &specs.LinuxMemory{Swap: i64(100)}}, "linux.resources.memory.swap: unable to set a swap limit without a memory limit"},
		{specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(5)}}, "linux.resources.memory.limit: the memory controller is not available"},
		{specs.LinuxResources{Unified: map[string]string{"memory.high": "5"}}, "linux.resources.unified[memory.high]: the memory controller is not available"},
		{specs.LinuxResources{Unified: map[string]string{"../x": "5"}}, "linux.resources.unified[../x]: must be a file name"},
		{specs.LinuxResources{Unified: map[string]string{"nodot": "5"}}, "linux.resources.unified[nodot]: must be in the form"},
		{specs.LinuxResources{HugepageLimits: []specs.LinuxHugepageLimit{{Pagesize: "3MB", Limit: 1}}}, "linux.resources.hugepageLimits[3MB]: huge page size"},
	} {
		err := m.Set(&tc.r)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("got %v\nwant %q...", err, tc.want)
		}
	}
}

func TestApplyFakeV2(t *testing.T) {
	m, root := fake(t, "cpu memory pids")
	// /c exists (empty, thawed): enabling goes through the root only.
	if err := m.Apply(42); err != nil {
		t.Fatal(err)
	}
	if got := writes(root); !reflect.DeepEqual(got, []string{"cgroup.subtree_control=+cpu +memory +pids", "c/cgroup.procs=42"}) {
		t.Fatalf("got %q", got)
	}
	// Already enabled: no write to the parent.
	writeFiles(t, root, map[string]string{"cgroup.subtree_control": "cpu memory pids\n"})
	writeFiles(t, m.dir, map[string]string{"cgroup.procs": ""})
	if err := m.Apply(-1); err != nil {
		t.Fatal(err)
	}
	if got := writes(root); got != nil {
		t.Fatalf("got %q", got)
	}
	// Frozen or populated: refused.
	writeFiles(t, m.dir, map[string]string{"cgroup.events": "populated 0\nfrozen 1\n"})
	if err := m.Apply(42); err == nil || !strings.Contains(err.Error(), "frozen") {
		t.Fatal(err)
	}
	writeFiles(t, m.dir, map[string]string{"cgroup.events": "populated 1\nfrozen 0\n", "cgroup.procs": "7\n"})
	if err := m.Apply(42); err == nil || !strings.Contains(err.Error(), "holds 1 process") {
		t.Fatal(err)
	}
	// Join: sub-cgroups, ':path', and errors.
	writeFiles(t, m.dir+"/s", map[string]string{"cgroup.procs": ""})
	common.TestWrites = nil
	if err := m.Join(5, ":s"); err != nil {
		t.Fatal(err)
	}
	if got := writes(root); !reflect.DeepEqual(got, []string{"c/s/cgroup.procs=5"}) {
		t.Fatalf("got %q", got)
	}
	for _, bad := range []string{"cpu:s", "../x", "s/../../y"} {
		if err := m.Join(5, bad); err == nil {
			t.Errorf("Join(%q): no error", bad)
		}
	}
}

func TestPSIParse(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"cpu.pressure": "some avg10=1.50 avg60=0.00 avg300=0.00 total=12345\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=7\n"})
	ps, err := statPSI(dir, "cpu.pressure")
	if err != nil || ps.Some.Avg10 != 1.5 || ps.Some.Total != 12345 || ps.Full.Total != 7 {
		t.Fatal(ps, err)
	}
	if ps, err := statPSI(dir, "io.pressure"); ps != nil || err != nil {
		t.Fatal("missing file:", ps, err)
	}
}
