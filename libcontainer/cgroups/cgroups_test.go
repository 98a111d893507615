package cgroups

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
	"github.com/husk-runtime/husk/libcontainer/cgroups/systemd"
	"github.com/husk-runtime/husk/libcontainer/configs"
)

func fakeV1(comount bool) *Layout {
	l := &Layout{Mode: Hybrid, UnifiedMount: "/sys/fs/cgroup/unified", UnifiedRoot: "/", Own: map[string]string{"": "/"}}
	hs := [][]string{{"cpuset"}, {"memory"}, {"name=systemd"}}
	if comount {
		hs = append(hs, []string{"cpu", "cpuacct"}, []string{"net_cls", "net_prio"})
	} else {
		hs = append(hs, []string{"cpu"}, []string{"cpuacct"})
	}
	for _, h := range hs {
		name := strings.TrimPrefix(strings.Join(h, ","), "name=")
		l.V1 = append(l.V1, common.Hierarchy{Mountpoint: "/sys/fs/cgroup/" + name, Root: "/", Controllers: h})
		for _, c := range h {
			l.Own[c] = "/"
		}
	}
	return l
}

func TestNewLoad(t *testing.T) {
	l := fakeV1(true)
	m, err := NewWithLayout(l, &configs.Cgroup{Path: "/pod/c1"})
	if err != nil {
		t.Fatal(err)
	}
	p := m.Paths()
	if p["cpu"] != "/sys/fs/cgroup/cpu,cpuacct/pod/c1" || p[""] != "/sys/fs/cgroup/unified/pod/c1" || p["name=systemd"] != "/sys/fs/cgroup/systemd/pod/c1" {
		t.Fatalf("paths %v", p)
	}
	m2, err := LoadWithLayout(l, p)
	if err != nil || !reflect.DeepEqual(m2.Paths(), p) {
		t.Fatal("Load:", err)
	}
	// Pure v2.
	v2 := &Layout{Mode: Unified, UnifiedMount: "/sys/fs/cgroup", UnifiedRoot: "/", Own: map[string]string{"": "/a/b"}}
	m, err = NewWithLayout(v2, &configs.Cgroup{Name: "ctr"})
	if err != nil || !reflect.DeepEqual(m.Paths(), map[string]string{"": "/sys/fs/cgroup/a/ctr"}) {
		t.Fatal(m.Paths(), err)
	}
	if _, err := LoadWithLayout(v2, map[string]string{"memory": "/x"}); err == nil {
		t.Fatal("v1 paths loaded on v2")
	}
	if _, err := LoadWithLayout(v2, nil); err == nil {
		t.Fatal("empty paths")
	}
	// Systemd on a v1 layout: the v1 scope driver (here: a clear error
	// where systemd is not the init).
	sm, err := NewWithLayout(l, &configs.Cgroup{Systemd: true, Path: "system.slice:husk:c1"})
	if err == nil {
		if _, ok := sm.(*systemd.LegacyManager); !ok || sm.Paths()["memory"] != "/sys/fs/cgroup/memory/system.slice/husk-c1.scope" {
			t.Fatalf("systemd on v1: %T %v", sm, sm.Paths())
		}
	} else if !strings.Contains(err.Error(), "systemd is not running") {
		t.Fatal(err)
	}
	// Resources checked up front, naming the field.
	bad, err := NewWithLayout(l, &configs.Cgroup{Path: "/c", Resources: &specs.LinuxResources{Unified: map[string]string{"a.b": "1"}}})
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "unified" {
		t.Fatal(err)
	}
	// No typed nil behind the interface: callers clean up when m != nil.
	if bad != nil {
		t.Fatalf("NewWithLayout returned a non-nil manager (%T) with its error", bad)
	}
}

