package integration

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// hostAppArmor reports whether AppArmor is enabled (runc's test).
func hostAppArmor() bool {
	if _, err := os.Stat("/sys/kernel/security/apparmor"); err != nil {
		return false
	}
	b, err := os.ReadFile("/sys/module/apparmor/parameters/enabled")
	return err == nil && bytes.HasPrefix(b, []byte("Y"))
}

// A profile that confines without breaking busybox: everything allowed but
// writes under /mnt/a.
const testProfile = `profile husk-itest flags=(attach_disconnected,mediate_deleted) {
  file,
  capability,
  network,
  mount,
  umount,
  pivot_root,
  ptrace,
  signal,
  unix,
  dbus,
  deny /mnt/a/** w,
}
`

// process.apparmorProfile and exec --apparmor, observed from inside: the
// process runs confined by the profile, and the write it denies fails.
// This host (v1 hybrid, no AppArmor) skips it; the cgv2 lane's guest
// (Debian kernel, AppArmor on) runs it every CI run.
func TestAppArmorProfile(t *testing.T) {
	if !hostAppArmor() {
		t.Skip("AppArmor is not enabled on this kernel (the cgv2 QEMU guest runs this test: make cgv2)")
	}
	if _, err := exec.LookPath("apparmor_parser"); err != nil {
		t.Skip("apparmor_parser not installed (make deps installs the apparmor package)")
	}
	load := exec.Command("apparmor_parser", "-r", "-W")
	load.Stdin = strings.NewReader(testProfile)
	if out, err := load.CombinedOutput(); err != nil {
		t.Fatalf("apparmor_parser: %v\n%s", err, out)
	}
	defer func() {
		rm := exec.Command("apparmor_parser", "-R")
		rm.Stdin = strings.NewReader(testProfile)
		rm.Run()
	}()
	e := newEnv(t)
	tmpfs := func(s *specs.Spec) {
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/mnt/a", Type: "tmpfs", Source: "tmpfs"})
	}
	out := e.output(tmpfs, func(s *specs.Spec) { s.Process.ApparmorProfile = "husk-itest" },
		sh(`cat /proc/self/attr/current; echo; echo x > /mnt/a/f && echo write-ok || echo write-denied`))
	if !strings.Contains(out, "husk-itest (enforce)") || !strings.Contains(out, "write-denied") {
		t.Errorf("apparmorProfile husk-itest: %q, want the profile in attr/current and the write denied", out)
	}
	// exec --apparmor into an unconfined container.
	id, _ := e.startDetached(e.bundle(tmpfs, args("sleep", "30")))
	defer e.destroy(id)
	r := e.mustHusk("exec", "--apparmor", "husk-itest", id, "cat", "/proc/self/attr/current")
	if !strings.Contains(r.Stdout, "husk-itest (enforce)") {
		t.Errorf("exec --apparmor: attr/current %q", r.Stdout)
	}
	r = e.mustHusk("exec", id, "cat", "/proc/self/attr/current")
	if strings.Contains(r.Stdout, "husk-itest") {
		t.Errorf("exec without --apparmor is confined: %q", r.Stdout)
	}
	// An unknown profile is an error naming it.
	b := e.bundle(func(s *specs.Spec) { s.Process.ApparmorProfile = "husk-no-such-profile" })
	e.mustFail([]string{"apparmor"}, "run", "--bundle", b.Dir, e.id())
}

// Where the host lacks the LSM, a requested label is refused with an error
// naming the field (runc fails too, later: at the init's write).
func TestLSMAbsentRefused(t *testing.T) {
	_, selinuxErr := os.Stat("/sys/fs/selinux/enforce")
	if hostAppArmor() && selinuxErr == nil {
		t.Skip("this host has both AppArmor and SELinux")
	}
	e := newEnv(t)
	if !hostAppArmor() {
		b := e.bundle(func(s *specs.Spec) { s.Process.ApparmorProfile = "foo" })
		e.mustFail([]string{"process.apparmorProfile", "AppArmor is not enabled"}, "run", "--bundle", b.Dir, e.id())
	}
	if selinuxErr != nil {
		b := e.bundle(func(s *specs.Spec) { s.Process.SelinuxLabel = "system_u:system_r:container_t:s0" })
		e.mustFail([]string{"process.selinuxLabel", "SELinux is not enabled"}, "run", "--bundle", b.Dir, e.id())
		b = e.bundle(func(s *specs.Spec) { s.Linux.MountLabel = "system_u:object_r:container_file_t:s0" })
		e.mustFail([]string{"linux.mountLabel", "SELinux is not enabled"}, "run", "--bundle", b.Dir, e.id())
	}
}

