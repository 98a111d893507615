package fs

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
)

// Root tests: they create real cgroups named husk-test-<pid>-<n> at the
// root of each hierarchy and remove them in t.Cleanup.

var seq atomic.Int32

func hostLayout(t *testing.T) *common.Layout {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	l, err := common.GetLayout()
	if err != nil || (l.Mode != common.Legacy && l.Mode != common.Hybrid) {
		t.Skip("needs a cgroup v1 host")
	}
	return l
}

func testName() string {
	return fmt.Sprintf("/husk-test-%d-%d", os.Getpid(), seq.Add(1))
}

// hostManager returns a manager for a fresh unique cgroup, destroyed at the
// end of the test (after the processes started by startSleep are killed).
func hostManager(t *testing.T, r *specs.LinuxResources) *Manager {
	t.Helper()
	l := hostLayout(t)
	m, err := New(l, testName(), "", r)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Destroy(); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	})
	return m
}

// startSleep starts a child that is killed and reaped at the end of the test.
func startSleep(t *testing.T) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", "300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	return cmd
}

func readFile(t *testing.T, dir, file string) string {
	t.Helper()
	s, err := common.GetString(dir, file)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestHostLifecycle(t *testing.T) {
	m := hostManager(t, nil)
	cmd := startSleep(t)
	pid := cmd.Process.Pid
	start := time.Now()
	if err := m.Apply(pid); err != nil {
		t.Fatal(err)
	}
	t.Logf("Apply: %v", time.Since(start))
	if !m.Exists() {
		t.Fatal("Exists")
	}
	own, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cgroup")
	for k, dir := range m.paths {
		pids, err := common.ReadPids(dir)
		if err != nil || len(pids) != 1 || pids[0] != pid {
			t.Errorf("%s: pids %v, %v", k, pids, err)
		}
	}
	if !strings.Contains(string(own), "memory:"+strings.TrimPrefix(m.paths["memory"], "/sys/fs/cgroup/memory")) {
		t.Errorf("/proc/pid/cgroup: %s", own)
	}

	mem := int64(64 << 20)
	r := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: &mem, Swap: i64(128 << 20), Reservation: i64(32 << 20)},
		Pids:   &specs.LinuxPids{Limit: i64(10)},
		CPU:    &specs.LinuxCPU{Shares: u64(512), Quota: i64(50000), Period: u64(100000), Cpus: "0", Mems: "0"},
	}
	// A weight needs BFQ (blkio.bfq.weight) or CFQ (blkio.weight); kernels
	// without either (this machine's) refuse it, naming the field.
	if common.PathExists(m.paths["blkio"]+"/blkio.bfq.weight") || common.PathExists(m.paths["blkio"]+"/blkio.weight") {
		r.BlockIO = &specs.LinuxBlockIO{Weight: u16(200)}
	} else {
		err := m.Set(&specs.LinuxResources{BlockIO: &specs.LinuxBlockIO{Weight: u16(200)}})
		if err == nil || !strings.Contains(err.Error(), "linux.resources.blockIO.weight") {
			t.Errorf("a weight without BFQ/CFQ: %v, want an error naming linux.resources.blockIO.weight", err)
		}
	}
	start = time.Now()
	if err := m.Set(r); err != nil {
		t.Fatal(err)
	}
	t.Logf("Set: %v", time.Since(start))
	for _, c := range []struct{ ctrl, file, want string }{
		{"memory", "memory.limit_in_bytes", "67108864"},
		{"memory", "memory.memsw.limit_in_bytes", "134217728"},
		{"memory", "memory.soft_limit_in_bytes", "33554432"},
		{"pids", "pids.max", "10"},
		{"cpu", "cpu.shares", "512"},
		{"cpu", "cpu.cfs_quota_us", "50000"},
		{"cpu", "cpu.cfs_period_us", "100000"},
		{"cpuset", "cpuset.cpus", "0"},
		{"blkio", "blkio.bfq.weight", "200"},
	} {
		if !common.PathExists(m.paths[c.ctrl] + "/" + c.file) {
			continue // e.g. no BFQ
		}
		if got := readFile(t, m.paths[c.ctrl], c.file); got != c.want && !strings.HasSuffix(got, " "+c.want) {
			t.Errorf("%s = %q, want %q", c.file, got, c.want)
		}
	}
	// Lower memsw below the current limit: needs memory first; raise both
	// above: needs memsw first. Both must succeed.
	for _, lim := range [][2]int64{{16 << 20, 24 << 20}, {256 << 20, 512 << 20}, {-1, 0}} {
		rr := &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(lim[0])}}
		if lim[1] != 0 {
			rr.Memory.Swap = i64(lim[1])
		}
		if err := m.Set(rr); err != nil {
			t.Fatalf("memory %v: %v", lim, err)
		}
	}
	if got := readFile(t, m.paths["memory"], "memory.memsw.limit_in_bytes"); got != "9223372036854771712" {
		t.Errorf("memsw after -1: %s", got)
	}
	// pids.limit 0 is a real limit of 0; -1 is max.
	_ = m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(0)}})
	if got := readFile(t, m.paths["pids"], "pids.max"); got != "0" {
		t.Errorf("pids.max = %s", got)
	}
	_ = m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(-1)}})
	if got := readFile(t, m.paths["pids"], "pids.max"); got != "max" {
		t.Errorf("pids.max = %s", got)
	}

	pids, err := m.Pids()
	if err != nil || len(pids) != 1 || pids[0] != pid {
		t.Fatal(pids, err)
	}
	st, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := st.MemoryStats.Stats["rss"]; st.PidsStats.Current != 1 || !ok || len(st.CPUStats.CPUUsage.PercpuUsage) == 0 {
		t.Errorf("stats: %+v", st)
	}

	// Freeze / thaw.
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if fr, err := m.State(); err != nil || !fr {
		t.Fatal("State after Freeze:", fr, err)
	}
	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}
	if fr, err := m.State(); err != nil || fr {
		t.Fatal("State after Thaw:", fr, err)
	}

	// A sub-cgroup: Join a second process into it, then Kill and Destroy.
	cmd2 := startSleep(t)
	for k, dir := range m.Paths() {
		if err := os.Mkdir(dir+"/sub", 0o755); err != nil {
			t.Fatal(err)
		}
		if k == "cpuset" {
			_ = common.WriteFile(dir+"/sub", "cpuset.cpus", "0")
			_ = common.WriteFile(dir+"/sub", "cpuset.mems", "0")
		}
	}
	if err := m.Join(cmd2.Process.Pid, "sub"); err != nil {
		t.Fatal(err)
	}
	if pids, _ := m.Pids(); len(pids) != 2 {
		t.Fatalf("pids with the sub-cgroup: %v", pids)
	}
	if err := m.Join(cmd2.Process.Pid, "../x"); err == nil {
		t.Fatal("Join with ..")
	}
	if err := m.Kill(unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitExit(t, cmd, cmd2)
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	for k, dir := range m.paths {
		if common.PathExists(dir) {
			t.Errorf("%s: %s left behind", k, dir)
		}
	}
	if err := m.Destroy(); err != nil {
		t.Fatal("Destroy not idempotent:", err)
	}
	if m.Exists() {
		t.Fatal("Exists after Destroy")
	}
}

