package fs2

import (
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
)

// Root tests on the host's cgroup2 hierarchy: /sys/fs/cgroup/unified on a
// hybrid host (no resource controllers: mkdir, cgroup.procs, freeze, kill,
// events), or /sys/fs/cgroup on a pure v2 host (then resources too). They
// create husk-test-<pid>-<n> cgroups and remove them in t.Cleanup.

var seq atomic.Int32

func hostLayout(t *testing.T) *common.Layout {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	l, err := common.GetLayout()
	if err != nil || l.UnifiedMount == "" {
		t.Skip("no cgroup2 hierarchy")
	}
	return l
}

func hostManager(t *testing.T, r *specs.LinuxResources) *Manager {
	t.Helper()
	l := hostLayout(t)
	m, err := New(l, fmt.Sprintf("/husk-test-%d-%d", os.Getpid(), seq.Add(1)), "", r)
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

// procState returns the state letter of /proc/pid/stat.
func procState(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i > 0 && len(s) > i+2 {
		return s[i+2 : i+3]
	}
	return ""
}

func TestHostV2Lifecycle(t *testing.T) {
	m := hostManager(t, nil)
	cmd := startSleep(t)
	pid := cmd.Process.Pid
	if err := m.Apply(pid); err != nil {
		t.Fatal(err)
	}
	if pids, err := m.Pids(); err != nil || !slices.Equal(pids, []int{pid}) {
		t.Fatal(pids, err)
	}
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if fr, err := m.State(); err != nil || !fr {
		t.Fatal("State after Freeze:", fr, err)
	}
	if v, err := common.GetKeyValue(m.dir, "cgroup.events", "frozen"); err != nil || v != 1 {
		t.Fatal("cgroup.events:", v, err)
	}
	if err := m.Thaw(); err != nil {
		t.Fatal(err)
	}
	if fr, _ := m.State(); fr {
		t.Fatal("still frozen")
	}
	st, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.PidsStats.Current != 1 || st.CPUStats.PSI == nil {
		t.Errorf("stats: pids %+v psi %v", st.PidsStats, st.CPUStats.PSI)
	}

	// A sub-cgroup with a second process joined into it.
	if err := os.Mkdir(m.dir+"/sub", 0o755); err != nil {
		t.Fatal(err)
	}
	cmd2 := startSleep(t)
	if err := m.Join(cmd2.Process.Pid, "sub"); err != nil {
		t.Fatal(err)
	}
	if pids, _ := m.Pids(); len(pids) != 2 {
		t.Fatal("pids:", pids)
	}
	// SIGTERM goes through the freezer and leaves the cgroup thawed.
	if err := m.Kill(unix.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitExit(t, cmd, cmd2)
	if fr, _ := m.State(); fr {
		t.Fatal("left frozen")
	}
	if err := m.Destroy(); err != nil {
		t.Fatal(err)
	}
	if m.Exists() || common.PathExists(m.dir+"/sub") {
		t.Fatal("not removed")
	}
	if err := m.Destroy(); err != nil {
		t.Fatal("not idempotent:", err)
	}
	if err := m.Kill(unix.SIGKILL); err == nil {
		t.Fatal("Kill of a removed cgroup")
	}
}

func TestHostV2KillCgroupKill(t *testing.T) {
	m := hostManager(t, nil) // a fresh cgroup: see the cgroup.kill note in machine.md
	cmd := startSleep(t)
	if err := m.Apply(pid(cmd)); err != nil {
		t.Fatal(err)
	}
	if err := m.Kill(unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	waitExit(t, cmd)
}

func pid(c *exec.Cmd) int { return c.Process.Pid }

func TestHostV2PausedKill(t *testing.T) {
	m := hostManager(t, nil)
	cmd := startSleep(t)
	if err := m.Apply(pid(cmd)); err != nil {
		t.Fatal(err)
	}
	if err := m.Freeze(); err != nil {
		t.Fatal(err)
	}
	if err := m.Kill(unix.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if fr, _ := m.State(); !fr {
		t.Fatal("Kill(SIGTERM) thawed a paused container")
	}
	_ = m.Thaw()
	waitExit(t, cmd)
}

func TestHostV2Refuse(t *testing.T) {
	m := hostManager(t, nil)
	if err := os.Mkdir(m.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := common.WriteFile(m.dir, "cgroup.freeze", "1"); err != nil {
		t.Fatal(err)
	}
	cmd := startSleep(t)
	start := time.Now()
	if err := m.Apply(pid(cmd)); err == nil || !strings.Contains(err.Error(), "frozen") {
		t.Fatal("frozen:", err)
	}
	if time.Since(start) > time.Second || procState(pid(cmd)) == "" {
		t.Fatal("slow or lost")
	}
	// A frozen parent: the new child cgroup is frozen too.
	sub, _ := New(m.layout, strings.TrimPrefix(m.dir, m.layout.UnifiedMount)+"/child", "", nil)
	if err := sub.Apply(pid(cmd)); err == nil || !strings.Contains(err.Error(), "frozen") {
		t.Fatal("frozen parent:", err)
	}
	if common.PathExists(sub.dir) {
		t.Fatal("child cgroup left behind")
	}
	_ = common.WriteFile(m.dir, "cgroup.freeze", "0")
	// Populated (a fresh cgroup: on pure v2 the child's Apply above has
	// enabled controllers in m's subtree_control, so m can no longer hold
	// processes itself).
	m3 := hostManager(t, nil)
	if err := os.Mkdir(m3.dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := common.WriteProcs(m3.dir, pid(cmd)); err != nil {
		t.Fatal(err)
	}
	cmd2 := startSleep(t)
	if err := m3.Apply(pid(cmd2)); err == nil || !strings.Contains(err.Error(), "holds 1 process") {
		t.Fatal("populated:", err)
	}
	_ = cmd.Process.Kill()
	waitExit(t, cmd)
}

func TestHostV2CreateOnly(t *testing.T) {
	m := hostManager(t, nil)
	if err := m.Apply(-1); err != nil {
		t.Fatal(err)
	}
	if !m.Exists() {
		t.Fatal("not created")
	}
	// clone3(CLONE_INTO_CGROUP) through os/exec.
	fd, err := unix.Open(m.dir, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	cmd := exec.Command("sleep", "300")
	cmd.SysProcAttr = &unix.SysProcAttr{UseCgroupFD: true, CgroupFD: fd}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	if pids, _ := m.Pids(); !slices.Equal(pids, []int{pid(cmd)}) {
		t.Fatal("pids:", pids)
	}
}

// TestHostV2Resources runs where the cgroup2 hierarchy has controllers (the
// pure v2 test VM): limits are written and read back.
func TestHostV2Resources(t *testing.T) {
	l := hostLayout(t)
	avail, _ := Available(l.UnifiedMount)
	if l.Mode != common.Unified || !slices.Contains(avail, "memory") || !slices.Contains(avail, "pids") || !slices.Contains(avail, "cpu") {
		t.Skip("needs a pure cgroup v2 host with memory, pids and cpu")
	}
	r := &specs.LinuxResources{
		Memory: &specs.LinuxMemory{Limit: i64(64 << 20), Swap: i64(96 << 20), Reservation: i64(8 << 20)},
		Pids:   &specs.LinuxPids{Limit: i64(0)},
		CPU:    &specs.LinuxCPU{Shares: u64(512), Quota: i64(50000), Period: u64(100000), Cpus: "0", Mems: "0"},
	}
	m := hostManager(t, r)
	if err := m.Apply(-1); err != nil {
		t.Fatal(err)
	}
	if err := m.Set(r); err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		"memory.max": "67108864", "memory.swap.max": "33554432", "memory.low": "8388608",
		"pids.max": "0", "cpu.weight": "59", "cpu.max": "50000 100000", "cpuset.cpus": "0",
	} {
		if !slices.Contains(avail, strings.Split(file, ".")[0]) {
			continue
		}
		if got, err := common.GetString(m.dir, file); err != nil || got != want {
			t.Errorf("%s = %q, %v; want %q", file, got, err, want)
		}
	}
	// pids.max 0: no process can be forked into it; -1 lifts it.
	_ = m.Set(&specs.LinuxResources{Pids: &specs.LinuxPids{Limit: i64(-1)}})
	if got, _ := common.GetString(m.dir, "pids.max"); got != "max" {
		t.Errorf("pids.max = %s", got)
	}
	st, err := m.Stats()
	if err != nil {
		t.Fatal(err)
	}
	if st.MemoryStats.Usage.Limit != 64<<20 {
		t.Errorf("memory stats: %+v", st.MemoryStats.Usage)
	}

	// OOM: tail buffers /dev/zero until the OOM killer takes it.
	_ = m.Set(&specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: i64(16 << 20), Swap: i64(16 << 20)}})
	w, err := m.NotifyOOM()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	cmd := exec.Command("tail", "/dev/zero")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	if err := m.Join(pid(cmd), ""); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	var total uint64
	for total == 0 && time.Now().Before(deadline) {
		pfd := []unix.PollFd{{Fd: int32(w.Fd()), Events: unix.POLLIN}}
		if _, err := unix.Poll(pfd, 1000); err != nil && err != unix.EINTR {
			t.Fatal(err)
		}
		n, _, err := w.Read()
		if err != nil {
			t.Fatal(err)
		}
		total += n
	}
	if total == 0 {
		ev, _ := common.ReadFile(m.dir, "memory.events")
		cur, _ := common.ReadFile(m.dir, "memory.current")
		t.Fatalf("no OOM event; memory.events %q memory.current %q tail state %q", ev, cur, procState(pid(cmd)))
	}
	if c, err := m.OOMKillCount(); err != nil || c == 0 {
		t.Fatal("OOMKillCount:", c, err)
	}
}
