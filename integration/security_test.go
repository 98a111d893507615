package integration

// Escape tests: one per class of runc escape in ../shared/notes/security.md
// (and SECURITY.md). Each test performs the attack — a hostile rootfs, a
// hostile config.json or a hostile process inside the container — and
// checks that it fails closed (an error naming the cause, or no effect) and
// that the host is untouched (guardHost, canaries, the harness's leftover
// checks). This file: leaked fds and cwd, inheritable capabilities and
// the environment; security_ptrace_test.go: dumpability (ptrace);
// security_paths_test.go: masks, console, mount destinations;
// security_procfs_test.go: procfs and cgroupfs writes;
// security_misc_test.go: bootstrap overflow and the crun-class bugs.

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// guardedHostFiles are host settings an escape would write: the global
// core_pattern (CVE-2025-31133's target), sysrq, and sysctls that a
// correct runtime changes only in the container's namespaces.
var guardedHostFiles = []string{
	"/proc/sys/kernel/core_pattern",
	"/proc/sys/kernel/sysrq",
	"/proc/sys/kernel/hostname",
	"/proc/sys/kernel/domainname",
	"/proc/sys/kernel/msgmax",
	"/proc/sys/net/ipv4/ip_forward",
}

// guardHost snapshots the guarded host files and /dev/null's owner, mode
// and device, and checks them again when the test ends (putting a changed
// sysctl back).
func guardHost(t *testing.T) {
	t.Helper()
	before := hostSnapshot(t)
	t.Cleanup(func() {
		after := hostSnapshot(t)
		for k, v := range before {
			if after[k] != v {
				t.Errorf("host changed by the test: %s: %q -> %q", k, v, after[k])
				if strings.HasPrefix(k, "/proc/sys/") && !strings.HasPrefix(v, "error: ") {
					os.WriteFile(k, []byte(v), 0o644) // put it back
				}
			}
		}
	})
}

func hostSnapshot(t *testing.T) map[string]string {
	m := map[string]string{}
	for _, f := range guardedHostFiles {
		data, err := os.ReadFile(f)
		if err != nil {
			m[f] = "error: " + err.Error()
			continue
		}
		m[f] = string(data)
	}
	var st syscall.Stat_t
	if err := syscall.Stat("/dev/null", &st); err != nil {
		t.Fatalf("stat /dev/null: %v", err)
	}
	m["/dev/null"] = fmt.Sprintf("uid %d gid %d mode %o rdev %d:%d", st.Uid, st.Gid, st.Mode,
		st.Rdev>>8&0xfff, st.Rdev&0xff|(st.Rdev>>12)&0xfff00)
	return m
}

// hostCanary is a path on the host, outside every rootfs, that an attack
// would create or write; it must still be absent when the test ends.
func (e *env) hostCanary(name string) string {
	e.t.Helper()
	p := filepath.Join(e.dir, "canary-"+name+"-"+randHex(3))
	e.t.Cleanup(func() {
		if _, err := os.Lstat(p); err == nil {
			e.t.Errorf("host canary %s exists: the attack reached the host", p)
			os.RemoveAll(p)
		}
	})
	return p
}

// hostCanaryDir is an existing, empty host directory that an attack would
// write into or mount over; it must be empty and unmounted when the test ends.
func (e *env) hostCanaryDir(name string) string {
	e.t.Helper()
	d := e.hostDir("canarydir-" + name)
	e.t.Cleanup(func() {
		if ents, _ := os.ReadDir(d); len(ents) > 0 {
			var names []string
			for _, ent := range ents {
				names = append(names, ent.Name())
			}
			e.t.Errorf("host directory %s was written by the attack: %v", d, names)
		}
		if ms := mountsUnder(d); len(ms) > 0 {
			e.t.Errorf("host directory %s was mounted over: %v", d, ms)
		}
	})
	return d
}

