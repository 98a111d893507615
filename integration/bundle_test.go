package integration

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Bundles: the runtime's own `spec` output, changed by the test in Go.

// bundle is an OCI bundle under the env's dir.
type bundle struct {
	Dir    string
	Rootfs string // host path of the rootfs in use
	Spec   *specs.Spec
}

// baseSpec is the runtime's default spec with what every test wants: no
// terminal, the shared rootfs, the marker in the environment.
func (e *env) baseSpec() *specs.Spec {
	var s specs.Spec
	if err := json.Unmarshal(defaultSpec, &s); err != nil {
		e.t.Fatal(err)
	}
	s.Process.Terminal = false
	s.Process.Args = []string{"true"}
	s.Process.Env = append(s.Process.Env, e.marker)
	s.Root.Path = sharedRootfs
	return &s
}

// bundle writes a bundle whose config.json is the runtime's `spec` output
// changed by the given functions. The shared rootfs is used read-only; it is
// copied into the bundle when the spec would make the runtime or the
// container write into it (see needsPrivateRootfs).
func (e *env) bundle(mut ...func(*specs.Spec)) *bundle {
	e.t.Helper()
	return e.bundleOpt(false, mut...)
}

// bundleRW is bundle with a private copy of the rootfs that the test may
// change before starting (b.Rootfs).
func (e *env) bundleRW(mut ...func(*specs.Spec)) *bundle {
	e.t.Helper()
	return e.bundleOpt(true, mut...)
}

func (e *env) bundleOpt(private bool, mut ...func(*specs.Spec)) *bundle {
	e.t.Helper()
	s := e.baseSpec()
	for _, f := range mut {
		f(s)
	}
	e.nBundles++
	b := &bundle{Dir: filepath.Join(e.dir, fmt.Sprintf("bundle%d", e.nBundles)), Spec: s, Rootfs: sharedRootfs}
	if err := os.Mkdir(b.Dir, 0o755); err != nil {
		e.t.Fatal(err)
	}
	if s.Root != nil && s.Root.Path == sharedRootfs && (private || needsPrivateRootfs(s)) {
		b.Rootfs = filepath.Join(b.Dir, "rootfs")
		if out, err := exec.Command("cp", "-a", sharedRootfs, b.Rootfs).CombinedOutput(); err != nil {
			e.t.Fatalf("copying rootfs: %v: %s", err, out)
		}
		s.Root.Path = "rootfs"
	}
	b.write(e.t)
	return b
}

// write (re)writes config.json from b.Spec.
func (b *bundle) write(t *testing.T) {
	t.Helper()
	data, err := json.MarshalIndent(b.Spec, "", "\t")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(b.Dir, "config.json"), data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// needsPrivateRootfs: a writable root, a cwd or a mount destination missing
// from the shared rootfs (the runtime creates it) all write into the rootfs.
func needsPrivateRootfs(s *specs.Spec) bool {
	if s.Root == nil || !s.Root.Readonly {
		return true
	}
	exists := func(p string) bool {
		_, err := os.Lstat(filepath.Join(sharedRootfs, p))
		return err == nil
	}
	var covered []string // destinations of earlier mounts: paths below them are not in the rootfs
	under := func(p string) bool {
		for _, c := range covered {
			if c == "/" || p == c || strings.HasPrefix(p, strings.TrimSuffix(c, "/")+"/") {
				return true
			}
		}
		return false
	}
	for _, m := range s.Mounts {
		d := filepath.Clean(m.Destination)
		if !under(d) && !exists(d) {
			return true
		}
		covered = append(covered, d)
	}
	if s.Process != nil && s.Process.Cwd != "" && !under(s.Process.Cwd) && !exists(s.Process.Cwd) {
		return true
	}
	return false
}

// sh sets process.args to `sh -c script`.
func sh(script string) func(*specs.Spec) {
	return func(s *specs.Spec) { s.Process.Args = []string{"sh", "-c", script} }
}

// args sets process.args.
func args(a ...string) func(*specs.Spec) {
	return func(s *specs.Spec) { s.Process.Args = a }
}

// withoutNamespace removes a namespace type from linux.namespaces.
func withoutNamespace(typ specs.LinuxNamespaceType) func(*specs.Spec) {
	return func(s *specs.Spec) {
		var ns []specs.LinuxNamespace
		for _, n := range s.Linux.Namespaces {
			if n.Type != typ {
				ns = append(ns, n)
			}
		}
		s.Linux.Namespaces = ns
	}
}

// withNamespace adds (or replaces) a namespace entry.
func withNamespace(typ specs.LinuxNamespaceType, path string) func(*specs.Spec) {
	return func(s *specs.Spec) {
		withoutNamespace(typ)(s)
		s.Linux.Namespaces = append(s.Linux.Namespaces, specs.LinuxNamespace{Type: typ, Path: path})
	}
}

// withBind bind-mounts a host directory at dest (read-write).
func withBind(src, dest string, opts ...string) func(*specs.Spec) {
	return func(s *specs.Spec) {
		if len(opts) == 0 {
			opts = []string{"bind"}
		}
		s.Mounts = append(s.Mounts, specs.Mount{Destination: dest, Type: "bind", Source: src, Options: opts})
	}
}
