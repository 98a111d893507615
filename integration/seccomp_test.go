package integration

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// The seccomp tests run tests/sysprobe, a static Go program making raw
// system calls, bind-mounted at probeDir; each call prints "NR ok R" or
// "NR errno E".

const probeDir = "/mnt/g"

var (
	probeOnce sync.Once
	probeHost string
	probeErr  error
)

// sysprobe builds tests/sysprobe once and returns the host directory
// holding it.
func sysprobe(t *testing.T) string {
	t.Helper()
	probeOnce.Do(func() {
		dir, err := os.MkdirTemp("", "husk-sysprobe-")
		if err != nil {
			probeErr = err
			return
		}
		os.Chmod(dir, 0o755)
		cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "sysprobe"), "./tests/sysprobe")
		cmd.Dir = repoRoot
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			probeErr = fmt.Errorf("go build ./tests/sysprobe: %v\n%s", err, out)
			return
		}
		probeHost = dir
	})
	if probeErr != nil {
		t.Fatal(probeErr)
	}
	return probeHost
}

// probe runs sysprobe with the calls as the container's process.
func probe(t *testing.T, calls ...string) func(*specs.Spec) {
	dir := sysprobe(t)
	return func(s *specs.Spec) {
		withBind(dir, probeDir, "bind", "ro")(s)
		s.Process.Args = append([]string{probeDir + "/sysprobe"}, calls...)
	}
}

func withSeccomp(sc *specs.LinuxSeccomp) func(*specs.Spec) {
	return func(s *specs.Spec) { s.Linux.Seccomp = sc }
}

const (
	nrGetpid    = 39
	nrGetppid   = 110
	nrListmount = 458 // Linux 6.8: newer than this libseccomp (2.5.4) knows
	eperm       = 1
	eagain      = 11
	eacces      = 13
	enosys      = 38
)

// allowUpTo allows every x86-64 syscall libseccomp knows numbered up to
// max, except those in deny.
func allowUpTo(t *testing.T, max int, deny ...int) specs.LinuxSyscall {
	denied := map[int]bool{}
	for _, d := range deny {
		denied[d] = true
	}
	var names []string
	for nr := 0; nr <= max; nr++ {
		if denied[nr] {
			continue
		}
		name, err := libseccomp.ScmpSyscall(nr).GetNameByArch(libseccomp.ArchAMD64)
		if err == nil {
			names = append(names, name)
		}
	}
	if len(names) < 300 {
		t.Fatalf("libseccomp knows only %d syscalls up to %d", len(names), max)
	}
	return specs.LinuxSyscall{Names: names, Action: specs.ActAllow}
}

func errnoRet(n uint) *uint { return &n }

// An allow-list profile: what it lists runs, what it does not gets the
// default errno, and a syscall newer than every one it names gets ENOSYS
// so that libc falls back to an older call.
func TestSeccompAllowListAndENOSYS(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name    string
		errno   *uint
		wantDef int
	}{
		{"default EPERM", nil, eperm},
		{"defaultErrnoRet EACCES", errnoRet(eacces), eacces},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, DefaultErrnoRet: tc.errno,
				Architectures: []specs.Arch{specs.ArchX86_64, specs.ArchX86, specs.ArchX32},
				Syscalls:      []specs.LinuxSyscall{allowUpTo(t, 449, nrGetppid)}}
			out := e.output(probe(t, fmt.Sprint(nrGetpid), fmt.Sprint(nrGetppid), fmt.Sprint(nrListmount)), withSeccomp(sc))
			want := []string{"39 ok", fmt.Sprintf("110 errno %d", tc.wantDef), fmt.Sprintf("458 errno %d", enosys)}
			for _, w := range want {
				if !strings.Contains(out, w) {
					t.Errorf("probe output %q lacks %q", out, w)
				}
			}
		})
	}
}