func waitExit(t *testing.T, cmds ...*exec.Cmd) {
	t.Helper()
	for _, c := range cmds {
		done := make(chan error, 1)
		go func() { done <- c.Wait() }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatalf("pid %d did not die", c.Process.Pid)
		}
	}
}

func TestHostKillFreezerPath(t *testing.T) {
	m := hostManager(t, nil)
	delete(m.paths, Unified) // force the freeze + signal path
	cmd := startSleep(t)
	if err := m.Apply(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if err := m.Kill(unix.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitExit(t, cmd)
	if fr, _ := m.State(); fr {
		t.Fatal("left frozen")
	}
	// An empty cgroup: nothing to do, no freeze.
	if err := m.Kill(unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
}

func TestHostPausedKill(t *testing.T) {
	m := hostManager(t, nil)
	cmd := startSleep(t)
	if err := m.Apply(cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	// A signal other than SIGKILL keeps a paused container paused.
	if err := m.Kill(unix.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if fr, _ := m.State(); !fr {
		t.Fatal("thawed by Kill(SIGTERM)")
	}
	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}
	waitExit(t, cmd)
}

func TestHostRefuseFrozenOrPopulated(t *testing.T) {
	m := hostManager(t, nil)
	// Pre-frozen freezer cgroup.
	fdir := m.paths["freezer"]
	if err := os.Mkdir(fdir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := common.WriteFile(fdir, "freezer.state", "FROZEN"); err != nil {
		t.Fatal(err)
	}
	cmd := startSleep(t)
	start := time.Now()
	err := m.Apply(cmd.Process.Pid)
	if err == nil || !strings.Contains(err.Error(), "FROZEN") {
		t.Fatalf("Apply into a frozen cgroup: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("took %v", d)
	}
	// Nothing Apply created is left; the process is in no test cgroup.
	for k, dir := range m.paths {
		if k != "freezer" && common.PathExists(dir) {
			t.Errorf("%s left behind", dir)
		}
	}
	_ = common.WriteFile(fdir, "freezer.state", "THAWED")

	// A populated pre-existing cgroup.
	pdir := m.paths["pids"]
	if err := os.Mkdir(pdir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := common.WriteProcs(pdir, cmd.Process.Pid); err != nil {
		t.Fatal(err)
	}
	cmd2 := startSleep(t)
	err = m.Apply(cmd2.Process.Pid)
	if err == nil || !strings.Contains(err.Error(), "holds 1 process") {
		t.Fatalf("Apply into a populated cgroup: %v", err)
	}
	_ = cmd.Process.Kill()
	waitExit(t, cmd)
}

func TestHostDevices(t *testing.T) {
	m := hostManager(t, nil)
	if err := m.Apply(-1); err != nil {
		t.Fatal(err)
	}
	rules := []specs.LinuxDeviceCgroup{
		{Allow: false, Access: "rwm"},
		{Allow: true, Type: "c", Major: i64(1), Minor: i64(3), Access: "rwm"},
		{Allow: true, Type: "c", Major: i64(136), Minor: i64(-1), Access: "rwm"},
		{Allow: true, Type: "b", Major: i64(-1), Minor: i64(-1), Access: "m"},
	}
	if err := m.Set(&specs.LinuxResources{Devices: rules}); err != nil {
		t.Fatal(err)
	}
	got := readFile(t, m.paths["devices"], "devices.list")
	for _, want := range []string{"c 1:3 rwm", "c 136:* rwm", "b *:* m"} {
		if !strings.Contains(got, want) {
			t.Errorf("devices.list %q lacks %q", got, want)
		}
	}
	// Update: drop /dev/null write access, keep the rest without "a".
	rules[1].Access = "rm"
	common.TestWrites = nil
	if err := m.Set(&specs.LinuxResources{Devices: rules}); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, m.paths["devices"], "devices.list"); !strings.Contains(got, "c 1:3 rm\n") && !strings.HasSuffix(got, "c 1:3 rm") {
		t.Errorf("devices.list after update: %q", got)
	}
}

func TestHostOOM(t *testing.T) {
	m := hostManager(t, &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(8 << 20), Swap: i64(8 << 20)}})
	if err := m.Apply(-1); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(m.res); err != nil {
		t.Fatal(err)
	}
	w, err := m.NotifyOOM()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	// tail buffers /dev/zero looking for a newline until it is OOM-killed.
	cmd := exec.Command("tail", "/dev/zero")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	if err := m.Join(cmd.Process.Pid, ""); err != nil {
		t.Fatal(err)
	}
	pfd := []unix.PollFd{{Fd: int32(w.Fd()), Events: unix.POLLIN}}
	n, err := unix.Poll(pfd, 10000)
	if err != nil || n != 1 {
		t.Fatalf("poll: %d %v", n, err)
	}
	events, gone, err := w.Read()
	if err != nil || gone || events == 0 {
		t.Fatalf("Read: %d %v %v", events, gone, err)
	}
	_ = cmd.Wait()
	if c, err := m.OOMKillCount(); err != nil || c == 0 {
		t.Fatalf("OOMKillCount: %d %v", c, err)
	}
}

func TestHostRelativePath(t *testing.T) {
	l := hostLayout(t)
	m, err := New(l, "", "husk-rel", nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, dir := range m.paths {
		h := l.Hierarchy(k)
		if k == Unified {
			if !strings.HasPrefix(dir, l.UnifiedMount) {
				t.Errorf("unified: %s", dir)
			}
			continue
		}
		own := l.Own[k]
		if want := strings.TrimSuffix(h.Mountpoint+own, "/") + "/husk-rel"; dir != want {
			t.Errorf("%s: %s, want %s", k, dir, want)
		}
	}
}

// BenchmarkHostSetup measures what a container start costs in cgroups:
// New, Apply(-1), Set (memory, pids, cpu, devices), Join of a process,
// Destroy after the process exits... without the process: Join of the
// benchmark's own pid is not possible (it would move the test), so a sleep
// child is started once and moved in and out.
func BenchmarkHostSetup(b *testing.B) {
	if os.Geteuid() != 0 {
		b.Skip("needs root")
	}
	l, err := common.GetLayout()
	if err != nil || l.Mode == common.Unified {
		b.Skip("needs a cgroup v1 host")
	}
	cmd := exec.Command("sleep", "300")
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	own, _ := os.ReadFile("/proc/self/cgroup")
	ownMap, _ := common.ParseOwnCgroups(own)
	r := &specs.LinuxResources{
		Memory:  &specs.LinuxMemory{Limit: i64(256 << 20)},
		Pids:    &specs.LinuxPids{Limit: i64(100)},
		CPU:     &specs.LinuxCPU{Shares: u64(1024)},
		Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}, {Allow: true, Type: "c", Major: i64(1), Minor: i64(3), Access: "rwm"}},
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m, err := New(l, fmt.Sprintf("/husk-test-%d-bench%d", os.Getpid(), i), "", r)
		if err != nil {
			b.Fatal(err)
		}
		if err := m.Apply(-1); err != nil {
			b.Fatal(err)
		}
		if err := m.Set(r); err != nil {
			b.Fatal(err)
		}
		if err := m.Join(cmd.Process.Pid, ""); err != nil {
			b.Fatal(err)
		}
		// Move the process back (to the benchmark's own cgroups), then Destroy.
		for k, dir := range m.paths {
			h := l.Hierarchy(k)
			base := l.UnifiedMount + ownMap[""]
			if h != nil {
				base = h.Mountpoint + ownMap[h.Controllers[0]]
			}
			_ = common.WriteProcs(strings.TrimSuffix(base, "/"), cmd.Process.Pid)
			_ = dir
		}
		if err := m.Destroy(); err != nil {
			b.Fatal(err)
		}
	}
}

func TestHostTaskFiles(t *testing.T) {
	m := hostManager(t, nil)
	if err := m.Apply(-1); err != nil {
		t.Fatal(err)
	}
	files := m.TaskFiles()
	if len(files) == 0 || !strings.HasPrefix(files[0], m.paths["cpuset"]) {
		t.Fatalf("files %v", files)
	}
	// A single-threaded shell joins by itself, then becomes sleep.
	script := ""
	for _, f := range files {
		script += "echo 0 > " + f + " && "
	}
	cmd := exec.Command("sh", "-c", script+"exec sleep 300")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	deadline := time.Now().Add(5 * time.Second)
	for {
		pids, _ := common.ReadPids(m.paths["pids"])
		if len(pids) == 1 && pids[0] == cmd.Process.Pid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pids %v", pids)
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, f := range files {
		dir := strings.TrimSuffix(f, "/tasks")
		if pids, _ := common.ReadPids(dir); len(pids) != 1 {
			t.Errorf("%s: %v", dir, pids)
		}
	}
}
