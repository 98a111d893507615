package specconv

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// unsupported rejects the fields husk understands but does not implement
// yet, and the configurations it refuses by design. It is the one list to
// shrink as features land: delete the entry together with the code that
// implements the field.
func unsupported(s *specs.Spec) error {
	// Other platforms' sections make no sense on Linux.
	switch {
	case s.Solaris != nil:
		return notSupported("solaris")
	case s.Windows != nil:
		return notSupported("windows")
	case s.VM != nil:
		return notSupported("vm")
	case s.ZOS != nil:
		return notSupported("zos")
	case s.FreeBSD != nil:
		return notSupported("freebsd")
	}
	if s.Process != nil {
		if err := unsupportedProcess(s.Process, "process"); err != nil {
			return err
		}
	}
	l := s.Linux
	if l == nil {
		return fieldErr("linux", "must be set (runc requires it too)")
	}
	switch {
	case l.IntelRdt != nil:
		return notSupported("linux.intelRdt")
	case l.Personality != nil && len(l.Personality.Flags) > 0:
		// runc ignores them with a warning; no flag is defined by the spec.
		return notSupported("linux.personality.flags")
	}
	// linux.resources.memory.kernel and kernelTCP are ignored with runc's
	// warning by the cgroup managers (Set): kernels >= 5.4 deprecate them,
	// cgroup v2 has no such limits.
	return needsMountNamespace(s)
}

// needsMountNamespace refuses what cannot be done in the runtime's mount
// namespace. Without a mount namespace of its own the container is set up
// as runc does it: its mounts are made under the rootfs in the runtime's
// namespace (and removed on delete) and it is chroot'ed, not pivoted.
// runc refuses masked and read-only paths there; it silently skips the
// read-only root and the root propagation, which husk refuses instead.
func needsMountNamespace(s *specs.Spec) error {
	l := s.Linux
	for _, ns := range l.Namespaces {
		if ns.Type == specs.MountNamespace {
			return nil
		}
	}
	const why = "needs a mount namespace of its own (linux.namespaces has no \"mount\")"
	switch {
	case len(l.MaskedPaths) > 0:
		return fieldErr("linux.maskedPaths", why)
	case len(l.ReadonlyPaths) > 0:
		return fieldErr("linux.readonlyPaths", why)
	case l.RootfsPropagation != "":
		return fieldErr("linux.rootfsPropagation", why)
	case s.Root != nil && s.Root.Readonly:
		return fieldErr("root.readonly", why)
	}
	return nil
}

// unsupportedProcess is the part of the list that applies to a process,
// checked both for config.json and for husk exec --process.
func unsupportedProcess(p *specs.Process, field string) error {
	switch {
	case p.CommandLine != "":
		return notSupported(sub(field, "commandLine")) // Windows only
	case p.User.Username != "":
		return notSupported(sub(field, "user.username")) // Windows only
	}
	return nil
}
