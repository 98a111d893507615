package integration

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// CVE-2019-5736: a container process that reaches the runtime binary
// through /proc/<init pid>/exe (or by executing /proc/self/exe) keeps a
// handle on it and, once the runtime has exec'd the payload and the file is
// no longer busy, reopens the handle for writing and overwrites the host
// binary. The init must run from a sealed binary (read-only overlayfs or a
// sealed memfd), so that reopening it for writing fails.

// createOnly creates a container (not started) whose stdio goes to a file.
func (e *env) createOnly(b *bundle, createFlags ...string) (id, stdout string) {
	e.t.Helper()
	id = e.id()
	stdout = filepath.Join(e.dir, id+".out")
	f, err := os.Create(stdout)
	if err != nil {
		e.t.Fatal(err)
	}
	defer f.Close()
	cmd := e.cmd(append(append([]string{"create", "--bundle", b.Dir}, createFlags...), id)...)
	cmd.Stdout, cmd.Stderr = f, f
	if r := e.run(cmd); r.Code != 0 {
		out, _ := os.ReadFile(stdout)
		e.t.Fatalf("create failed: exit %d: %s", r.Code, out)
	}
	return id, stdout
}

// hostBinary is the (dev, ino) of the runtime binary under test.
func hostBinary(t *testing.T) (uint64, uint64) {
	var st unix.Stat_t
	if err := unix.Stat(huskBin, &st); err != nil {
		t.Fatal(err)
	}
	return st.Dev, st.Ino
}

// reopenForWrite performs the last step of the attack on a handle on the
// init's binary: open it for writing (no truncation, nothing written). It
// returns nil when the attack is closed off and an error describing what
// was reached otherwise. A sealed memfd may be opened for writing (its
// seals refuse every write), so an open that succeeds is still fine when it
// is a memfd and not the host binary.
func reopenForWrite(t *testing.T, handle int) error {
	t.Helper()
	w, err := unix.Open(fmt.Sprintf("/proc/self/fd/%d", handle), unix.O_WRONLY|unix.O_APPEND|unix.O_CLOEXEC, 0)
	if err != nil {
		if errors.Is(err, unix.EROFS) || errors.Is(err, unix.EPERM) || errors.Is(err, unix.EACCES) {
			return nil
		}
		return fmt.Errorf("reopen for writing failed with an unexpected error: %w", err)
	}
	defer unix.Close(w)
	var st unix.Stat_t
	if err := unix.Fstat(w, &st); err != nil {
		return err
	}
	if dev, ino := hostBinary(t); st.Dev == dev && st.Ino == ino {
		return errors.New("the host runtime binary was opened for writing")
	}
	link, _ := os.Readlink(fmt.Sprintf("/proc/self/fd/%d", w))
	if !strings.HasPrefix(link, "/memfd:") {
		return fmt.Errorf("the init's binary %q was opened for writing", link)
	}
	if _, err := unix.Write(w, []byte{0}); err == nil {
		return fmt.Errorf("a write into the init's binary %q succeeded", link)
	}
	return nil
}

// TestEscapeBinaryOverwriteHostHandle: the attacker's handle is taken from
// the host side (the strongest position: no pid namespace, no ptrace
// check). While the init waits in `created`, /proc/<pid>/exe is opened
// O_PATH; after start, when the binary is no longer executing, the handle
// is reopened for writing.
func TestEscapeBinaryOverwriteHostHandle(t *testing.T) {
	huskOnly(t, "runc 1.1.5 seals with a memfd copy; the test is about husk's sealing")
	e := newEnv(t)
	id, _ := e.createOnly(e.bundle(args("sleep", "30")))
	defer e.destroy(id)
	pid := e.state(id).Pid
	h, err := unix.Open(fmt.Sprintf("/proc/%d/exe", pid), unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("open /proc/%d/exe: %v", pid, err)
	}
	defer unix.Close(h)
	var st unix.Stat_t
	if err := unix.Fstat(h, &st); err != nil {
		t.Fatal(err)
	}
	if dev, ino := hostBinary(t); st.Dev == dev && st.Ino == ino {
		t.Errorf("the init in `created` runs the host binary itself (dev %d ino %d), not a sealed view", dev, ino)
	}
	// Busy: even unsealed this fails with ETXTBSY; sealed it is EROFS.
	if w, err := unix.Open(fmt.Sprintf("/proc/%d/exe", pid), unix.O_WRONLY|unix.O_APPEND|unix.O_CLOEXEC, 0); err == nil {
		unix.Close(w)
		t.Fatalf("/proc/%d/exe of the waiting init opened for writing", pid)
	}
	e.mustHusk("start", id)
	e.waitStatus(id, "running")
	if err := reopenForWrite(t, h); err != nil {
		t.Fatal(err)
	}
}