// fdLinks describes the open fds of a process (number -> link target).
func fdLinks(t *testing.T, pid int) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, fd := range procFds(t, pid) {
		l, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd))
		m[fd] = l
	}
	return m
}

// hostDirIdentities maps dev:ino of host directories a leaked dirfd would
// most likely name (the caller's cwd, the bundle, the state dir, the host
// root, the cgroup hierarchies) to their path.
func (e *env) hostDirIdentities(extra ...string) map[string]string {
	dirs := append([]string{"/", e.dir, e.root, filepath.Dir(huskBin), "/run", "/sys/fs/cgroup"}, extra...)
	for _, h := range cgroupHierarchies() {
		dirs = append(dirs, h.Mount, filepath.Join(h.Mount, h.Self))
	}
	m := map[string]string{}
	for _, d := range dirs {
		var st syscall.Stat_t
		if syscall.Stat(d, &st) == nil {
			m[fmt.Sprintf("%d:%d", st.Dev, st.Ino)] = d
		}
	}
	return m
}

// leakedHostDirs lists the fds of pid that are host directories outside the
// rootfs (by identity, not by name: a leaked fd's name may lie).
func (e *env) leakedHostDirs(pid int, extra ...string) []string {
	ids := e.hostDirIdentities(extra...)
	var leaks []string
	for _, fd := range procFds(e.t, pid) {
		var st syscall.Stat_t
		if syscall.Stat(fmt.Sprintf("/proc/%d/fd/%s", pid, fd), &st) != nil || st.Mode&syscall.S_IFMT != syscall.S_IFDIR {
			continue
		}
		if d, ok := ids[fmt.Sprintf("%d:%d", st.Dev, st.Ino)]; ok {
			leaks = append(leaks, fmt.Sprintf("fd %s is the host directory %s", fd, d))
		}
	}
	return leaks
}

// cwdProbe runs in the container: it proves the cwd is reachable from the
// container's root (getcwd works and names the same directory) and lists
// it, so that a host directory would show its content.
const cwdProbe = `p=$(pwd -P) && [ "$(stat -c %d:%i "$p")" = "$(stat -c %d:%i .)" ] && echo "INSIDE:$p"; ls -a`

// checkCwdInside judges one attempt to start a process with a cwd of
// /proc/self/fd/N: refused with an error, or running with a cwd inside the
// container that shows no host canary.
func checkCwdInside(t *testing.T, what string, r result, canaries []string) {
	t.Helper()
	t.Logf("%s: exit %d: %s", what, r.Code, strings.TrimSpace(strings.ReplaceAll(r.Combined(), "\n", " ")))
	if r.Code != 0 {
		if !strings.Contains(r.Combined(), "cwd") && !strings.Contains(r.Combined(), "/proc/self/fd/") {
			t.Errorf("%s refused without naming the cwd: %s", what, r)
		}
		return
	}
	if !strings.Contains(r.Stdout, "INSIDE:/") {
		t.Errorf("%s: the process runs in a directory outside the container's root: %s", what, r)
	}
	for _, c := range canaries {
		if strings.Contains(r.Stdout, c) {
			t.Errorf("%s: the process sees the host file %s: %s", what, c, r)
		}
	}
}

// CVE-2024-21626: a host directory fd leaked into the init and
// process.cwd=/proc/self/fd/N put the container's process on the host.
// Every N from 3 to 15 is refused or stays inside the rootfs; nothing in
// the listing comes from the host dirs husk works in.
func TestEscapeLeakedFdCwdRun(t *testing.T) {
	guardHost(t)
	e := newEnv(t)
	canaries := []string{"HOSTCANARY-" + randHex(4), "STATECANARY-" + randHex(4)}
	os.WriteFile(filepath.Join(e.dir, canaries[0]), nil, 0o644)
	os.WriteFile(filepath.Join(e.root, canaries[1]), nil, 0o644)
	defer os.Remove(filepath.Join(e.root, canaries[1])) // not a container: the harness would count it
	for n := 3; n <= 15; n++ {
		cwd := fmt.Sprintf("/proc/self/fd/%d", n)
		b := e.bundle(func(s *specs.Spec) { s.Process.Cwd = cwd }, sh(cwdProbe))
		checkCwdInside(t, "run with process.cwd "+cwd, e.runContainer(b), canaries)
	}
}

