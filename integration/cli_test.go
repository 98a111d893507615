package integration

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
)

// --version / -v: "<name> version X", "commit: …", "spec: …", "go: …",
// "libseccomp: …" (runc's layout).
func TestVersion(t *testing.T) {
	e := newEnv(t)
	for _, flag := range []string{"--version", "-v"} {
		out := e.mustHusk(flag).Stdout
		lines := strings.Split(strings.TrimSpace(out), "\n")
		pats := []string{`^\S+ version \S+$`, `^commit: \S+`, `^spec: \d+\.\d+\.\d+\S*$`, `^go: go\S+`, `^libseccomp: \d+\.\d+\.\d+$`}
		if len(lines) != len(pats) {
			t.Errorf("%s: %d lines, want %d:\n%s", flag, len(lines), len(pats), out)
			continue
		}
		for i, p := range pats {
			if !regexp.MustCompile(p).MatchString(lines[i]) {
				t.Errorf("%s line %d %q does not match %s", flag, i+1, lines[i], p)
			}
		}
	}
}

// husk-specific: the name and the spec version husk implements.
func TestVersionHusk(t *testing.T) {
	huskOnly(t, "husk's --version text")
	e := newEnv(t)
	lines := strings.Split(e.mustHusk("--version").Stdout, "\n")
	if !strings.HasPrefix(lines[0], "husk version ") || len(lines) < 3 || lines[2] != "spec: "+specs.Version {
		t.Errorf("husk --version: %q, want \"husk version X\" and \"spec: %s\"", lines, specs.Version)
	}
}

func readFeatures(t *testing.T, e *env) features.Features {
	t.Helper()
	out := e.mustHusk("features").Stdout
	var f features.Features
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		t.Fatalf("features: not runtime-spec features JSON: %v\n%s", err, out)
	}
	return f
}

func TestFeatures(t *testing.T) {
	e := newEnv(t)
	f := readFeatures(t, e)
	if f.OCIVersionMin == "" || f.OCIVersionMax == "" {
		t.Errorf("features: ociVersionMin %q, ociVersionMax %q", f.OCIVersionMin, f.OCIVersionMax)
	}
	for _, h := range hookKinds {
		if !slices.Contains(f.Hooks, h) {
			t.Errorf("features.hooks lacks %s: %v", h, f.Hooks)
		}
	}
	for _, o := range []string{"bind", "rbind", "ro", "nosuid", "nodev", "noexec", "rshared", "rslave", "rprivate"} {
		if !slices.Contains(f.MountOptions, o) {
			t.Errorf("features.mountOptions lacks %s", o)
		}
	}
	if f.Linux == nil {
		t.Fatalf("features.linux missing")
	}
	for _, ns := range []string{"pid", "network", "ipc", "uts", "mount", "user", "cgroup"} {
		if !slices.Contains(f.Linux.Namespaces, ns) {
			t.Errorf("features.linux.namespaces lacks %s: %v", ns, f.Linux.Namespaces)
		}
	}
	for _, c := range []string{"CAP_CHOWN", "CAP_SYS_ADMIN", "CAP_KILL"} {
		if !slices.Contains(f.Linux.Capabilities, c) {
			t.Errorf("features.linux.capabilities lacks %s", c)
		}
	}
}

// husk-specific: husk implements runtime-spec 1.3.0, including the time
// namespace, and says so.
func TestFeaturesHusk(t *testing.T) {
	huskOnly(t, "husk's features: ociVersionMax 1.3.0")
	e := newEnv(t)
	f := readFeatures(t, e)
	if f.OCIVersionMax != "1.3.0" {
		t.Errorf("ociVersionMax %q, want 1.3.0", f.OCIVersionMax)
	}
	if !slices.Contains(f.Linux.Namespaces, "time") {
		t.Errorf("features.linux.namespaces lacks time: %v", f.Linux.Namespaces)
	}
}

