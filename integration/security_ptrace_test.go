package integration

// Escape test of CVE-2016-9962 (ptrace of the runtime's init or exec
// helper while it holds host fds); see security_test.go.

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// ptraceHelper is the attacker's tool: `ptrace PID` tries PTRACE_SEIZE (the
// PTRACE_ATTACH check, without stopping the target; leaving detaches) and
// following the target's fd and cwd links (the host fds and directories
// CVE-2016-9962 reached), and reports each outcome.
const ptraceHelper = `package main

import (
	"fmt"
	"os"
	"syscall"
)

func main() {
	pid := os.Args[1]
	var n int
	fmt.Sscan(pid, &n)
	const ptraceSeize = 0x4206
	if _, _, e := syscall.Syscall6(syscall.SYS_PTRACE, ptraceSeize, uintptr(n), 0, 0, 0, 0); e != 0 {
		fmt.Println("attach:", e)
	} else {
		fmt.Println("attach: ok")
	}
	for _, l := range []string{"fd/0", "cwd"} {
		if _, err := os.Readlink("/proc/" + pid + "/" + l); err != nil {
			fmt.Printf("%s: %v\n", l, err.(*os.PathError).Err)
		} else {
			fmt.Printf("%s: ok\n", l)
		}
	}
}
`

// buildPtraceHelper compiles ptraceHelper (static) into dir/ptrace.
func buildPtraceHelper(t *testing.T, dir string) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "main.go")
	if err := os.WriteFile(src, []byte(ptraceHelper), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "ptrace")
	cmd := exec.Command("go", "build", "-o", out, src)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if o, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building the ptrace helper: %v\n%s", err, o)
	}
	return out
}

// hostAttacker runs the helper on the host as root without CAP_SYS_PTRACE
// (every other capability kept: a superset of the container's, so that
// only dumpability decides).
func hostAttacker(t *testing.T, helper string, pid int) string {
	t.Helper()
	out, err := exec.Command("setpriv", "--bounding-set", "-sys_ptrace", "--inh-caps", "-all", "--", helper, strconv.Itoa(pid)).CombinedOutput()
	if err != nil {
		t.Fatalf("setpriv %s: %v\n%s", helper, err, out)
	}
	return string(out)
}

// denied: every attack line failed with EPERM/EACCES.
func denied(out string) bool {
	return strings.Contains(out, "attach: operation not permitted") && strings.Contains(out, "fd/0: permission denied") &&
		strings.Contains(out, "cwd: permission denied")
}

// allowed: every attack line succeeded.
func allowed(out string) bool {
	return strings.Contains(out, "attach: ok") && strings.Contains(out, "fd/0: ok") && strings.Contains(out, "cwd: ok")
}

// CVE-2016-9962: a container process ptraced the runtime's helper while it
// still held host fds. husk's init is not dumpable until it execs the
// payload. At `created` the init runs husk's code as root, holds the exec
// fifo and the init socket, and has husk's environment: neither root in
// the container (same uid, no CAP_SYS_PTRACE) nor root on the host
// without CAP_SYS_PTRACE can attach to it or follow its fd and cwd links.
// (No uid change here: the kernel itself resets dumpability on one, which
// would hide a missing PR_SET_DUMPABLE.) After start the same attacks work
// on the payload, which shows that they can.
func TestEscapePtraceInitNotDumpable(t *testing.T) {
	e := newEnv(t)
	b := e.bundleRW(args("sleep", "1000"))
	helper := buildPtraceHelper(t, filepath.Join(b.Rootfs, "bin"))
	id := e.id()
	e.mustHusk("create", "--bundle", b.Dir, id)
	t.Cleanup(func() { e.husk("delete", "-f", id) })
	pid := e.state(id).Pid
	if out := e.mustHusk("exec", id, "ptrace", "1").Stdout; !denied(out) {
		t.Errorf("root in the container got at the init at created:\n%s", out)
	}
	if out := hostAttacker(t, helper, pid); !denied(out) {
		t.Errorf("host root without CAP_SYS_PTRACE got at the init at created:\n%s", out)
	}
	e.mustHusk("start", id)
	e.waitStatus(id, "running")
	if out := e.mustHusk("exec", id, "ptrace", "1").Stdout; !allowed(out) {
		t.Errorf("the same attack on the (dumpable) payload should work, else the test proves nothing:\n%s", out)
	}
	if out := hostAttacker(t, helper, pid); !allowed(out) {
		t.Errorf("the host attack on the (dumpable) payload should work, else the test proves nothing:\n%s", out)
	}
}

// The exec helper (husk exec's init) is not dumpable either until it execs:
// caught before its exec by joining a paused container (it freezes after
// its set-up, see TestPauseResume), root on the host without
// CAP_SYS_PTRACE can neither attach to it nor follow its fd and cwd links;
// once resumed, its payload is dumpable.
func TestEscapePtraceExecHelperNotDumpable(t *testing.T) {
	e := newEnv(t)
	helper := buildPtraceHelper(t, e.dir)
	id := e.running()
	e.mustHusk("pause", id)
	e.mustHusk("exec", "-d", "--ignore-paused", "--pid-file", "helper.pid", id, "sleep", "999")
	data, err := os.ReadFile(filepath.Join(e.dir, "helper.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	if exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid)); !strings.Contains(exe, filepath.Base(huskBin)) {
		t.Fatalf("the exec helper is not frozen before its exec (exe %s): nothing to attack", exe)
	}
	if out := hostAttacker(t, helper, pid); !denied(out) {
		t.Errorf("host root without CAP_SYS_PTRACE got at the frozen exec helper:\n%s", out)
	}
	e.mustHusk("resume", id)
	for i := 0; i < 100 && procCmdline(pid) != "sleep 999"; i++ {
		syscall.Nanosleep(&syscall.Timespec{Nsec: 20e6}, nil)
	}
	if out := hostAttacker(t, helper, pid); !allowed(out) {
		t.Errorf("the same attack on the exec'd payload should work, else the test proves nothing:\n%s", out)
	}
}
