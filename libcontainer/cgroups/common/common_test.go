package common

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"golang.org/x/sys/unix"
)

const hybridMountinfo = `22 1 8:1 / / rw,relatime - ext4 /dev/vda rw
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`

// A nested setup: co-mounted controllers, binds of sub-cgroups, a second
// mount of memory (ignored), a mountpoint with a space.
const nestedMountinfo = `100 99 0:40 /docker/abc /sys/fs/cgroup/cpu,cpuacct ro,nosuid - cgroup cgroup rw,cpu,cpuacct
101 99 0:41 /docker/abc /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory
102 99 0:41 / /mnt/other\040mem rw - cgroup cgroup rw,memory
103 99 0:42 /docker/abc /sys/fs/cgroup/net_cls,net_prio rw - cgroup cgroup rw,net_cls,net_prio
104 99 0:43 / /sys/fs/cgroup/foo rw - cgroup cgroup rw,name=foo
`

func TestLayoutFromMountinfo(t *testing.T) {
	l := layoutFromMountinfo([]byte(hybridMountinfo))
	if l.Mode != Hybrid || l.UnifiedMount != "/sys/fs/cgroup/unified" || l.UnifiedRoot != "/" {
		t.Fatalf("mode %v unified %q %q", l.Mode, l.UnifiedMount, l.UnifiedRoot)
	}
	if len(l.V1) != 9 {
		t.Fatalf("got %d hierarchies: %+v", len(l.V1), l.V1)
	}
	if h := l.Hierarchy("name=systemd"); h == nil || h.Mountpoint != "/sys/fs/cgroup/systemd" {
		t.Fatalf("name=systemd: %+v", h)
	}
	if l.Hierarchy("hugetlb") != nil {
		t.Fatal("hugetlb is not mounted")
	}

	l = layoutFromMountinfo([]byte(nestedMountinfo))
	if l.Mode != Legacy || len(l.V1) != 3 {
		t.Fatalf("nested: %v %+v", l.Mode, l.V1)
	}
	cpu, acct := l.Hierarchy("cpu"), l.Hierarchy("cpuacct")
	if cpu == nil || cpu != acct || cpu.Root != "/docker/abc" || cpu.Mountpoint != "/sys/fs/cgroup/cpu,cpuacct" {
		t.Fatalf("cpu: %+v", cpu)
	}
	if h := l.HierarchyOf("/sys/fs/cgroup/memory/x/y"); h == nil || !h.Has("memory") {
		t.Fatalf("HierarchyOf: %+v", h)
	}
	if h := l.HierarchyOf("/sys/fs/cgroup/memoryx"); h != nil {
		t.Fatalf("HierarchyOf prefix: %+v", h)
	}

	l = layoutFromMountinfo([]byte("50 1 0:5 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"))
	if l.Mode != Unified || l.UnifiedMount != "/sys/fs/cgroup" {
		t.Fatalf("v2: %+v", l)
	}
	if got := unescapeMountinfo(`/mnt/other\040mem`); got != "/mnt/other mem" {
		t.Fatal(got)
	}
}