// `spec` writes a config.json that is a valid runtime-spec document with
// runc's defaults.
func TestSpec(t *testing.T) {
	e := newEnv(t)
	dir := e.hostDir("spec")
	c := e.cmd("spec")
	c.Dir = dir
	if r := e.run(c); r.Code != 0 {
		t.Fatalf("%s", r)
	}
	data, err := os.ReadFile(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s specs.Spec
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		t.Fatalf("spec output does not decode strictly into specs.Spec: %v", err)
	}
	// spec refuses to overwrite an existing config.json
	c = e.cmd("spec")
	c.Dir = dir
	if r := e.run(c); r.Code == 0 {
		t.Errorf("spec overwrote an existing config.json")
	}
	// --bundle
	dir2 := e.hostDir("spec2")
	e.mustHusk("spec", "--bundle", dir2)
	if _, err := os.Stat(filepath.Join(dir2, "config.json")); err != nil {
		t.Errorf("spec --bundle: %v", err)
	}

	// --rootless: a user namespace mapping the caller, no network namespace, no resources
	dir3 := e.hostDir("spec3")
	e.mustHusk("spec", "--rootless", "--bundle", dir3)
	var rl specs.Spec
	if data, err := os.ReadFile(filepath.Join(dir3, "config.json")); err != nil || json.Unmarshal(data, &rl) != nil || rl.Linux == nil {
		t.Errorf("spec --rootless: %v %s", err, data)
	} else {
		var types []string
		for _, n := range rl.Linux.Namespaces {
			types = append(types, string(n.Type))
		}
		if !slices.Contains(types, "user") || slices.Contains(types, "network") || len(rl.Linux.UIDMappings) != 1 ||
			rl.Linux.UIDMappings[0].HostID != uint32(os.Getuid()) || rl.Linux.UIDMappings[0].ContainerID != 0 || rl.Linux.Resources != nil {
			t.Errorf("spec --rootless: namespaces %q, uidMappings %+v, resources %+v", types, rl.Linux.UIDMappings, rl.Linux.Resources)
		}
	}

	if s.Version == "" || s.Process == nil || s.Root == nil || s.Linux == nil {
		t.Fatalf("spec: incomplete: %s", data)
	}
	p := s.Process
	if !p.Terminal || strings.Join(p.Args, " ") != "sh" || p.Cwd != "/" || p.User.UID != 0 || p.User.GID != 0 || !p.NoNewPrivileges {
		t.Errorf("spec process: %+v", p)
	}
	if !slices.Contains(p.Env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") || !slices.Contains(p.Env, "TERM=xterm") {
		t.Errorf("spec env: %q", p.Env)
	}
	defCaps := []string{"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"}
	if p.Capabilities == nil || !slices.Equal(p.Capabilities.Bounding, defCaps) ||
		!slices.Equal(p.Capabilities.Effective, defCaps) || !slices.Equal(p.Capabilities.Permitted, defCaps) {
		t.Errorf("spec capabilities: %+v", p.Capabilities)
	}
	if len(p.Rlimits) != 1 || p.Rlimits[0].Type != "RLIMIT_NOFILE" || p.Rlimits[0].Soft != 1024 || p.Rlimits[0].Hard != 1024 {
		t.Errorf("spec rlimits: %+v", p.Rlimits)
	}
	if s.Root.Path != "rootfs" || !s.Root.Readonly || s.Hostname == "" {
		t.Errorf("spec root %+v hostname %q", s.Root, s.Hostname)
	}
	var mounts []string
	for _, m := range s.Mounts {
		mounts = append(mounts, m.Destination+":"+m.Type)
	}
	wantMounts := []string{"/proc:proc", "/dev:tmpfs", "/dev/pts:devpts", "/dev/shm:tmpfs", "/dev/mqueue:mqueue", "/sys:sysfs", "/sys/fs/cgroup:cgroup"}
	if !slices.Equal(mounts, wantMounts) {
		t.Errorf("spec mounts %q, want %q", mounts, wantMounts)
	}
	var nss []string
	for _, n := range s.Linux.Namespaces {
		nss = append(nss, string(n.Type))
	}
	wantNs := []string{"pid", "network", "ipc", "uts", "mount"}
	if _, ok := pureV2(); ok {
		wantNs = append(wantNs, "cgroup") // as runc on cgroup v2 hosts
	}
	if !slices.Equal(nss, wantNs) {
		t.Errorf("spec namespaces %q, want %q", nss, wantNs)
	}
	if s.Linux.Resources == nil || len(s.Linux.Resources.Devices) != 1 || s.Linux.Resources.Devices[0].Allow || s.Linux.Resources.Devices[0].Access != "rwm" {
		t.Errorf("spec device rules: %+v", s.Linux.Resources)
	}
	for _, m := range []string{"/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
		"/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"} {
		if !slices.Contains(s.Linux.MaskedPaths, m) {
			t.Errorf("spec maskedPaths lacks %s", m)
		}
	}
	for _, m := range []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"} {
		if !slices.Contains(s.Linux.ReadonlyPaths, m) {
			t.Errorf("spec readonlyPaths lacks %s", m)
		}
	}
	// The same as the reference runc's, apart from version-dependent fields.
	if runc, err := exec.LookPath("runc"); err == nil && isHusk {
		rdir := e.hostDir("runc-spec")
		cmd := exec.Command(runc, "spec")
		cmd.Dir = rdir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("runc spec: %v %s", err, out)
		}
		rdata, _ := os.ReadFile(filepath.Join(rdir, "config.json"))
		var rs specs.Spec
		json.Unmarshal(rdata, &rs)
		norm := func(s specs.Spec) string {
			s.Version, s.Hostname = "", ""
			s.Process.Capabilities.Ambient, s.Process.Capabilities.Inheritable = nil, nil
			s.Linux.MaskedPaths, s.Linux.ReadonlyPaths = nil, nil
			b, _ := json.MarshalIndent(s, "", " ")
			return string(b)
		}
		if a, b := norm(s), norm(rs); a != b {
			t.Errorf("spec differs from runc spec:\n%s\nrunc:\n%s", a, b)
		}
	}
}

// -h/--help in urfave/cli's layout; unknown commands fail.
func TestHelpAndUnknownCommand(t *testing.T) {
	e := newEnv(t)
	// runc prints its app name ("runc"), whatever the binary is called
	name := strings.Fields(e.mustHusk("--version").Stdout)[0]
	lines := strings.Split(e.mustHusk("--help").Stdout, "\n")
	if len(lines) < 2 || lines[0] != "NAME:" || !strings.HasPrefix(strings.TrimSpace(lines[1]), name+" - ") {
		t.Errorf("--help: first lines %q", lines[:min(3, len(lines))])
	}
	for _, cmd := range []string{"create", "start", "run", "exec", "kill", "delete", "state", "list", "spec", "features"} {
		out := e.mustHusk(cmd, "--help").Stdout
		if l := strings.Split(out, "\n"); len(l) < 2 || !strings.HasPrefix(strings.TrimSpace(l[1]), name+" "+cmd) {
			t.Errorf("%s --help: %q", cmd, out[:min(100, len(out))])
		}
	}
	if r := e.husk("no-such-command"); r.Code == 0 {
		t.Errorf("an unknown command succeeded: %s", r)
	}
}
