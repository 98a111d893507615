package integration

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// cleanup runs after every test that made an env: it checks that nothing is
// left behind (an error when the test otherwise passed) and then removes
// whatever was:
//   - entries in the test's --root (containers not deleted),
//   - mounts under the test's dir (bundles, rootfs),
//   - cgroups named after the test's container ids (runc's naming: under the
//     caller's cgroup) and the cgroupsPath values the test set,
//   - processes carrying the test's marker in their environment (every
//     runtime process and every container process of the test has it).
func (e *env) cleanup() {
	t := e.t
	check := !t.Failed()
	var leaks []string

	entries, _ := os.ReadDir(e.root)
	for _, ent := range entries {
		leaks = append(leaks, "container state "+filepath.Join(e.root, ent.Name()))
	}
	// Processes may need a moment to die after delete; zombies waiting for
	// the (slow) host init to reap them have an empty environ and don't count.
	var procs []int
	for i := 0; i < 40; i++ {
		if procs = markedProcs(e.marker); len(procs) == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, p := range procs {
		leaks = append(leaks, fmt.Sprintf("process %d (%s)", p, procCmdline(p)))
	}
	for _, m := range mountsUnder(e.dir) {
		leaks = append(leaks, "mount "+m)
	}
	for _, c := range e.cgroupDirs() {
		if _, err := os.Stat(c); err == nil {
			leaks = append(leaks, "cgroup "+c)
		}
	}
	if check && len(leaks) > 0 {
		t.Errorf("left behind after the test:\n  %s", strings.Join(leaks, "\n  "))
	}
	if len(leaks) == 0 {
		return
	}

	// Remove what was left so that later tests start clean.
	for _, ent := range entries {
		c := e.cmd("delete", "--force", ent.Name())
		c.Env = os.Environ() // not marked
		_ = c.Run()
	}
	for _, p := range markedProcs(e.marker) {
		_ = syscall.Kill(p, syscall.SIGKILL)
	}
	for _, m := range mountsUnder(e.dir) { // deepest first
		_ = syscall.Unmount(m, syscall.MNT_DETACH)
	}
	time.Sleep(100 * time.Millisecond)
	for _, c := range e.cgroupDirs() {
		removeCgroup(c)
	}
	_ = os.RemoveAll(e.root)
}

// markedProcs lists live processes whose environment contains marker.
func markedProcs(marker string) []int {
	var pids []int
	ents, _ := os.ReadDir("/proc")
	self := os.Getpid()
	want := []byte(marker)
	for _, ent := range ents {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil || pid == self {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", ent.Name(), "environ"))
		if err != nil {
			continue
		}
		for _, kv := range bytes.Split(data, []byte{0}) {
			if bytes.Equal(kv, want) {
				pids = append(pids, pid)
				break
			}
		}
	}
	return pids
}

func procCmdline(pid int) string {
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.TrimSpace(strings.ReplaceAll(string(data), "\x00", " "))
}

// mountInfo is one line of /proc/self/mountinfo.
type mountInfo struct {
	Root, MountPoint, Options, Optional, FSType, Source, SuperOptions string
}

func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// parseMountinfo parses mountinfo text (the host's or a container's).
func parseMountinfo(text string) []mountInfo {
	var ms []mountInfo
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 10 {
			continue
		}
		sep := -1
		for i := 6; i < len(f); i++ {
			if f[i] == "-" {
				sep = i
				break
			}
		}
		if sep < 0 || sep+2 >= len(f) {
			continue
		}
		m := mountInfo{
			Root: unescapeMount(f[3]), MountPoint: unescapeMount(f[4]), Options: f[5],
			Optional: strings.Join(f[6:sep], " "), FSType: f[sep+1], Source: unescapeMount(f[sep+2]),
		}
		if sep+3 < len(f) {
			m.SuperOptions = f[sep+3]
		}
		ms = append(ms, m)
	}
	return ms
}

// findMount returns the last (topmost) mount at mountpoint.
func findMount(ms []mountInfo, mountpoint string) (mountInfo, bool) {
	var found mountInfo
	ok := false
	for _, m := range ms {
		if m.MountPoint == mountpoint {
			found, ok = m, true
		}
	}
	return found, ok
}

func hasOpt(opts, o string) bool {
	for _, x := range strings.Split(opts, ",") {
		if x == o {
			return true
		}
	}
	return false
}

// mountsUnder lists the host's mount points at or below dir, deepest first.
func mountsUnder(dir string) []string {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil
	}
	var out []string
	for _, m := range parseMountinfo(string(data)) {
		if m.MountPoint == dir || strings.HasPrefix(m.MountPoint, dir+"/") {
			out = append(out, m.MountPoint)
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

// cgroupHierarchy is one mounted cgroup hierarchy and this process's place in it.
type cgroupHierarchy struct {
	Mount string // e.g. /sys/fs/cgroup/memory
	Self  string // this process's cgroup path in it, e.g. /process_api/x
	Ctrls string // controllers ("memory", "cpu,cpuacct", "name=systemd", "" for v2)
}

// cgroupHierarchies lists the host's cgroup mounts (v1 and v2) with this
// process's cgroup in each.
func cgroupHierarchies() []cgroupHierarchy {
	self := map[string]string{} // controllers -> path ("" for v2)
	if data, err := os.ReadFile("/proc/self/cgroup"); err == nil {
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			parts := strings.SplitN(line, ":", 3)
			if len(parts) == 3 {
				self[parts[1]] = parts[2]
			}
		}
	}
	data, _ := os.ReadFile("/proc/self/mountinfo")
	var hs []cgroupHierarchy
	seen := map[string]bool{}
	for _, m := range parseMountinfo(string(data)) {
		var key string
		switch m.FSType {
		case "cgroup2":
			key = ""
		case "cgroup":
			var ctrls []string
			for _, o := range strings.Split(m.SuperOptions, ",") {
				if o == "rw" || o == "ro" || o == "xattr" || strings.HasPrefix(o, "release_agent") || o == "clone_children" || o == "noprefix" {
					continue
				}
				ctrls = append(ctrls, o)
			}
			key = strings.Join(ctrls, ",")
		default:
			continue
		}
		p, ok := self[key]
		if !ok || seen[m.MountPoint] {
			continue
		}
		// Only the hierarchy's root mount maps /proc/self/cgroup paths directly.
		if m.Root != "/" {
			continue
		}
		seen[m.MountPoint] = true
		hs = append(hs, cgroupHierarchy{Mount: m.MountPoint, Self: p, Ctrls: key})
	}
	return hs
}

// pureV2 returns the cgroup2 hierarchy of a pure cgroup v2 host (no v1
// hierarchy with controllers).
func pureV2() (cgroupHierarchy, bool) {
	var v2 cgroupHierarchy
	found := false
	for _, h := range cgroupHierarchies() {
		switch {
		case h.Ctrls == "":
			v2, found = h, true
		case !strings.HasPrefix(h.Ctrls, "name="):
			return cgroupHierarchy{}, false
		}
	}
	return v2, found
}

// v1Hierarchy returns the mounted v1 hierarchy holding controller ctrl.
func v1Hierarchy(ctrl string) (cgroupHierarchy, bool) {
	for _, h := range cgroupHierarchies() {
		for _, c := range strings.Split(h.Ctrls, ",") {
			if c == ctrl {
				return h, true
			}
		}
	}
	return cgroupHierarchy{}, false
}

// cgroupDirs: where the test's containers may have left cgroups.
func (e *env) cgroupDirs() []string {
	var dirs []string
	seen := map[string]bool{}
	add := func(d string) {
		if !seen[d] {
			seen[d] = true
			dirs = append(dirs, d)
		}
	}
	for _, h := range cgroupHierarchies() {
		for _, id := range e.ids {
			add(filepath.Join(h.Mount, h.Self, id))
			add(filepath.Join(h.Mount, id))
		}
		for _, c := range e.cgroups {
			add(filepath.Join(h.Mount, c))
		}
	}
	return dirs
}

// removeCgroup removes a cgroup dir and its children (rmdir only; processes
// must be gone).
func removeCgroup(dir string) {
	_ = exec.Command("find", dir, "-depth", "-type", "d", "-exec", "rmdir", "{}", ";").Run()
}

// procFds lists the open fd numbers of a process, sorted.
func procFds(t interface{ Fatalf(string, ...any) }, pid int) []string {
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatalf("reading fds of %d: %v", pid, err)
	}
	var n []int
	for _, e := range ents {
		if v, err := strconv.Atoi(e.Name()); err == nil {
			n = append(n, v)
		}
	}
	sort.Ints(n)
	out := make([]string, len(n))
	for i, v := range n {
		out[i] = strconv.Itoa(v)
	}
	return out
}

// husk killed in the middle of create: `delete --force` removes what it
// had made (state, cgroups); the init left behind dies on its own.
func TestDeleteAfterKilledCreate(t *testing.T) {
	e := newEnv(t)
	hd := e.hostDir("hook")
	b := e.bundle(func(s *specs.Spec) {
		s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/sh",
			Args: []string{"sh", "-c", "touch " + hd + "/in-hook; sleep 2"}, Env: []string{e.marker}}}}
	}, args("sleep", "1000"))
	id := e.id()
	c := e.cmd("create", "--bundle", b.Dir, id)
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	waitFile(t, filepath.Join(hd, "in-hook"), "")
	_ = c.Process.Kill()
	_ = c.Wait()
	e.mustHusk("delete", "--force", id)
	e.mustFail([]string{"does not exist"}, "state", id)
	time.Sleep(2500 * time.Millisecond) // the orphaned hook's sleep
}