// The same with `exec --cwd /proc/self/fd/N` into a running container.
func TestEscapeLeakedFdCwdExec(t *testing.T) {
	guardHost(t)
	e := newEnv(t)
	canary := "HOSTCANARY-" + randHex(4)
	os.WriteFile(filepath.Join(e.dir, canary), nil, 0o644)
	id := e.running()
	for n := 3; n <= 15; n++ {
		cwd := fmt.Sprintf("/proc/self/fd/%d", n)
		r := e.husk("exec", "--cwd", cwd, id, "sh", "-c", cwdProbe)
		checkCwdInside(t, "exec --cwd "+cwd, r, []string{canary})
	}
	// and through process.json's cwd
	pf := filepath.Join(e.dir, "process.json")
	for _, n := range []int{3, 4, 5, 6} {
		p := fmt.Sprintf(`{"args":["sh","-c",%q],"env":["PATH=/bin:/usr/bin",%q],"cwd":"/proc/self/fd/%d","user":{"uid":0,"gid":0}}`,
			cwdProbe, e.marker, n)
		os.WriteFile(pf, []byte(p), 0o644)
		checkCwdInside(t, fmt.Sprintf("exec -p (cwd /proc/self/fd/%d)", n), e.husk("exec", "-p", pf, id), []string{canary})
	}
}

// Inside the container a process sees exactly fds 0, 1, 2 (plus the
// --preserve-fds ones): run, run -d, exec, exec --preserve-fds; and husk
// hands the fds it was given but not asked to preserve to nobody.
func TestEscapeLeakedFdNoneInside(t *testing.T) {
	e := newEnv(t)
	extra := e.tempFile("extra") // an fd of the caller that must not pass
	lsFds := "ls /proc/self/fd | tr '\\n' ' '"
	// ls itself holds one more fd (the /proc/self/fd directory it lists): the highest number.
	c := e.cmd("run", "--bundle", e.bundle(sh(lsFds)).Dir, e.id())
	c.ExtraFiles = []*os.File{extra, extra}
	if r := e.run(c); r.Code != 0 || r.Stdout != "0 1 2 3 " {
		t.Errorf("run: fds inside %q, want \"0 1 2\" (+ ls's own 3): %s", r.Stdout, r)
	}
	c = e.cmd("run", "--preserve-fds", "1", "--bundle", e.bundle(sh(lsFds)).Dir, e.id())
	c.ExtraFiles = []*os.File{extra, extra}
	if r := e.run(c); r.Code != 0 || r.Stdout != "0 1 2 3 4 " {
		t.Errorf("run --preserve-fds 1 with 2 extra fds: fds inside %q, want 0-3 (+ ls's own 4): %s", r.Stdout, r)
	}

	id := e.running()
	c = e.cmd("exec", id, "sh", "-c", lsFds)
	c.ExtraFiles = []*os.File{extra, extra}
	if r := e.run(c); r.Code != 0 || r.Stdout != "0 1 2 3 " {
		t.Errorf("exec: fds inside %q, want \"0 1 2\" (+ ls's own 3): %s", r.Stdout, r)
	}
	c = e.cmd("exec", "--preserve-fds", "2", id, "sh", "-c", lsFds)
	c.ExtraFiles = []*os.File{extra, extra, extra}
	if r := e.run(c); r.Code != 0 || r.Stdout != "0 1 2 3 4 5 " {
		t.Errorf("exec --preserve-fds 2 with 3 extra fds: fds inside %q, want 0-4 (+ ls's own 5): %s", r.Stdout, r)
	}
	// The container's init (pid 1) and an exec'd process, seen from the host.
	pid := e.state(id).Pid
	if fds := fdLinks(t, pid); len(fds) != 3 {
		t.Errorf("container init has fds %v, want 0 1 2", fds)
	}
	e.mustHusk("exec", "-d", "--pid-file", "exec.pid", id, "sleep", "999")
	data, _ := os.ReadFile(filepath.Join(e.dir, "exec.pid"))
	epid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	if fds := fdLinks(t, epid); len(fds) != 3 {
		t.Errorf("exec'd process has fds %v, want 0 1 2", fds)
	}
}