// Each comparison operator of linux.seccomp.syscalls[].args, on getppid's
// first argument (ignored by the kernel, seen by the filter).
func TestSeccompArgOperators(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		op        specs.LinuxSeccompOperator
		val, two  uint64
		hit, miss string
	}{
		{specs.OpEqualTo, 7, 0, "7", "8"},
		{specs.OpNotEqual, 7, 0, "8", "7"},
		{specs.OpLessThan, 7, 0, "6", "7"},
		{specs.OpLessEqual, 7, 0, "7", "8"},
		{specs.OpGreaterThan, 7, 0, "8", "7"},
		{specs.OpGreaterEqual, 7, 0, "7", "6"},
		{specs.OpMaskedEqual, 0xff, 0x42, "0x1142", "0x1143"},
	} {
		t.Run(string(tc.op), func(t *testing.T) {
			sc := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{
				Names: []string{"getppid"}, Action: specs.ActErrno, ErrnoRet: errnoRet(eagain),
				Args: []specs.LinuxSeccompArg{{Index: 0, Op: tc.op, Value: tc.val, ValueTwo: tc.two}},
			}}}
			out := e.output(probe(t, "110:"+tc.hit, "110:"+tc.miss), withSeccomp(sc))
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != 2 || lines[0] != fmt.Sprintf("110 errno %d", eagain) || !strings.HasPrefix(lines[1], "110 ok ") {
				t.Errorf("%s %#x: getppid(%s), getppid(%s) gave %q, want EAGAIN then ok", tc.op, tc.val, tc.hit, tc.miss, out)
			}
		})
	}
	// Two conditions on the same argument: both must hold (runc's AND).
	sc := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{
		Names: []string{"getppid"}, Action: specs.ActErrno, ErrnoRet: errnoRet(eagain),
		Args: []specs.LinuxSeccompArg{{Index: 0, Op: specs.OpGreaterThan, Value: 5}, {Index: 1, Op: specs.OpEqualTo, Value: 1}},
	}}}
	out := e.output(probe(t, "110:6:1", "110:6:0", "110:4:1"), withSeccomp(sc))
	if strings.Count(out, "errno") != 1 || !strings.HasPrefix(out, "110 errno 11") {
		t.Errorf("arg0 > 5 && arg1 == 1: got %q, want only the first call refused", out)
	}
}

// The actions other than ERRNO and ALLOW, each observed on the process.
func TestSeccompActions(t *testing.T) {
	e := newEnv(t)
	rule := func(a specs.LinuxSeccompAction) *specs.LinuxSeccomp {
		return &specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
			Syscalls: []specs.LinuxSyscall{{Names: []string{"getppid"}, Action: a}}}
	}
	// KILL_PROCESS: the whole (multi-threaded Go) process dies of SIGSYS.
	r := e.runContainer(e.bundle(probe(t, "39", "110", "39"), withSeccomp(rule(specs.ActKillProcess))))
	if r.Code != 128+31 || strings.Count(r.Stdout, "ok") != 1 {
		t.Errorf("SCMP_ACT_KILL_PROCESS: %s; want exit 159 (SIGSYS) after one call", r)
	}
	// KILL (= KILL_THREAD): busybox sh (one thread) calls getppid for $PPID.
	r = e.runContainer(e.bundle(sh("echo alive"), withSeccomp(rule(specs.ActKill))))
	if r.Code != 128+31 || strings.Contains(r.Stdout, "alive") {
		t.Errorf("SCMP_ACT_KILL: %s; want the shell killed by SIGSYS before it prints", r)
	}
	// TRAP: SIGSYS delivered to the thread; Go's runtime reports it.
	r = e.runContainer(e.bundle(probe(t, "110"), withSeccomp(rule(specs.ActTrap))))
	if r.Code == 0 || !strings.Contains(r.Combined(), "SIGSYS") {
		t.Errorf("SCMP_ACT_TRAP: %s; want the Go runtime's SIGSYS report", r)
	}
	// TRACE without a tracer: the call fails with ENOSYS.
	out := e.output(probe(t, "110"), withSeccomp(rule(specs.ActTrace)))
	if !strings.Contains(out, fmt.Sprintf("110 errno %d", enosys)) {
		t.Errorf("SCMP_ACT_TRACE without a tracer: %q, want ENOSYS", out)
	}
	// LOG: allowed (and logged by the kernel).
	out = e.output(probe(t, "110"), withSeccomp(rule(specs.ActLog)))
	if !strings.Contains(out, "110 ok") {
		t.Errorf("SCMP_ACT_LOG: %q, want the call allowed", out)
	}
}

