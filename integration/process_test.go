package integration

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// process.args[0] without a slash is looked up in the container's PATH.
func TestProcessArgsPathLookup(t *testing.T) {
	e := newEnv(t)
	b := e.bundleRW(func(s *specs.Spec) {
		s.Process.Env = []string{"PATH=/opt/hk/bin:/bin", e.marker}
	}, args("hk-hello", "a b", "c"))
	os.MkdirAll(filepath.Join(b.Rootfs, "opt/hk/bin"), 0o755)
	os.WriteFile(filepath.Join(b.Rootfs, "opt/hk/bin/hk-hello"), []byte("#!/bin/sh\necho \"hello [$1] [$2] $0\"\n"), 0o755)
	r := e.runContainer(b)
	if r.Code != 0 || r.Stdout != "hello [a b] [c] /opt/hk/bin/hk-hello\n" {
		t.Errorf("PATH lookup inside the container: %s", r)
	}
}

func TestProcessEnv(t *testing.T) {
	e := newEnv(t)
	out := e.output(func(s *specs.Spec) {
		s.Process.Env = append(s.Process.Env, "A=1", "B=with space", "C=x=y", "HOME=/custom")
	}, args("env"))
	for _, kv := range []string{"A=1", "B=with space", "C=x=y", "HOME=/custom", "TERM=xterm",
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"} {
		if !strings.Contains("\n"+out, "\n"+kv+"\n") {
			t.Errorf("env lacks %q:\n%s", kv, out)
		}
	}
}

// process.cwd is created when missing.
func TestProcessCwdCreated(t *testing.T) {
	e := newEnv(t)
	out := e.output(func(s *specs.Spec) { s.Process.Cwd = "/work/sub/dir" }, args("pwd"))
	if out != "/work/sub/dir\n" {
		t.Errorf("cwd: %q", out)
	}
}

func TestProcessUser(t *testing.T) {
	e := newEnv(t)
	out := e.output(func(s *specs.Spec) {
		s.Process.User = specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{10, 20}}
	}, args("cat", "/proc/self/status"))
	if f := strings.Fields(statusField(out, "Uid")); strings.Join(f, " ") != "1000 1000 1000 1000" {
		t.Errorf("Uid %q", statusField(out, "Uid"))
	}
	if f := strings.Fields(statusField(out, "Gid")); strings.Join(f, " ") != "1000 1000 1000 1000" {
		t.Errorf("Gid %q", statusField(out, "Gid"))
	}
	if g := statusField(out, "Groups"); g != "10 20" {
		t.Errorf("Groups %q, want \"10 20\"", g)
	}
	out = e.output(func(s *specs.Spec) { s.Process.User = specs.User{UID: 1000, GID: 1000} }, args("id"))
	if out != "uid=1000(user) gid=1000(user) groups=1000(user)\n" && out != "uid=1000(user) gid=1000(user)\n" {
		t.Errorf("id without additionalGids: %q (no supplementary groups of the runtime may leak)", out)
	}
}

func TestProcessUmask(t *testing.T) {
	e := newEnv(t)
	mask := uint32(0o027)
	out := e.output(func(s *specs.Spec) { s.Process.User.Umask = &mask },
		sh("umask; touch /dev/shm/f; stat -c %a /dev/shm/f"))
	if out != "0027\n640\n" {
		t.Errorf("umask 027: %q", out)
	}
	out = e.output(sh("umask"))
	if out != "0022\n" {
		t.Errorf("default umask: %q, want 0022", out)
	}
}

// HOME comes from the container's /etc/passwd when the env has none.
func TestHomeFromPasswd(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		uid  uint32
		want string
	}{{0, "/root"}, {1000, "/home/user"}, {4242, "/"}} {
		out := e.output(func(s *specs.Spec) { s.Process.User = specs.User{UID: tc.uid, GID: tc.uid} },
			sh("echo $HOME"))
		if out != tc.want+"\n" {
			t.Errorf("uid %d: HOME=%q, want %q", tc.uid, strings.TrimSpace(out), tc.want)
		}
	}
}

