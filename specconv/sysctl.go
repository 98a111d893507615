package specconv

import (
	"os"
	"sort"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/configs"
)

// ipcSysctls are the kernel.* sysctls namespaced by the IPC namespace
// (fs.mqueue.* too).
var ipcSysctls = [...]string{
	"kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
	"kernel.shm_rmid_forced", "kernel.shmall", "kernel.shmmax", "kernel.shmmni",
}

// normalizeSysctl returns the dotted form of a sysctl name (sysctl.d(5)):
// a name whose first separator is '/' uses '/' between components, so
// '.' and '/' are swapped ("net/ipv4/conf/eth0.100/rp_filter" is
// "net.ipv4.conf.eth0/100.rp_filter"). In the dotted form a '/' stands for
// a '.' inside a component.
func normalizeSysctl(k string) string {
	i := strings.IndexAny(k, "./")
	if i < 0 || k[i] == '.' {
		return k
	}
	return swapDotSlash(k)
}

func swapDotSlash(k string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '.':
			return '/'
		case '/':
			return '.'
		}
		return r
	}, k)
}

// configSysctlKey is the key stored in the config, in one of the two forms
// the init's writer understands: as given when it is all dots
// ("kernel.shmmax": dots become slashes) or slash-separated
// ("net/ipv4/conf/eth0.100/rp_filter": used as the path); the mixed
// sysctl.d form ("net.ipv4.conf.eth0/100.rp_filter") becomes the
// slash-separated one.
func configSysctlKey(given, dotted string) string {
	if given == dotted && strings.IndexByte(given, '/') >= 0 {
		return swapDotSlash(given)
	}
	return given
}

// convertSysctl copies linux.sysctl (see configSysctlKey for the keys) and
// applies runc's rules: only namespaced sysctls, each with its namespace.
func convertSysctl(l *specs.Linux, c *configs.Config) error {
	if len(l.Sysctl) == 0 {
		return nil
	}
	keys := make([]string, 0, len(l.Sysctl))
	for k := range l.Sysctl {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	c.Sysctl = make(map[string]string, len(keys))
	from := make(map[string]string, len(keys))
	hostNet := -1 // unknown
	for _, k := range keys {
		f := key("linux.sysctl", k)
		v := l.Sysctl[k]
		if err := noNUL(f, k+v); err != nil {
			return err
		}
		s := normalizeSysctl(k)
		for _, comp := range strings.Split(s, ".") {
			// In the dotted form "/" is "." and "//" is "..".
			if comp == "" || comp == "/" || comp == "//" {
				return fieldErr(f, "malformed sysctl name")
			}
		}
		if prev, dup := from[s]; dup {
			return fieldErr(f, "same sysctl as %s", key("linux.sysctl", prev))
		}
		from[s] = k
		if err := sysctlAllowed(f, s, l, c, &hostNet); err != nil {
			return err
		}
		c.Sysctl[configSysctlKey(k, s)] = v
	}
	return nil
}

func sysctlAllowed(f, s string, l *specs.Linux, c *configs.Config, hostNet *int) error {
	isIPC := strings.HasPrefix(s, "fs.mqueue.")
	for _, k := range ipcSysctls {
		isIPC = isIPC || s == k
	}
	switch {
	case isIPC:
		if !c.HasNamespace(configs.NEWIPC) {
			return fieldErr(f, "requires an ipc namespace in linux.namespaces")
		}
		return nil
	case strings.HasPrefix(s, "net."):
		if *hostNet < 0 {
			*hostNet = 0
			if !c.HasNamespace(configs.NEWNET) {
				*hostNet = 1
			} else if p := c.NamespacePath(configs.NEWNET); p != "" {
				same, err := sameFile(p, "/proc/self/ns/net")
				if err != nil {
					return wrapErr(idx("linux.namespaces", nsIndex(l, configs.NEWNET))+".path", err)
				}
				if same {
					*hostNet = 1
				}
			}
		}
		if *hostNet == 1 {
			return fieldErr(f, "not allowed in the host's network namespace")
		}
		return nil
	case s == "kernel.domainname" && c.HasNamespace(configs.NEWUTS):
		return nil
	case s == "kernel.hostname" && c.HasNamespace(configs.NEWUTS):
		return fieldErr(f, "conflicts with the hostname field")
	case strings.HasPrefix(s, "user."):
		if !c.HasNamespace(configs.NEWUSER) {
			return fieldErr(f, "requires a user namespace in linux.namespaces")
		}
		return nil
	}
	return fieldErr(f, "not in a separate kernel namespace")
}

func sameFile(a, b string) (bool, error) {
	var sa, sb unix.Stat_t
	if err := unix.Stat(a, &sa); err != nil {
		return false, &os.PathError{Op: "stat", Path: a, Err: err}
	}
	if err := unix.Stat(b, &sb); err != nil {
		return false, &os.PathError{Op: "stat", Path: b, Err: err}
	}
	return sa.Dev == sb.Dev && sa.Ino == sb.Ino, nil
}
