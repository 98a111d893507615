package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// running starts a long-running container for exec tests.
func (e *env) running(mut ...func(*specs.Spec)) string {
	e.t.Helper()
	id, _ := e.startDetached(e.bundle(append([]func(*specs.Spec){args("sleep", "1000")}, mut...)...))
	e.t.Cleanup(func() { e.husk("delete", "-f", id) })
	return id
}

// statusField returns a field of /proc/self/status text ("CapEff", "Groups", ...).
func statusField(status, field string) string {
	for _, l := range strings.Split(status, "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && k == field {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

func capMask(t *testing.T, status, field string) uint64 {
	t.Helper()
	v, err := strconv.ParseUint(statusField(status, field), 16, 64)
	if err != nil {
		t.Fatalf("%s in /proc/self/status: %v\n%s", field, err, status)
	}
	return v
}

func TestExecExitStatus(t *testing.T) {
	e := newEnv(t)
	id := e.running()
	if r := e.husk("exec", id, "sh", "-c", "exit 7"); r.Code != 7 {
		t.Errorf("exec of `exit 7`: %s", r)
	}
	if r := e.husk("exec", id, "sh", "-c", "kill -KILL $$"); r.Code != 137 {
		t.Errorf("exec of a process killed by SIGKILL: %s, want 137", r)
	}
	r := e.husk("exec", id, "no-such-binary")
	if r.Code != 255 || !strings.Contains(r.Stderr, "no-such-binary") {
		t.Errorf("exec of a missing executable: %s, want 255 and the name in the error", r)
	}
	if r := e.husk("exec", "no-such-container", "true"); r.Code != 255 {
		t.Errorf("exec into a missing container: %s, want 255", r)
	}
	if r := e.husk("exec", id, "echo", "hi"); r.Code != 0 || r.Stdout != "hi\n" {
		t.Errorf("exec echo: %s", r)
	}
}

func TestExecProcessJSON(t *testing.T) {
	e := newEnv(t)
	id := e.running()
	p := specs.Process{
		Args: []string{"sh", "-c", `echo "$FOO $(pwd) $(id -u):$(id -g)"`},
		Env:  []string{"PATH=/bin:/usr/bin", "FOO=from-process-json", e.marker},
		Cwd:  "/tmp",
		User: specs.User{UID: 1000, GID: 1000},
	}
	data, _ := json.Marshal(p)
	pf := filepath.Join(e.dir, "process.json")
	if err := os.WriteFile(pf, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r := e.mustHusk("exec", "--process", pf, id)
	if want := "from-process-json /tmp 1000:1000\n"; r.Stdout != want {
		t.Errorf("exec -p: %q, want %q", r.Stdout, want)
	}
	// relative to the caller's cwd, short flag
	r = e.mustHusk("exec", "-p", "process.json", id)
	if want := "from-process-json /tmp 1000:1000\n"; r.Stdout != want {
		t.Errorf("exec -p (relative): %q, want %q", r.Stdout, want)
	}
}

// -e adds to (and overrides in) the container's environment.
func TestExecEnv(t *testing.T) {
	e := newEnv(t)
	id := e.running(func(s *specs.Spec) { s.Process.Env = append(s.Process.Env, "KEEP=kept", "OVER=old") })
	// (urfave/cli as used by runc refuses mixing -e and --env in one call)
	r := e.mustHusk("exec", "-e", "FOO=bar", "-e", "OVER=new", id, "env")
	got := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(r.Stdout), "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			got[k] = v
		}
	}
	want := map[string]string{"FOO": "bar", "OVER": "new", "KEEP": "kept", "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("exec env %s=%q, want %q (env: %q)", k, got[k], v, r.Stdout)
		}
	}
	if r := e.mustHusk("exec", "--env", "FOO=long", id, "sh", "-c", "echo $FOO $KEEP"); r.Stdout != "long kept\n" {
		t.Errorf("exec --env FOO=long: %q", r.Stdout)
	}
}

func TestExecUserGroups(t *testing.T) {
	e := newEnv(t)
	id := e.running()
	st := e.mustHusk("exec", "-u", "1000:1000", "-g", "10", "-g", "20", id, "cat", "/proc/self/status").Stdout
	if f := strings.Fields(statusField(st, "Uid")); len(f) != 4 || f[0] != "1000" || f[1] != "1000" {
		t.Errorf("exec -u 1000:1000: Uid %q", statusField(st, "Uid"))
	}
	if f := strings.Fields(statusField(st, "Gid")); len(f) != 4 || f[0] != "1000" {
		t.Errorf("exec -u 1000:1000: Gid %q", statusField(st, "Gid"))
	}
	if g := statusField(st, "Groups"); g != "10 20" {
		t.Errorf("exec -g 10 -g 20: Groups %q, want \"10 20\"", g)
	}
	st = e.mustHusk("exec", "--user", "1000:1000", "--additional-gids", "10", id, "cat", "/proc/self/status").Stdout
	if g := statusField(st, "Groups"); g != "10" {
		t.Errorf("exec --additional-gids 10: Groups %q", g)
	}
	// HOME from the container's /etc/passwd for the exec'd user
	if r := e.mustHusk("exec", "--user", "1000", id, "sh", "-c", "echo $HOME"); r.Stdout != "/home/user\n" {
		t.Errorf("exec -u 1000: HOME %q, want /home/user", r.Stdout)
	}
}