// TestEscapeBinaryOverwriteFromContainer performs the attack from inside:
// a process exec'd into the created container (given CAP_SYS_PTRACE, so
// that the init's non-dumpable state alone does not stop it) opens
// /proc/1/exe, waits for the init to exec the payload, then reopens the
// handle for writing.
func TestEscapeBinaryOverwriteFromContainer(t *testing.T) {
	e := newEnv(t)
	id, _ := e.createOnly(e.bundle(args("sleep", "30")))
	defer e.destroy(id)
	// The file stays busy (ETXTBSY) while any process executes it, `husk
	// start` and `husk exec` included: the attacker retries until they are
	// gone, as the CVE's exploit does.
	script := `exec 3</proc/1/exe || exit 1
echo ready
i=0
while [ "$(readlink /proc/1/exe)" != /bin/busybox ] && [ $i -lt 500 ]; do usleep 10000; i=$((i+1)); done
echo "exe: $(readlink /proc/1/exe)"
i=0
while [ $i -lt 500 ]; do
	if err=$( (exec 4>>/proc/self/fd/3) 2>&1 ); then echo "reopen: writable $(readlink /proc/self/fd/3)"; exit 0; fi
	case "$err" in *busy*) usleep 10000; i=$((i+1));; *) echo "reopen: refused: $err"; exit 0;; esac
done
echo "reopen: still busy"`
	out := filepath.Join(e.dir, "attack.out")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	cmd := e.cmd("exec", "-d", "--cap", "CAP_SYS_PTRACE", id, "sh", "-c", script)
	cmd.Stdout, cmd.Stderr = f, f
	if r := e.run(cmd); r.Code != 0 {
		b, _ := os.ReadFile(out)
		t.Fatalf("exec: %s\n%s", r, b)
	}
	// The attacker holds its handle before the init execs the payload.
	waitFile(t, out, "ready")
	e.mustHusk("start", id)
	waitFile(t, out, "reopen:")
	b, _ := os.ReadFile(out)
	got := string(b)
	t.Logf("attacker: %s", got)
	if !strings.Contains(got, "exe: /bin/busybox") {
		t.Fatalf("the init did not exec the payload while the attacker waited:\n%s", got)
	}
	if strings.Contains(got, "reopen: writable") && !strings.Contains(got, "/memfd:") {
		t.Fatalf("the init's binary was writable from the container:\n%s", got)
	}
	if !strings.Contains(got, "reopen: refused") && !strings.Contains(got, "/memfd:") || strings.Contains(got, "still busy") {
		t.Fatalf("unexpected attacker output:\n%s", got)
	}
}

// TestEscapeBinaryOverwriteSelfExe: a payload that is /proc/self/exe runs
// the init's binary inside the container; that must be the sealed one.
func TestEscapeBinaryOverwriteSelfExe(t *testing.T) {
	huskOnly(t, "the payload is the runtime's own CLI")
	e := newEnv(t)
	out := e.output(args("/proc/self/exe", "--version"))
	if !strings.Contains(out, "husk version") {
		t.Fatalf("/proc/self/exe as the payload did not run husk: %q", out)
	}
	// The CVE's image: the entrypoint is a script whose interpreter is
	// /proc/self/exe, resolved by the exec'ing init to its own binary.
	b := e.bundleRW(args("/evil"))
	if err := os.WriteFile(filepath.Join(b.Rootfs, "evil"), []byte("#!/proc/self/exe --version\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := e.runContainer(b)
	if r.Code != 0 || !strings.Contains(r.Stdout, "husk version") {
		t.Fatalf("#!/proc/self/exe did not run the init's binary: %s", r)
	}
}