// While the init waits in `created` it still runs husk's code: it holds
// internal fds (the init socket, the exec fifo, handles inside the
// rootfs), all close-on-exec. None of them may be a host directory (the
// CVE-2024-21626 leak was a host cgroup directory fd).
func TestEscapeLeakedFdInitCreated(t *testing.T) {
	e := newEnv(t)
	b := e.bundle(args("sleep", "1000"))
	id := e.id()
	e.mustHusk("create", "--bundle", b.Dir, id)
	t.Cleanup(func() { e.husk("delete", "-f", id) })
	pid := e.state(id).Pid
	if leaks := e.leakedHostDirs(pid, b.Dir); len(leaks) > 0 {
		t.Errorf("the init at created holds host directories: %v\nall fds: %v", leaks, fdLinks(t, pid))
	}
	for fd, l := range fdLinks(t, pid) {
		n, _ := strconv.Atoi(fd)
		flags, err := os.ReadFile(fmt.Sprintf("/proc/%d/fdinfo/%s", pid, fd))
		if err != nil || n < 3 {
			continue
		}
		// fdinfo "flags: 0NNNNNNN": O_CLOEXEC is 02000000
		for _, line := range strings.Split(string(flags), "\n") {
			if v, ok := strings.CutPrefix(line, "flags:"); ok {
				f, _ := strconv.ParseUint(strings.TrimSpace(v), 8, 64)
				if f&syscall.O_CLOEXEC == 0 {
					t.Errorf("init fd %s (%s) is not close-on-exec: it would reach the payload", fd, l)
				}
			}
		}
	}
	e.mustHusk("start", id)
	e.waitStatus(id, "running")
	if fds := fdLinks(t, pid); len(fds) != 3 {
		t.Errorf("payload after start has fds %v, want 0 1 2", fds)
	}
}

// A foreground `husk run` keeps exactly the fds it had while execs come and
// go: nothing opened for an exec (or for the container) accumulates in the
// runtime, and nothing the runtime holds is a host dir besides its cwd.
func TestEscapeLeakedFdRuntimeStable(t *testing.T) {
	e := newEnv(t)
	hd := e.hostDir("go")
	b := e.bundle(withBind(hd, "/hostdir"), sh("while [ ! -e /hostdir/stop ]; do sleep 0.05; done"))
	id := e.id()
	c := e.cmd("run", "--bundle", b.Dir, id)
	so := e.tempFile("run-out")
	defer so.Close()
	c.Stdout, c.Stderr = so, so
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Wait() }()
	defer func() {
		os.WriteFile(filepath.Join(hd, "stop"), nil, 0o644)
		<-done
	}()
	for i := 0; e.husk("state", id).Code != 0; i++ { // run has not made the state yet
		if i > 500 {
			t.Fatalf("husk run did not create %s", id)
		}
		syscall.Nanosleep(&syscall.Timespec{Nsec: 20e6}, nil)
	}
	e.waitStatus(id, "running")
	before := fdLinks(t, c.Process.Pid)
	for i := 0; i < 5; i++ {
		e.mustHusk("exec", id, "true")
		e.mustHusk("exec", "-d", id, "true")
		e.mustHusk("state", id)
	}
	after := fdLinks(t, c.Process.Pid)
	if fmt.Sprint(before) != fmt.Sprint(after) {
		t.Errorf("husk run's fds changed across 10 execs:\nbefore %v\nafter  %v", before, after)
	}
	// its cwd (the caller's dir) is not an fd: every host directory fd is a leak
	if leaks := e.leakedHostDirs(c.Process.Pid); len(leaks) > 0 {
		t.Errorf("husk run holds host directory fds: %v", leaks)
	}
}

