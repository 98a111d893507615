package integration

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The engines husk is meant to sit under, driving it as they drive runc:
// Podman through conmon, and containerd through its runc shim
// (containerd-shim-runc-v2 with the runtime binary set to husk). Images
// come from the test rootfs (no registry here): `podman import`, and for
// containerd an OCI archive written by `podman save`.

// needTools skips the test when an engine is not installed.
func needTools(t *testing.T, tools ...string) {
	t.Helper()
	for _, b := range tools {
		if _, err := exec.LookPath(b); err != nil {
			t.Skipf("%s is not installed (make deps installs it)", b)
		}
	}
}

// engineCgroup is a cgroup parent of the test's own; the engines make
// their containers' cgroups below it, husk removes those on delete, and
// the test removes the parent.
func engineCgroup(t *testing.T, name string) string {
	parent := "/husk-itest-" + name + "-" + randHex(4)
	t.Cleanup(func() {
		for _, h := range cgroupHierarchies() {
			removeCgroup(filepath.Join(h.Mount, parent))
		}
	})
	return parent
}

// leftCgroups lists the cgroup directories left below parent that are
// named after a container (libpod-<id>, or the id itself).
func leftCgroups(parent string, names ...string) []string {
	var left []string
	for _, h := range cgroupHierarchies() {
		ents, _ := os.ReadDir(filepath.Join(h.Mount, parent))
		for _, ent := range ents {
			for _, n := range names {
				if ent.IsDir() && strings.Contains(ent.Name(), n) {
					left = append(left, filepath.Join(h.Mount, parent, ent.Name()))
				}
			}
		}
	}
	return left
}

type podman struct {
	e    *env
	args []string
}

func newPodman(t *testing.T, e *env) *podman {
	needTools(t, "podman", "conmon")
	d := filepath.Join(e.dir, "podman")
	p := &podman{e: e, args: []string{"--root", d + "/storage", "--runroot", d + "/run", "--tmpdir", d + "/tmp",
		"--cgroup-manager", "cgroupfs", "--events-backend", "file", "--storage-driver", "vfs", "--runtime", huskBin}}
	tarball := filepath.Join(e.dir, "rootfs.tar")
	hostRun(t, "tar", "-C", sharedRootfs, "-cf", tarball, ".")
	p.must("import", tarball, "localhost/husk-itest")
	return p
}

func (p *podman) run(args ...string) result {
	cmd := exec.Command("podman", append(append([]string(nil), p.args...), args...)...)
	cmd.Env = append(os.Environ(), p.e.marker)
	cmd.Dir = p.e.dir
	return p.e.run(cmd)
}

func (p *podman) must(args ...string) result {
	p.e.t.Helper()
	r := p.run(args...)
	if r.Code != 0 {
		p.e.t.Fatalf("podman: %s", r)
	}
	return r
}

// Podman: run --rm (create, start, wait, delete through conmon), then a
// detached container with exec, stop (kill TERM, then KILL) and rm.
func TestPodman(t *testing.T) {
	e := newEnv(t)
	p := newPodman(t, e)
	cg := engineCgroup(t, "podman")
	// This host's hard limits are below Podman's default nofile/nproc
	// (1048576), which no runtime can raise without CAP_SYS_RESOURCE.
	common := []string{"--network", "none", "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1024:1024", "--cgroup-parent", cg}
	r := p.must(append(append([]string{"run", "--rm"}, common...),
		"localhost/husk-itest", "sh", "-c", `echo "hello from pid $$"; grep -c . /proc/self/cgroup`)...)
	if !strings.Contains(r.Stdout, "hello from pid 1") {
		t.Errorf("podman run: %q, want the payload as PID 1", r.Stdout)
	}
	// -t: conmon receives the pty master over husk's --console-socket
	r = p.must(append(append([]string{"run", "--rm", "-t"}, common...), "localhost/husk-itest", "sh", "-c", "tty; stty size")...)
	if !strings.Contains(r.Stdout, "/dev/pts/0") {
		t.Errorf("podman run -t: %q, want the payload on /dev/pts/0", r.Stdout)
	}
	p.must(append(append([]string{"run", "-d", "--name", "c1"}, common...), "localhost/husk-itest", "sleep", "60")...)
	r = p.must("exec", "c1", "sh", "-c", `echo "exec as $$"; tr '\0' ' ' < /proc/1/cmdline`)
	if !strings.Contains(r.Stdout, "exec as") || !strings.Contains(r.Stdout, "sleep 60") {
		t.Errorf("podman exec: %q, want to run beside sleep 60", r.Stdout)
	}
	if r = p.must("inspect", "--format", "{{.State.Status}}", "c1"); strings.TrimSpace(r.Stdout) != "running" {
		t.Errorf("podman inspect: %q, want running", r.Stdout)
	}
	p.must("stop", "-t", "1", "c1")
	p.must("rm", "c1")
	if left := leftCgroups(cg, "libpod-"); len(left) > 0 {
		t.Errorf("container cgroups left after podman rm: %v", left)
	}
}