func TestExecCwd(t *testing.T) {
	e := newEnv(t)
	id := e.running()
	if r := e.mustHusk("exec", "--cwd", "/tmp", id, "pwd"); r.Stdout != "/tmp\n" {
		t.Errorf("exec --cwd /tmp: %q", r.Stdout)
	}
	if r := e.mustHusk("exec", id, "pwd"); r.Stdout != "/\n" {
		t.Errorf("exec without --cwd: %q, want the spec's cwd /", r.Stdout)
	}
}

func TestExecCap(t *testing.T) {
	e := newEnv(t)
	id := e.running()
	const sysAdmin = 1 << 21
	st := e.mustHusk("exec", id, "cat", "/proc/self/status").Stdout
	if capMask(t, st, "CapEff")&sysAdmin != 0 || capMask(t, st, "CapBnd")&sysAdmin != 0 {
		t.Errorf("CAP_SYS_ADMIN present without --cap:\n%s", st)
	}
	st = e.mustHusk("exec", "--cap", "CAP_SYS_ADMIN", id, "cat", "/proc/self/status").Stdout
	for _, f := range []string{"CapEff", "CapPrm", "CapBnd"} {
		if capMask(t, st, f)&sysAdmin == 0 {
			t.Errorf("exec --cap CAP_SYS_ADMIN: not in %s (%s)", f, statusField(st, f))
		}
	}
	if inh := capMask(t, st, "CapInh"); inh != 0 { // CVE-2022-29162
		t.Errorf("exec --cap must not set inheritable caps: CapInh %x", inh)
	}
}

func TestExecNoNewPrivs(t *testing.T) {
	e := newEnv(t)
	id := e.running(func(s *specs.Spec) { s.Process.NoNewPrivileges = false })
	st := e.mustHusk("exec", id, "cat", "/proc/self/status").Stdout
	if v := statusField(st, "NoNewPrivs"); v != "0" {
		t.Errorf("exec without --no-new-privs (spec false): NoNewPrivs %q", v)
	}
	st = e.mustHusk("exec", "--no-new-privs", id, "cat", "/proc/self/status").Stdout
	if v := statusField(st, "NoNewPrivs"); v != "1" {
		t.Errorf("exec --no-new-privs: NoNewPrivs %q", v)
	}
}

func TestExecDetachPidFile(t *testing.T) {
	e := newEnv(t)
	id := e.running()
	e.mustHusk("exec", "-d", "--pid-file", "exec.pid", id, "sleep", "999")
	data, err := os.ReadFile(filepath.Join(e.dir, "exec.pid"))
	if err != nil {
		t.Fatalf("exec --pid-file (relative to the caller's cwd): %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatalf("pid file %q: %v", data, err)
	}
	if got := procCmdline(pid); got != "sleep 999" {
		t.Errorf("exec -d: pid %d runs %q, want \"sleep 999\"", pid, got)
	}
	if !pidAlive(pid) {
		t.Errorf("exec -d: process %d not running after exec returned", pid)
	}
	e.destroy(id)
	waitDead(t, pid)
}

func TestExecPreserveFds(t *testing.T) {
	e := newEnv(t)
	id := e.running()
	f := e.tempFile("extra")
	f.WriteString("preserved\n")
	f.Seek(0, 0)
	c := e.cmd("exec", "--preserve-fds", "1", id, "sh", "-c", "cat <&3; ls /proc/self/fd/ | tr '\\n' ' '")
	c.ExtraFiles = []*os.File{f}
	r := e.run(c)
	if r.Code != 0 || !strings.HasPrefix(r.Stdout, "preserved\n") {
		t.Errorf("exec --preserve-fds 1: fd 3 not passed: %s", r)
	}
	// without the flag, fd 3 does not reach the process
	c = e.cmd("exec", id, "sh", "-c", "cat <&3")
	c.ExtraFiles = []*os.File{f}
	if r := e.run(c); r.Code == 0 || strings.Contains(r.Stdout, "preserved") {
		t.Errorf("exec without --preserve-fds passed fd 3: %s", r)
	}
}

// The exec'd process has only fds 0, 1, 2, as seen from the host.
func TestExecNoLeakedFds(t *testing.T) {
	e := newEnv(t)
	id := e.running()
	e.mustHusk("exec", "-d", "--pid-file", "exec.pid", id, "sleep", "999")
	data, _ := os.ReadFile(filepath.Join(e.dir, "exec.pid"))
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	if fds := procFds(t, pid); strings.Join(fds, " ") != "0 1 2" {
		t.Errorf("exec'd process has fds %v, want 0 1 2", fds)
	}
}

func TestExecTTY(t *testing.T) {
	e := newEnv(t)
	id := e.running()
	cs := e.consoleSocket()
	e.mustHusk("exec", "-t", "-d", "--console-socket", cs.Path, id, "sh", "-c", "tty; [ -t 0 ] && [ -t 1 ] && echo both-tty; stty size")
	out := readTTY(cs.master(t)).wait(t)
	if !strings.Contains(out, "/dev/pts/") || !strings.Contains(out, "both-tty") {
		t.Errorf("exec -t: output %q, want a /dev/pts/N terminal on stdin and stdout", out)
	}
	// without -t stdin is not a terminal
	if r := e.husk("exec", id, "sh", "-c", "[ -t 0 ] || echo no-tty"); r.Stdout != "no-tty\n" {
		t.Errorf("exec without -t: %s", r)
	}
}