const (
	capChown          = 1 << 0
	capKill           = 1 << 5
	capSetuid         = 1 << 7
	capNetBindService = 1 << 10
)

// All five sets, observed for a non-root user (for uid 0 the kernel
// recomputes permitted/effective from the bounding set at execve).
func TestCapabilities(t *testing.T) {
	e := newEnv(t)
	out := e.output(func(s *specs.Spec) {
		s.Process.User = specs.User{UID: 1000, GID: 1000}
		s.Process.Capabilities = &specs.LinuxCapabilities{
			Bounding:    []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID"},
			Effective:   []string{"CAP_KILL", "CAP_CHOWN"},
			Permitted:   []string{"CAP_KILL", "CAP_CHOWN", "CAP_NET_BIND_SERVICE"},
			Inheritable: []string{"CAP_KILL", "CAP_NET_BIND_SERVICE"},
			Ambient:     []string{"CAP_KILL"},
		}
	}, args("cat", "/proc/self/status"))
	want := map[string]uint64{
		"CapBnd": capChown | capKill | capNetBindService | capSetuid,
		"CapInh": capKill | capNetBindService,
		"CapAmb": capKill,
		"CapPrm": capKill, // ambient survives execve for a non-root user
		"CapEff": capKill,
	}
	for f, w := range want {
		if got := capMask(t, out, f); got != w {
			t.Errorf("%s = %016x, want %016x", f, got, w)
		}
	}
	// root: effective = permitted = bounding after execve
	out = e.output(func(s *specs.Spec) {
		c := []string{"CAP_CHOWN", "CAP_KILL"}
		s.Process.Capabilities = &specs.LinuxCapabilities{Bounding: c, Effective: c, Permitted: c}
	}, args("cat", "/proc/self/status"))
	for _, f := range []string{"CapBnd", "CapEff", "CapPrm"} {
		if got := capMask(t, out, f); got != capChown|capKill {
			t.Errorf("root: %s = %016x, want %016x", f, got, capChown|capKill)
		}
	}
	if got := capMask(t, out, "CapInh") | capMask(t, out, "CapAmb"); got != 0 {
		t.Errorf("root: inheritable/ambient %016x, want 0", got)
	}
}

func TestRlimits(t *testing.T) {
	e := newEnv(t)
	out := e.output(func(s *specs.Spec) {
		s.Process.Rlimits = []specs.POSIXRlimit{
			{Type: "RLIMIT_NOFILE", Soft: 512, Hard: 768},
			{Type: "RLIMIT_CORE", Soft: 0, Hard: 0},
			{Type: "RLIMIT_NPROC", Soft: 300, Hard: 400},
		}
	}, sh("ulimit -n; ulimit -Hn; ulimit -c; ulimit -u; ulimit -Hu"))
	if out != "512\n768\n0\n300\n400\n" {
		t.Errorf("rlimits: %q, want 512 768 0 300 400", out)
	}
}

func TestNoNewPrivileges(t *testing.T) {
	e := newEnv(t)
	for _, nnp := range []bool{true, false} {
		out := e.output(func(s *specs.Spec) { s.Process.NoNewPrivileges = nnp }, args("cat", "/proc/self/status"))
		want := map[bool]string{true: "1", false: "0"}[nnp]
		if v := statusField(out, "NoNewPrivs"); v != want {
			t.Errorf("noNewPrivileges=%v: NoNewPrivs %q", nnp, v)
		}
	}
}

func TestOOMScoreAdj(t *testing.T) {
	e := newEnv(t)
	adj := 123
	out := e.output(func(s *specs.Spec) { s.Process.OOMScoreAdj = &adj }, args("cat", "/proc/self/oom_score_adj"))
	if out != "123\n" {
		t.Errorf("oomScoreAdj 123: %q", out)
	}
}