func TestContainerMountsV1(t *testing.T) {
	m, _ := NewWithLayout(fakeV1(true), &configs.Cgroup{Path: "/c"})
	got := ContainerMounts(m, false)
	bind := uintptr(unix.MS_BIND | unix.MS_REC)
	want := []Mount{
		{Source: "tmpfs", FSType: "tmpfs", Flags: freshFlags, Data: "mode=755"},
		{Source: "/sys/fs/cgroup/cpuset/c", Dest: "cpuset", FSType: "bind", Flags: bind},
		{Source: "/sys/fs/cgroup/memory/c", Dest: "memory", FSType: "bind", Flags: bind},
		{Source: "/sys/fs/cgroup/systemd/c", Dest: "systemd", FSType: "bind", Flags: bind},
		{Source: "/sys/fs/cgroup/cpu,cpuacct/c", Dest: "cpu,cpuacct", FSType: "bind", Flags: bind},
		{Source: "/sys/fs/cgroup/net_cls,net_prio/c", Dest: "net_cls,net_prio", FSType: "bind", Flags: bind},
		{Dest: "cpu", Symlink: "cpu,cpuacct"},
		{Dest: "cpuacct", Symlink: "cpu,cpuacct"},
		{Dest: "net_cls", Symlink: "net_cls,net_prio"},
		{Dest: "net_prio", Symlink: "net_cls,net_prio"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%+v\nwant\n%+v", got, want)
	}
	got = ContainerMounts(m, true)
	if got[1] != (Mount{Source: "cgroup", Dest: "cpuset", FSType: "cgroup", Flags: freshFlags, Data: "cpuset"}) ||
		got[3] != (Mount{Source: "systemd", Dest: "systemd", FSType: "cgroup", Flags: freshFlags, Data: "name=systemd"}) ||
		got[4].Data != "cpu,cpuacct" || len(got) != len(want) {
		t.Fatalf("cgroupns: %+v", got)
	}
	// Separately mounted cpu and cpuacct: no symlinks.
	m, _ = NewWithLayout(fakeV1(false), &configs.Cgroup{Path: "/c"})
	for _, mm := range ContainerMounts(m, false) {
		if mm.Symlink != "" {
			t.Fatalf("symlink %+v", mm)
		}
	}
}

func TestContainerMountsV2(t *testing.T) {
	v2 := &Layout{Mode: Unified, UnifiedMount: "/sys/fs/cgroup", UnifiedRoot: "/", Own: map[string]string{"": "/"}}
	m, _ := NewWithLayout(v2, &configs.Cgroup{Path: "/c"})
	if got := ContainerMounts(m, false); !reflect.DeepEqual(got, []Mount{{Source: "/sys/fs/cgroup/c", FSType: "bind", Flags: unix.MS_BIND | unix.MS_REC}}) {
		t.Fatal(got)
	}
	if got := ContainerMounts(m, true); !reflect.DeepEqual(got, []Mount{{Source: "cgroup2", FSType: "cgroup2", Flags: freshFlags}}) {
		t.Fatal(got)
	}
}

func TestDefaultDeviceRules(t *testing.T) {
	all := DefaultDeviceRules()
	if len(all) != 11 {
		t.Fatal(len(all))
	}
	if got := DefaultDeviceRules("/dev/null", "/dev/tty"); len(got) != 9 {
		t.Fatal(len(got))
	}
}

// TestHost runs New/Apply/Set/Kill/Destroy through the public API on the
// real host (any layout), with a unique absolute cgroupsPath.
func TestHost(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	mode, err := HostMode()
	if err != nil {
		t.Skip(err)
	}
	r := &specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(20)}}
	if mode != Unified {
		r.Memory = &specs.LinuxMemory{Limit: i64(64 << 20)}
		r.Devices = append([]specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}}, DefaultDeviceRules()...)
	}
	cfg := &configs.Cgroup{Path: fmt.Sprintf("/husk-test-%d-api", os.Getpid()), Resources: r}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Destroy(); err != nil {
			t.Error(err)
		}
	})
	cmd := exec.Command("sleep", "300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if err := m.Apply(-1); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(r); err != nil {
		t.Fatal(err)
	}
	if err := m.Join(cmd.Process.Pid, ""); err != nil {
		t.Fatal(err)
	}
	paths := m.Paths()
	if mode == Hybrid && paths[""] == "" {
		t.Fatal("hybrid host: no cgroup2 directory")
	}
	own, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", cmd.Process.Pid))
	if n := strings.Count(string(own), cfg.Path); n < len(uniq(paths)) {
		t.Errorf("process in %d of %d cgroups:\n%s", n, len(uniq(paths)), own)
	}
	// A second manager from the saved paths sees the same container.
	m2, err := Load(paths)
	if err != nil {
		t.Fatal(err)
	}
	if pids, err := m2.Pids(); err != nil || len(pids) != 1 {
		t.Fatal(pids, err)
	}
	if mounts := ContainerMounts(m2, false); len(mounts) == 0 {
		t.Fatal("no mounts")
	}
	if err := m2.Kill(unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if err := m2.Destroy(); err != nil {
		t.Fatal(err)
	}
	if m.Exists() {
		t.Fatal("still exists")
	}
}

func uniq(p map[string]string) map[string]bool {
	u := map[string]bool{}
	for _, d := range p {
		u[d] = true
	}
	return u
}

func i64(v int64) *int64 { return &v }