// containerd through its runc shim: ctr run --rm, then a detached task
// with exec, kill, delete.
func TestContainerd(t *testing.T) {
	needTools(t, "containerd", "ctr", "containerd-shim-runc-v2")
	e := newEnv(t)
	p := newPodman(t, e)
	d := filepath.Join(e.dir, "containerd")
	sock := filepath.Join(d, "containerd.sock")
	daemon := exec.Command("containerd", "--root", d+"/root", "--state", d+"/state", "--address", sock, "--config", "/dev/null")
	daemon.Env = append(os.Environ(), e.marker)
	daemon.Stdout, daemon.Stderr = e.tempFile("containerd.log"), e.tempFile("containerd.err")
	if err := daemon.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = daemon.Process.Kill()
		_ = daemon.Wait()
		// the shim's runtime root for the test's namespace (empty by now)
		_ = os.Remove("/run/containerd/runc/husk-itest")
	})
	ctr := func(args ...string) result {
		cmd := exec.Command("ctr", append([]string{"--address", sock, "--namespace", "husk-itest"}, args...)...)
		cmd.Env = append(os.Environ(), e.marker)
		return e.run(cmd)
	}
	must := func(args ...string) result {
		t.Helper()
		r := ctr(args...)
		if r.Code != 0 {
			t.Fatalf("ctr: %s", r)
		}
		return r
	}
	for i := 0; ctr("version").Code != 0; i++ {
		if i == 100 {
			t.Fatal("containerd did not come up in 10 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	archive := filepath.Join(e.dir, "image.tar")
	p.must("save", "--format", "oci-archive", "-o", archive, "localhost/husk-itest")
	must("image", "import", "--base-name", "localhost/husk-itest", archive)
	cg := engineCgroup(t, "ctr")
	image := "localhost/husk-itest:latest"
	run := []string{"run", "--snapshotter", "native", "--runc-binary", huskBin}
	r := must(append(run, "--rm", "--cgroup", cg+"/t1", image, "t1", "sh", "-c", `echo "hello from pid $$"`)...)
	if !strings.Contains(r.Stdout, "hello from pid 1") {
		t.Errorf("ctr run: %q, want the payload as PID 1", r.Stdout)
	}
	must(append(run, "-d", "--cgroup", cg+"/t2", image, "t2", "sleep", "60")...)
	r = must("task", "exec", "--exec-id", "e1", "t2", "sh", "-c", `tr '\0' ' ' < /proc/1/cmdline`)
	if !strings.Contains(r.Stdout, "sleep 60") {
		t.Errorf("ctr task exec: %q, want to run beside sleep 60", r.Stdout)
	}
	must("task", "kill", "--signal", "SIGKILL", "t2")
	for i := 0; !strings.Contains(must("task", "ls").Stdout, "STOPPED"); i++ {
		if i == 100 {
			t.Fatalf("t2 did not stop: %s", ctr("task", "ls"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	must("task", "delete", "t2")
	must("container", "rm", "t2")
	if left := leftCgroups(cg, "t1", "t2"); len(left) > 0 {
		t.Errorf("container cgroups left after delete: %v", left)
	}
}