// terminal=true with consoleSize: the pty master arrives over
// --console-socket and the container sees the size.
func TestTerminalConsoleSize(t *testing.T) {
	e := newEnv(t)
	b := e.bundle(func(s *specs.Spec) {
		s.Process.Terminal = true
		s.Process.ConsoleSize = &specs.Box{Height: 31, Width: 97}
	}, sh("tty; stty size; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-tty; ls -l /proc/self/fd/0 | grep -o '/dev/pts/[0-9]*'"))
	cs := e.consoleSocket()
	id := e.id()
	e.mustHusk("create", "--bundle", b.Dir, "--console-socket", cs.Path, id)
	tty := readTTY(cs.master(t))
	e.mustHusk("start", id)
	out := tty.wait(t)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "/dev/pts/") || lines[1] != "31 97" || lines[2] != "all-tty" || lines[3] != lines[0] {
		t.Errorf("terminal output %q, want the pts name, \"31 97\", all-tty", out)
	}
	e.waitStatus(id, "stopped")
	e.mustHusk("delete", id)
}

// A foreground `run` with terminal=true uses the caller's tty: output comes
// back on it and the container's pty takes its size (runc sets the size
// after starting the process; the payload waits a little).
func TestRunForegroundTerminal(t *testing.T) {
	e := newEnv(t)
	master, slave := openPty(t)
	if err := unix.IoctlSetWinsize(int(slave.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 27, Col: 101}); err != nil {
		t.Fatal(err)
	}
	b := e.bundle(func(s *specs.Spec) { s.Process.Terminal = true }, sh("sleep 0.3; stty size; tty; exit 5"))
	c := e.cmd("run", "--bundle", b.Dir, e.id())
	c.Stdin, c.Stdout, c.Stderr = slave, slave, slave
	c.SysProcAttr = &unix.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	tty := readTTY(master)
	r := e.run(c)
	slave.Close()
	if r.Code != 5 {
		t.Errorf("run with terminal: exit %d, want 5", r.Code)
	}
	time.Sleep(100 * time.Millisecond)
	master.SetReadDeadline(time.Now().Add(2 * time.Second))
	out := tty.wait(t)
	if !strings.Contains(out, "27 101\n") || !strings.Contains(out, "/dev/pts/") {
		hint := ""
		if strings.Contains(out, "\r\n") {
			hint = " (\\r\\r\\n: the caller's tty was not put in raw mode, as runc does for the copy)"
		}
		t.Errorf("run with terminal on the caller's tty: output %q, want \"27 101\" and a /dev/pts name%s", out, hint)
	}
}

// run --preserve-fds N passes fds 3..3+N-1; nothing else reaches the
// container beyond 0, 1, 2.
func TestPreserveFdsAndNoLeakedFds(t *testing.T) {
	e := newEnv(t)
	f := e.tempFile("extra")
	f.WriteString("preserved\n")
	f.Seek(0, 0)
	c := e.cmd("run", "--preserve-fds", "1", "--bundle", e.bundle(sh("cat <&3")).Dir, e.id())
	c.ExtraFiles = []*os.File{f}
	if r := e.run(c); r.Code != 0 || r.Stdout != "preserved\n" {
		t.Errorf("run --preserve-fds 1: %s", r)
	}

	b := e.bundle(args("sleep", "1000"))
	id := e.id()
	c = e.cmd("run", "-d", "--bundle", b.Dir, id)
	c.ExtraFiles = []*os.File{f} // not preserved: must not reach the container
	if r := e.run(c); r.Code != 0 {
		t.Fatalf("%s", r)
	}
	pid := e.state(id).Pid
	if fds := procFds(t, pid); strings.Join(fds, " ") != "0 1 2" {
		for _, fd := range fds {
			l, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd))
			t.Logf("fd %s -> %s", fd, l)
		}
		t.Errorf("container init has fds %v, want 0 1 2", fds)
	}
	e.destroy(id)

	c = e.cmd("run", "--preserve-fds", "2", "--bundle", e.bundle(sh("ls /proc/self/fd | tr '\\n' ' '")).Dir, e.id())
	c.ExtraFiles = []*os.File{f, f}
	if r := e.run(c); r.Code != 0 || r.Stdout != "0 1 2 3 4 5 " { // 5: ls's own directory fd
		t.Errorf("run --preserve-fds 2: fds %q, want 0-4 (+ ls's own)", r.Stdout)
	}
}