const capNetAdmin = 1 << 12

// CVE-2022-29162: `exec --cap` also put the capabilities in the
// inheritable set, which a file with inheritable file caps turns into
// permitted ones. CapInh is 0 for run and for exec with and without --cap,
// as root and as another user.
func TestEscapeInheritableCaps(t *testing.T) {
	e := newEnv(t)
	if st := e.output(args("cat", "/proc/self/status")); capMask(t, st, "CapInh") != 0 {
		t.Errorf("run: CapInh %s, want 0", statusField(st, "CapInh"))
	}
	id := e.running()
	for _, a := range [][]string{
		{"exec", id},
		{"exec", "--cap", "CAP_NET_ADMIN", id},
		{"exec", "--cap", "CAP_NET_ADMIN", "--cap", "CAP_SYS_ADMIN", id},
		{"exec", "--user", "1000:1000", "--cap", "CAP_NET_ADMIN", id},
	} {
		st := e.mustHusk(append(a, "cat", "/proc/self/status")...).Stdout
		if inh := capMask(t, st, "CapInh"); inh != 0 {
			t.Errorf("%v: CapInh %x, want 0", a, inh)
		}
		if strings.Contains(strings.Join(a, " "), "NET_ADMIN") && !strings.Contains(strings.Join(a, " "), "--user") &&
			capMask(t, st, "CapEff")&capNetAdmin == 0 {
			t.Errorf("%v: the cap was not granted at all (CapEff %s): the test proves nothing", a, statusField(st, "CapEff"))
		}
	}
}

// No husk-internal variable (_HUSK_INITPIPE, ...) and nothing of the
// runtime's own environment reaches the payload: its environment is
// process.env (+ HOME from /etc/passwd when missing), exactly, for run
// and for exec; the same holds with hostile variables in husk's environment.
func TestEscapeEnvNoInternalVars(t *testing.T) {
	e := newEnv(t)
	sorted := func(s string) string {
		l := strings.Split(strings.TrimSpace(s), "\n")
		sort.Strings(l)
		return strings.Join(l, "\n")
	}
	b := e.bundle(args("env"))
	want := sorted(strings.Join(append(append([]string{}, b.Spec.Process.Env...), "HOME=/root"), "\n"))
	c := e.cmd("run", "--bundle", b.Dir, e.id())
	c.Env = append(c.Env, "_HUSK_FOO=leak", "HUSK_SECRET=leak", "LD_PRELOAD=/leak.so")
	r := e.run(c)
	if r.Code != 0 || sorted(r.Stdout) != want {
		t.Errorf("run: environment\n%s\nwant exactly\n%s", sorted(r.Stdout), want)
	}
	id := e.running()
	c = e.cmd("exec", "--env", "EXTRA=1", id, "env")
	c.Env = append(c.Env, "_HUSK_FOO=leak", "HUSK_SECRET=leak")
	r = e.run(c)
	wantExec := sorted(want + "\nEXTRA=1")
	if r.Code != 0 || sorted(r.Stdout) != wantExec {
		t.Errorf("exec: environment\n%s\nwant exactly\n%s", sorted(r.Stdout), wantExec)
	}
	// the payload's /proc/<pid>/environ as seen from the host
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/environ", e.state(id).Pid))
	if bytes.Contains(data, []byte("_HUSK")) {
		t.Errorf("container init's environ has husk variables: %q", data)
	}
}
