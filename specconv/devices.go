package specconv

import (
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/configs"
)

// Kernel dev_t limits (MINORBITS = 20, 12 bits of major).
const (
	maxMajor = 1<<12 - 1
	maxMinor = 1<<20 - 1
)

// convertDevices resolves linux.devices: nodes under /dev, types c, u
// (stored as 'c'), b and p, kernel-sized numbers, permission bits only.
// The default devices (/dev/null, ...) are added by the planner, not here.
func convertDevices(l *specs.Linux, c *configs.Config) error {
	if len(l.Devices) == 0 {
		return nil
	}
	c.Devices = make([]*configs.Device, 0, len(l.Devices))
	for i, d := range l.Devices {
		f := at{"linux.devices", i}
		p, err := absPathAt(f, "path", d.Path)
		if err != nil {
			return err
		}
		if !strings.HasPrefix(p, "/dev/") {
			return fieldErr(f.sub("path"), "%q is not under /dev", d.Path)
		}
		for j, prev := range c.Devices {
			if prev.Path == p {
				return fieldErr(f.sub("path"), "duplicate of %s.path", idx("linux.devices", j))
			}
		}
		dev := &configs.Device{Path: p, Major: d.Major, Minor: d.Minor, FileMode: 0o666}
		switch d.Type {
		case "c", "u":
			dev.Type = 'c'
		case "b":
			dev.Type = 'b'
		case "p":
			dev.Type = 'p'
		default:
			return fieldErr(f.sub("type"), "unknown device type %q (want c, u, b or p)", d.Type)
		}
		if d.Major < 0 || d.Major > maxMajor {
			return fieldErr(f.sub("major"), "%d is out of range [0, %d]", d.Major, maxMajor)
		}
		if d.Minor < 0 || d.Minor > maxMinor {
			return fieldErr(f.sub("minor"), "%d is out of range [0, %d]", d.Minor, maxMinor)
		}
		if d.FileMode != nil {
			// The file type bits may be given (runc strips them).
			mode := uint32(*d.FileMode) &^ unix.S_IFMT
			if mode&^0o7777 != 0 {
				return fieldErr(f.sub("fileMode"), "%#o has bits other than the permission bits", uint32(*d.FileMode))
			}
			dev.FileMode = mode
		}
		if d.UID != nil {
			dev.UID = *d.UID
		}
		if d.GID != nil {
			dev.GID = *d.GID
		}
		c.Devices = append(c.Devices, dev)
	}
	return nil
}

// defaultDeviceRule is a cgroup device rule runc always appends, with the
// device path it stands for ("" for rules not tied to a node).
type defaultDeviceRule struct {
	path         string
	typ          string
	major, minor int64 // -1 = any
	access       string
}

// defaultDeviceRules are runc's AllowedDevices, appended to the
// container's cgroup device rules (after the spec's own rules). A rule tied
// to a node is dropped when linux.devices defines that path: the spec's
// device takes priority and must be allowed explicitly.
var defaultDeviceRules = [...]defaultDeviceRule{
	{"", "c", -1, -1, "m"},
	{"", "b", -1, -1, "m"},
	{"/dev/null", "c", 1, 3, "rwm"},
	{"/dev/random", "c", 1, 8, "rwm"},
	{"/dev/full", "c", 1, 7, "rwm"},
	{"/dev/tty", "c", 5, 0, "rwm"},
	{"/dev/zero", "c", 1, 5, "rwm"},
	{"/dev/urandom", "c", 1, 9, "rwm"},
	{"", "c", 136, -1, "rwm"}, // /dev/pts/*
	{"", "c", 5, 2, "rwm"},    // /dev/ptmx
	{"", "c", 10, 200, "rwm"}, // /dev/net/tun, kept by runc for compatibility
}

// convertCgroup builds c.Cgroups: placement from linux.cgroupsPath (or the
// container id), and a copy of linux.resources whose device rules are
// checked and followed by the default rules.
func convertCgroup(l *specs.Linux, opts *Options, c *configs.Config) error {
	cg := &configs.Cgroup{Name: opts.ID, Systemd: opts.SystemdCgroup}
	if l.CgroupsPath != "" {
		if err := noNUL("linux.cgroupsPath", l.CgroupsPath); err != nil {
			return err
		}
		if opts.SystemdCgroup {
			if parts := strings.Split(l.CgroupsPath, ":"); len(parts) != 3 {
				return fieldErr("linux.cgroupsPath", "%q is not of the form \"slice:prefix:name\" required by the systemd cgroup driver", l.CgroupsPath)
			}
			cg.Path = l.CgroupsPath
		} else {
			cg.Path = cleanCgroupPath(l.CgroupsPath)
		}
	}
	res := &specs.LinuxResources{}
	if l.Resources != nil {
		*res = *l.Resources
	}
	rules := make([]specs.LinuxDeviceCgroup, 0, len(res.Devices)+len(defaultDeviceRules))
	for i, d := range res.Devices {
		f := at{"linux.resources.devices", i}
		switch d.Type {
		case "", "a", "b", "c":
		default:
			return fieldErr(f.sub("type"), "unknown device type %q (want a, b or c)", d.Type)
		}
		if d.Access == "" {
			return fieldErr(f.sub("access"), "must not be empty")
		}
		if strings.Trim(d.Access, "rwm") != "" {
			return fieldErr(f.sub("access"), "%q has letters other than r, w and m", d.Access)
		}
		if d.Major != nil && *d.Major < -1 {
			return fieldErr(f.sub("major"), "%d is negative", *d.Major)
		}
		if d.Minor != nil && *d.Minor < -1 {
			return fieldErr(f.sub("minor"), "%d is negative", *d.Minor)
		}
		rules = append(rules, d)
	}
next:
	for i := range defaultDeviceRules {
		r := &defaultDeviceRules[i]
		if r.path != "" {
			for _, d := range c.Devices {
				if d.Path == r.path {
					continue next
				}
			}
		}
		major, minor := r.major, r.minor
		rules = append(rules, specs.LinuxDeviceCgroup{Allow: true, Type: r.typ, Major: &major, Minor: &minor, Access: r.access})
	}
	res.Devices = rules
	cg.Resources = res
	c.Cgroups = cg
	return nil
}

// cleanCgroupPath cleans a cgroupfs path lexically without letting ".."
// climb above its start, keeping it relative when it was (runc's
// LexicallyCleanPath).
func cleanCgroupPath(p string) string {
	if p == "" {
		return ""
	}
	if p[0] == '/' {
		return cleanSlash(p)
	}
	return cleanSlash("/" + p)[1:]
}

func cleanSlash(p string) string {
	var out []string
	for _, s := range strings.Split(p, "/") {
		switch s {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, s)
		}
	}
	return "/" + strings.Join(out, "/")
}
