package specconv

import (
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/husk-runtime/husk/libcontainer/configs"
)

// convertNetDevices checks linux.netDevices: the container needs a network
// namespace of its own to receive them (new or joined by path), husk needs
// the host's privileges to move them, and every name must be one the
// kernel accepts (a "%d" template in the container's name lets the kernel
// pick a free one).
func convertNetDevices(l *specs.Linux, c *configs.Config, rootless bool) error {
	if len(l.NetDevices) == 0 {
		return nil
	}
	if !c.HasNamespace(configs.NEWNET) {
		return fieldErr("linux.netDevices", "needs a network namespace (linux.namespaces has no network entry)")
	}
	if rootless {
		return fieldErr("linux.netDevices", "not supported for rootless containers (moving a device needs CAP_NET_ADMIN on the host)")
	}
	hosts := make([]string, 0, len(l.NetDevices))
	for h := range l.NetDevices {
		hosts = append(hosts, h)
	}
	sort.Strings(hosts)
	seen := map[string]string{}
	out := make(map[string]specs.LinuxNetDevice, len(hosts))
	for _, h := range hosts {
		f := `linux.netDevices["` + h + `"]`
		if why := badIfName(h, false); why != "" {
			return fieldErr(f, "invalid host device name: %s", why)
		}
		d := l.NetDevices[h]
		name := d.Name
		if name == "" {
			name = h
		} else if why := badIfName(name, true); why != "" {
			return fieldErr(f+".name", "invalid device name %q: %s", name, why)
		}
		if other, dup := seen[name]; dup && !strings.Contains(name, "%d") {
			return fieldErr(f+".name", "%q is also the name of %q in the container", name, other)
		}
		seen[name] = h
		out[h] = d
	}
	c.NetDevices = out
	return nil
}

// badIfName says why the kernel would refuse name (dev_valid_name), or "".
func badIfName(name string, template bool) string {
	switch {
	case name == "":
		return "empty"
	case len(name) > 15:
		return "longer than 15 bytes (IFNAMSIZ)"
	case name == "." || name == "..":
		return "not a device name"
	case strings.ContainsAny(name, "/: \t\n\v\f\r"):
		return "contains '/', ':' or white space"
	case strings.Contains(name, "%") && (!template || strings.Count(name, "%") != 1 || !strings.Contains(name, "%d")):
		return "'%' is only allowed as one \"%d\" template"
	}
	return ""
}