// The filter is in force for exec'd processes too, and flags are applied.
func TestSeccompExecAndFlags(t *testing.T) {
	e := newEnv(t)
	sc := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow,
		Flags: []specs.LinuxSeccompFlag{specs.LinuxSeccompFlagLog, specs.LinuxSeccompFlagSpecAllow},
		Syscalls: []specs.LinuxSyscall{{Names: []string{"getppid"}, Action: specs.ActErrno,
			ErrnoRet: errnoRet(eacces)}}}
	b := e.bundle(probe(t), withSeccomp(sc), args("sleep", "30"))
	id, _ := e.startDetached(b)
	defer e.destroy(id)
	r := e.mustHusk("exec", id, probeDir+"/sysprobe", "110", "39")
	if !strings.Contains(r.Stdout, "110 errno 13") || !strings.Contains(r.Stdout, "39 ok") {
		t.Errorf("exec: %q, want getppid refused with EACCES and getpid allowed", r.Stdout)
	}
	status := e.mustHusk("exec", id, "cat", "/proc/self/status").Stdout
	if !strings.Contains(status, "Seccomp:\t2") {
		t.Errorf("exec'd process not in seccomp filter mode:\n%s", status)
	}
}

// Bad profiles are refused with an error naming the field, and leave
// nothing behind.
func TestSeccompBadProfiles(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		name string
		sc   specs.LinuxSeccomp
		want []string
	}{
		{"unknown action", specs.LinuxSeccomp{DefaultAction: "SCMP_ACT_FOO"}, []string{"linux.seccomp.defaultAction", "SCMP_ACT_FOO"}},
		{"unknown operator", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{
			Names: []string{"getppid"}, Action: specs.ActErrno, Args: []specs.LinuxSeccompArg{{Op: "SCMP_CMP_FOO"}}}}},
			[]string{"linux.seccomp.syscalls[0].args[0].op", "SCMP_CMP_FOO"}},
		{"unknown arch", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Architectures: []specs.Arch{"SCMP_ARCH_FOO"}},
			[]string{"linux.seccomp.architectures[0]", "SCMP_ARCH_FOO"}},
		{"unknown flag", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Flags: []specs.LinuxSeccompFlag{"SECCOMP_FILTER_FLAG_FOO"}},
			[]string{"linux.seccomp.flags", "SECCOMP_FILTER_FLAG_FOO"}},
		{"notify without listener", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{
			Names: []string{"getppid"}, Action: specs.ActNotify}}}, []string{"listenerPath"}},
		{"no agent listening", specs.LinuxSeccomp{DefaultAction: specs.ActAllow, ListenerPath: filepath.Join(e.dir, "nobody.sock"),
			Syscalls: []specs.LinuxSyscall{{Names: []string{"getppid"}, Action: specs.ActNotify}}},
			[]string{"seccomp agent", "nobody.sock"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sc := tc.sc
			b := e.bundle(withSeccomp(&sc))
			e.mustFail(tc.want, "run", "--bundle", b.Dir, e.id())
		})
	}
}

// agentMsg is what the test agent got on one connection.
type agentMsg struct {
	st  specs.ContainerProcessState
	err error
}