// hostSELinux reports whether SELinux is enabled with a policy loaded.
func hostSELinux() bool {
	b, err := os.ReadFile("/proc/self/attr/current")
	if _, serr := os.Stat("/sys/fs/selinux/enforce"); serr != nil || err != nil {
		return false
	}
	return string(bytes.TrimRight(b, "\x00\n")) != "kernel"
}

// Contexts valid in Debian's refpolicy (selinux-policy-default), which the
// SELinux lane's guest loads in permissive mode: transitions happen and
// are logged, so the labels are observable without a container policy.
const (
	seProcessLabel = "system_u:system_r:unconfined_t:s0"
	seExecLabel    = "system_u:system_r:initrc_t:s0"
	seMountLabel   = "system_u:object_r:tmp_t:s0"
)

// process.selinuxLabel, linux.mountLabel and exec --process-label,
// observed from inside: the payload's /proc/self/attr/current, and the
// context= of the new filesystems in /proc/self/mountinfo. This host has
// no SELinux and skips it; tests/cgv2.sh's SELinux lane (a QEMU guest
// booted with security=selinux, Debian's policy loaded) runs it.
func TestSELinuxLabels(t *testing.T) {
	if !hostSELinux() {
		t.Skip("SELinux is not enabled with a policy loaded (tests/cgv2.sh's SELinux guest runs this test: make cgv2)")
	}
	e := newEnv(t)
	labels := func(s *specs.Spec) {
		s.Process.SelinuxLabel = seProcessLabel
		s.Linux.MountLabel = seMountLabel
		s.Mounts = append(s.Mounts, specs.Mount{Destination: "/mnt/a", Type: "tmpfs", Source: "tmpfs"})
	}
	out := e.output(labels, sh(`cat /proc/self/attr/current; echo; grep -E ' /mnt/a | /dev ' /proc/self/mountinfo`))
	if !strings.HasPrefix(out, seProcessLabel) {
		t.Errorf("selinuxLabel %s: attr/current %q", seProcessLabel, out)
	}
	for _, dst := range []string{" /mnt/a ", " /dev "} {
		found := false
		for _, l := range strings.Split(out, "\n") {
			if strings.Contains(l, dst) {
				found = true
				if !strings.Contains(l, "context="+seMountLabel) && !strings.Contains(l, `context="`+seMountLabel) {
					t.Errorf("mountLabel %s: %s mounted without it: %q", seMountLabel, dst, l)
				}
			}
		}
		if !found {
			t.Errorf("no%smount in %q", dst, out)
		}
	}
	// exec: --process-label, else the container's label.
	id, _ := e.startDetached(e.bundle(labels, args("sleep", "30")))
	defer e.destroy(id)
	r := e.mustHusk("exec", "--process-label", seExecLabel, id, "cat", "/proc/self/attr/current")
	if !strings.HasPrefix(r.Stdout, seExecLabel) {
		t.Errorf("exec --process-label %s: attr/current %q", seExecLabel, r.Stdout)
	}
	r = e.mustHusk("exec", id, "cat", "/proc/self/attr/current")
	if !strings.HasPrefix(r.Stdout, seProcessLabel) {
		t.Errorf("exec: attr/current %q, want the container's %s", r.Stdout, seProcessLabel)
	}
	// A context the policy does not know fails in the init, naming the write.
	b := e.bundle(func(s *specs.Spec) { s.Process.SelinuxLabel = "husk_u:husk_r:husk_t:s0" })
	e.mustFail([]string{"/proc/thread-self/attr/", "label husk_u:husk_r:husk_t:s0", "invalid argument"}, "run", "--bundle", b.Dir, e.id())
}