func TestParseOwnCgroups(t *testing.T) {
	own, err := ParseOwnCgroups([]byte("9:name=systemd:/\n4:memory:/process_api/3b\n2:cpu,cpuacct:/a/b\n0::/u\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"name=systemd": "/", "memory": "/process_api/3b", "cpu": "/a/b", "cpuacct": "/a/b", "": "/u"}
	if !reflect.DeepEqual(own, want) {
		t.Fatalf("got %v", own)
	}
	if _, err := ParseOwnCgroups([]byte("garbage\n")); err == nil {
		t.Fatal("no error for a bad line")
	}
}

func TestPaths(t *testing.T) {
	for _, tc := range []struct{ path, name, want string }{
		{"/a/b", "ctr", "/a/b"},
		{"/a/../../b", "", "/b"},
		{"a/b", "ctr", "a/b"},
		{"../../x", "", "x"},
		{"", "ctr", "ctr"},
		{"", "../ctr", "ctr"},
	} {
		got, err := InnerPath(tc.path, tc.name)
		if err != nil || got != tc.want {
			t.Errorf("InnerPath(%q, %q) = %q, %v; want %q", tc.path, tc.name, got, err, tc.want)
		}
	}
	for _, bad := range [][2]string{{"", ""}, {"/", "x"}, {"", "."}} {
		if _, err := InnerPath(bad[0], bad[1]); err == nil {
			t.Errorf("InnerPath(%q, %q): no error", bad[0], bad[1])
		}
	}

	l := layoutFromMountinfo([]byte(hybridMountinfo))
	l.Own, _ = ParseOwnCgroups([]byte("4:memory:/process_api/3b\n1:cpu:/\n0::/svc\n"))
	mem, cpu := l.Hierarchy("memory"), l.Hierarchy("cpu")
	check := func(got string, err error, want string) {
		t.Helper()
		if err != nil || got != want {
			t.Fatalf("got %q, %v; want %q", got, err, want)
		}
	}
	d, err := l.V1Dir(mem, "/husk/c1")
	check(d, err, "/sys/fs/cgroup/memory/husk/c1")
	d, err = l.V1Dir(mem, "c1")
	check(d, err, "/sys/fs/cgroup/memory/process_api/3b/c1")
	d, err = l.V1Dir(cpu, "c1")
	check(d, err, "/sys/fs/cgroup/cpu/c1")
	d, err = l.UnifiedDir("c1") // hybrid: below the own cgroup
	check(d, err, "/sys/fs/cgroup/unified/svc/c1")
	d, err = l.UnifiedDir("/abs")
	check(d, err, "/sys/fs/cgroup/unified/abs")
	if _, err := l.V1Dir(l.Hierarchy("pids"), "c1"); err == nil {
		t.Fatal("no own pids cgroup: expected an error")
	}

	// Pure v2: relative paths go below the parent of the own cgroup.
	v2 := &Layout{Mode: Unified, UnifiedMount: "/sys/fs/cgroup", UnifiedRoot: "/", Own: map[string]string{"": "/user.slice/session-1.scope"}}
	d, err = v2.UnifiedDir("c1")
	check(d, err, "/sys/fs/cgroup/user.slice/c1")

	// Nested: the own cgroup is the mount root; one outside is refused.
	n := layoutFromMountinfo([]byte(nestedMountinfo))
	n.Own = map[string]string{"cpu": "/docker/abc", "cpuacct": "/docker/abc", "memory": "/elsewhere"}
	d, err = n.V1Dir(n.Hierarchy("cpuacct"), "c1")
	check(d, err, "/sys/fs/cgroup/cpu,cpuacct/c1")
	if _, err := n.V1Dir(n.Hierarchy("memory"), "c1"); err == nil {
		t.Fatal("own cgroup outside the mount: expected an error")
	}
}

func TestConversions(t *testing.T) {
	for in, want := range map[uint64]uint64{0: 0, 1: 1, 2: 1, 1024: 100, 262144: 10000, 1 << 20: 10000, 512: 59} {
		if got := SharesToWeight(in); got != want {
			t.Errorf("SharesToWeight(%d) = %d, want %d", in, got, want)
		}
	}
	for in, want := range map[uint16]uint64{0: 0, 10: 1, 1000: 10000, 500: 4950} {
		if got := BlkioWeightToIOWeight(in); got != want {
			t.Errorf("BlkioWeightToIOWeight(%d) = %d, want %d", in, got, want)
		}
	}
	for _, tc := range []struct {
		swap, mem, want int64
		err             bool
	}{
		{0, -1, -1, false}, {-1, 100, -1, false}, {0, 100, 0, false}, {300, -1, 300, false},
		{300, 100, 200, false}, {100, 100, 0, false}, {50, 100, 0, true}, {100, 0, 0, true},
	} {
		got, err := SwapToV2(tc.swap, tc.mem)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("SwapToV2(%d, %d) = %d, %v", tc.swap, tc.mem, got, err)
		}
	}
	if got := hugePageSizesFrom([]string{"hugepages-1048576kB", "hugepages-2048kB", "hugepages-64kB", "junk"}); !reflect.DeepEqual(got, []string{"1GB", "2MB", "64KB"}) {
		t.Errorf("hugePageSizesFrom: %v", got)
	}
	for _, tc := range []struct {
		in   string
		want uint64
	}{{"max\n", math.MaxUint64}, {"-1", math.MaxUint64}, {"42\n", 42}, {"99999999999999999999", math.MaxUint64}} {
		if got, err := ParseUint(tc.in); err != nil || got != tc.want {
			t.Errorf("ParseUint(%q) = %d, %v", tc.in, got, err)
		}
	}
	if _, err := ParseUint("abc"); err == nil {
		t.Error("ParseUint(abc): no error")
	}
	if PidsValue(0) != "0" || PidsValue(-1) != "max" || PidsValue(-5) != "max" || PidsValue(7) != "7" {
		t.Error("PidsValue")
	}
}

func TestKeyValueAndFiles(t *testing.T) {
	v, ok, err := KeyValue("populated 1\nfrozen 0\n", "frozen")
	if err != nil || !ok || v != 0 {
		t.Fatal(v, ok, err)
	}
	if _, ok, _ := KeyValue("oom_kill_disable 0\n", "oom_kill"); ok {
		t.Fatal("prefix match")
	}
	dir := t.TempDir()
	if err := os.WriteFile(dir+"/f", []byte("7\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if n, err := GetUint(dir, "f"); err != nil || n != 7 {
		t.Fatal(n, err)
	}
	err = WriteFile(dir, "missing", "1")
	var we *os.PathError
	if !errors.As(err, &we) || !errors.Is(err, unix.ENOENT) {
		t.Fatalf("WriteFile of a missing file: %v", err)
	}
	if err := WriteFile(dir, "f", "8"); err != nil {
		t.Fatal(err)
	}
	if s, _ := GetString(dir, "f"); s != "8" {
		t.Fatalf("content %q", s)
	}
}

func TestSubPathsAndMkdir(t *testing.T) {
	for in, want := range map[string]string{"": "", "a/b": "a/b", "/a": "a", "a//b/": "a/b", ".": ""} {
		if got, err := CheckSubPath(in); err != nil || got != want {
			t.Errorf("CheckSubPath(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{"..", "a/../b", "../x"} {
		if _, err := CheckSubPath(bad); err == nil {
			t.Errorf("CheckSubPath(%q): no error", bad)
		}
	}
	root := t.TempDir()
	created, existed, err := Mkdir(root + "/a/b/c")
	if err != nil || existed || !reflect.DeepEqual(created, []string{root + "/a", root + "/a/b", root + "/a/b/c"}) {
		t.Fatal(created, existed, err)
	}
	if created, existed, err = Mkdir(root + "/a/b/c"); err != nil || !existed || created != nil {
		t.Fatal(created, existed, err)
	}
	if err := os.MkdirAll(root+"/a/b/c/d/e", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := RemovePath(root + "/a"); err != nil {
		t.Fatal(err)
	}
	if PathExists(root + "/a") {
		t.Fatal("not removed")
	}
	if err := RemovePath(root + "/a"); err != nil {
		t.Fatal("not idempotent:", err)
	}
	_ = os.MkdirAll(filepath.Join(root, "x/y"), 0o755)
	RemoveCreated([]string{root + "/x", root + "/x/y"})
	if PathExists(root + "/x") {
		t.Fatal("RemoveCreated")
	}
}

func TestFieldError(t *testing.T) {
	err := Field("memory.limit", &WriteError{Path: "/x/memory.limit_in_bytes", Data: "1", Err: unix.EINVAL})
	if err.Error() != `linux.resources.memory.limit: write "1" to /x/memory.limit_in_bytes: invalid argument` {
		t.Fatal(err)
	}
	if !errors.Is(err, unix.EINVAL) {
		t.Fatal("not unwrapped")
	}
	if Field("outer", err) != err {
		t.Fatal("re-wrapped")
	}
	if Field("x", nil) != nil {
		t.Fatal("nil")
	}
}

func TestRealLayout(t *testing.T) {
	l, err := GetLayout()
	if err != nil {
		t.Skip("no cgroups here:", err)
	}
	l2, _ := GetLayout()
	if l != l2 {
		t.Fatal("layout not cached")
	}
	t.Logf("mode %v, %d v1 hierarchies, unified %q", l.Mode, len(l.V1), l.UnifiedMount)
}