// seccompAgent listens at sock; for each connection it reads the container
// process state and the listener fd, then answers every notified getppid
// with 42 (anything else with EPERM) until the filter goes away.
func seccompAgent(t *testing.T, sock string) <-chan agentMsg {
	l, err := net.ListenUnix("unix", &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	out := make(chan agentMsg, 8)
	go func() {
		for {
			c, err := l.AcceptUnix()
			if err != nil {
				return
			}
			go serveAgent(c, out)
		}
	}()
	return out
}

func serveAgent(c *net.UnixConn, out chan<- agentMsg) {
	defer c.Close()
	var g agentMsg
	buf, oob := make([]byte, 1<<16), make([]byte, unix.CmsgSpace(4*4))
	n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
	if err != nil {
		out <- agentMsg{err: err}
		return
	}
	if g.err = json.Unmarshal(buf[:n], &g.st); g.err != nil {
		out <- g
		return
	}
	msgs, err := unix.ParseSocketControlMessage(oob[:oobn])
	if err != nil || len(msgs) != 1 {
		out <- agentMsg{err: fmt.Errorf("control messages: %v (%d)", err, len(msgs))}
		return
	}
	fds, err := unix.ParseUnixRights(&msgs[0])
	if err != nil || len(fds) != 1 {
		out <- agentMsg{err: fmt.Errorf("SCM_RIGHTS: %v (%d fds)", err, len(fds))}
		return
	}
	out <- g
	fd := libseccomp.ScmpFd(fds[0])
	defer unix.Close(fds[0])
	for {
		req, err := libseccomp.NotifReceive(fd)
		if err != nil {
			return // the process exited: the filter is gone
		}
		name, _ := req.Data.Syscall.GetName()
		resp := &libseccomp.ScmpNotifResp{ID: req.ID, Val: 42}
		if name != "getppid" {
			resp = &libseccomp.ScmpNotifResp{ID: req.ID, Error: -int32(unix.EPERM)}
		}
		if libseccomp.NotifRespond(fd, resp) != nil {
			return
		}
	}
}

func recvAgent(t *testing.T, ch <-chan agentMsg) specs.ContainerProcessState {
	t.Helper()
	select {
	case g := <-ch:
		if g.err != nil {
			t.Fatalf("agent: %v", g.err)
		}
		return g.st
	case <-time.After(10 * time.Second):
		t.Fatal("the seccomp agent got nothing in 10s")
	}
	return specs.ContainerProcessState{}
}

// SCMP_ACT_NOTIFY: the listener fd and the container's state reach the
// agent at listenerPath in runc's format; the agent answers getppid. For
// the container's process (status creating) and for an exec'd one
// (running, its own pid).
func TestSeccompNotifyAgent(t *testing.T) {
	e := newEnv(t)
	sock := filepath.Join(e.dir, "agent.sock")
	ch := seccompAgent(t, sock)
	sc := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, ListenerPath: sock, ListenerMetadata: "meta=1",
		Syscalls: []specs.LinuxSyscall{{Names: []string{"getppid"}, Action: specs.ActNotify}}}
	b := e.bundle(probe(t, "110", "39"), withSeccomp(sc))
	id := e.id()
	r := e.husk("run", "--bundle", b.Dir, id)
	if r.Code != 0 || !strings.Contains(r.Stdout, "110 ok 42") || !strings.Contains(r.Stdout, "39 ok") {
		t.Errorf("run: %s; want getppid answered 42 by the agent", r)
	}
	st := recvAgent(t, ch)
	if st.Version != specs.Version || len(st.Fds) != 1 || st.Fds[0] != specs.SeccompFdName || st.Pid <= 0 ||
		st.Metadata != "meta=1" || st.State.ID != id || st.State.Bundle != b.Dir || st.State.Status != specs.StateCreating {
		t.Errorf("container process state sent to the agent: %+v", st)
	}

	b = e.bundle(probe(t), withSeccomp(sc), args("sleep", "30"))
	id, _ = e.startDetached(b)
	defer e.destroy(id)
	init := recvAgent(t, ch)
	r = e.mustHusk("exec", id, probeDir+"/sysprobe", "110")
	if !strings.Contains(r.Stdout, "110 ok 42") {
		t.Errorf("exec: %q, want getppid answered 42 by the agent", r.Stdout)
	}
	ex := recvAgent(t, ch)
	if ex.State.Status != specs.StateRunning || ex.State.Pid != init.Pid || ex.Pid == init.Pid || ex.Pid <= 0 {
		t.Errorf("exec's process state: pid %d, state %+v (the init is %d)", ex.Pid, ex.State, init.Pid)
	}
}

// With noNewPrivileges the filter is loaded last, after the init's own
// set-up (credentials, capabilities, cwd): a profile denying the calls that
// set-up makes does not break the start, and the payload still sees them
// denied. (Without noNewPrivileges the filter needs CAP_SYS_ADMIN and is
// loaded before the capabilities are dropped, as in runc.)
func TestSeccompLoadedLast(t *testing.T) {
	e := newEnv(t)
	deny := []string{"capset", "setresuid", "setresgid", "setgroups", "chdir", "prctl", "umask"}
	sc := &specs.LinuxSeccomp{DefaultAction: specs.ActAllow, Syscalls: []specs.LinuxSyscall{{
		Names: deny, Action: specs.ActErrno, ErrnoRet: errnoRet(eacces)}}}
	out := e.output(probe(t, "95:0o22" /* umask */, "39"), withSeccomp(sc), func(s *specs.Spec) {
		s.Process.NoNewPrivileges = true
		s.Process.User = specs.User{UID: 1000, GID: 1000, AdditionalGids: []uint32{1000}}
		s.Process.Cwd = "/tmp"
	})
	if !strings.Contains(out, "95 errno 13") || !strings.Contains(out, "39 ok") {
		t.Errorf("payload under the filter: %q, want umask refused (EACCES) and getpid allowed", out)
	}
}
