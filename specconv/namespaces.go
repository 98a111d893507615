package specconv

import (
	"os"
	"sort"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/husk-runtime/husk/libcontainer/configs"
)

// knownNamespaces lists the namespace types husk implements, in the
// order of `husk features`.
var knownNamespaces = [...]configs.NamespaceType{
	configs.NEWCGROUP, configs.NEWIPC, configs.NEWNS, configs.NEWNET,
	configs.NEWPID, configs.NEWTIME, configs.NEWUSER, configs.NEWUTS,
}

// KnownNamespaces returns the namespace types husk accepts, sorted.
func KnownNamespaces() []string {
	out := make([]string, len(knownNamespaces))
	for i, t := range knownNamespaces {
		out[i] = string(t)
	}
	return out
}

func namespaceType(t specs.LinuxNamespaceType) (configs.NamespaceType, bool) {
	for _, k := range knownNamespaces {
		if string(k) == string(t) {
			return k, true
		}
	}
	return "", false
}

// convertNamespaces fills c.Namespaces from linux.namespaces: types are
// checked, duplicates rejected, and paths to join must exist.
func convertNamespaces(l *specs.Linux, c *configs.Config) error {
	c.Namespaces = make([]configs.Namespace, 0, len(l.Namespaces))
	for i, ns := range l.Namespaces {
		f := at{"linux.namespaces", i}
		t, ok := namespaceType(ns.Type)
		if !ok {
			return fieldErr(f.sub("type"), "unknown namespace type %q", string(ns.Type))
		}
		if c.HasNamespace(t) {
			return fieldErr(f.sub("type"), "duplicate namespace type %q", string(ns.Type))
		}
		n := configs.Namespace{Type: t}
		if ns.Path != "" {
			p, err := absPathAt(f, "path", ns.Path)
			if err != nil {
				return err
			}
			if _, err := os.Stat(p); err != nil {
				return wrapErr(f.sub("path"), err)
			}
			n.Path = p
		}
		c.Namespaces = append(c.Namespaces, n)
	}
	return nil
}

// nsIndex returns the index of namespace t in linux.namespaces (for errors).
func nsIndex(l *specs.Linux, t configs.NamespaceType) int {
	for i, ns := range l.Namespaces {
		if string(ns.Type) == string(t) {
			return i
		}
	}
	return -1
}

// clocks are the clocks a time namespace can offset.
func validClock(name string) bool { return name == "monotonic" || name == "boottime" }

// convertTimeOffsets copies linux.timeOffsets, which need a new time
// namespace (offsets can only be written before the first process enters).
func convertTimeOffsets(l *specs.Linux, c *configs.Config) error {
	if len(l.TimeOffsets) == 0 {
		return nil
	}
	if !c.HasNamespace(configs.NEWTIME) {
		return fieldErr("linux.timeOffsets", "requires a time namespace in linux.namespaces")
	}
	if c.NamespacePath(configs.NEWTIME) != "" {
		return fieldErr("linux.timeOffsets", "cannot be applied to a joined time namespace (%s.path)",
			idx("linux.namespaces", nsIndex(l, configs.NEWTIME)))
	}
	keys := make([]string, 0, len(l.TimeOffsets))
	for k := range l.TimeOffsets {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	c.TimeOffsets = make(map[string]specs.LinuxTimeOffset, len(keys))
	for _, k := range keys {
		o := l.TimeOffsets[k]
		if !validClock(k) {
			return fieldErr(key("linux.timeOffsets", k), "unknown clock (want \"monotonic\" or \"boottime\")")
		}
		if o.Nanosecs >= 1e9 {
			return fieldErr(key("linux.timeOffsets", k)+".nanosecs", "%d is not less than 1000000000", o.Nanosecs)
		}
		c.TimeOffsets[k] = o
	}
	return nil
}
