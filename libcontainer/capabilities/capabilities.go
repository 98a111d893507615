// Package capabilities maps Linux capability names (as written in the OCI
// runtime spec, "CAP_CHOWN") to bit numbers and back.
//
// The table is a static array: the package has no init work, so it costs
// nothing to the many short-lived husk invocations that never touch it.
package capabilities

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
)

// names holds the capability names indexed by their number (linux/capability.h).
var names = [...]string{
	"CAP_CHOWN",              // 0
	"CAP_DAC_OVERRIDE",       // 1
	"CAP_DAC_READ_SEARCH",    // 2
	"CAP_FOWNER",             // 3
	"CAP_FSETID",             // 4
	"CAP_KILL",               // 5
	"CAP_SETGID",             // 6
	"CAP_SETUID",             // 7
	"CAP_SETPCAP",            // 8
	"CAP_LINUX_IMMUTABLE",    // 9
	"CAP_NET_BIND_SERVICE",   // 10
	"CAP_NET_BROADCAST",      // 11
	"CAP_NET_ADMIN",          // 12
	"CAP_NET_RAW",            // 13
	"CAP_IPC_LOCK",           // 14
	"CAP_IPC_OWNER",          // 15
	"CAP_SYS_MODULE",         // 16
	"CAP_SYS_RAWIO",          // 17
	"CAP_SYS_CHROOT",         // 18
	"CAP_SYS_PTRACE",         // 19
	"CAP_SYS_PACCT",          // 20
	"CAP_SYS_ADMIN",          // 21
	"CAP_SYS_BOOT",           // 22
	"CAP_SYS_NICE",           // 23
	"CAP_SYS_RESOURCE",       // 24
	"CAP_SYS_TIME",           // 25
	"CAP_SYS_TTY_CONFIG",     // 26
	"CAP_MKNOD",              // 27
	"CAP_LEASE",              // 28
	"CAP_AUDIT_WRITE",        // 29
	"CAP_AUDIT_CONTROL",      // 30
	"CAP_SETFCAP",            // 31
	"CAP_MAC_OVERRIDE",       // 32
	"CAP_MAC_ADMIN",          // 33
	"CAP_SYSLOG",             // 34
	"CAP_WAKE_ALARM",         // 35
	"CAP_BLOCK_SUSPEND",      // 36
	"CAP_AUDIT_READ",         // 37
	"CAP_PERFMON",            // 38
	"CAP_BPF",                // 39
	"CAP_CHECKPOINT_RESTORE", // 40
}

// MaxKnown is the highest capability number husk knows by name.
const MaxKnown = len(names) - 1

// UnknownError is returned by Parse for a name that is not in the table.
type UnknownError struct{ Name string }

func (e *UnknownError) Error() string { return fmt.Sprintf("unknown capability %q", e.Name) }

// Lookup returns the number of the capability called name ("CAP_SYS_ADMIN").
// Names are case-sensitive, as in the OCI spec.
func Lookup(name string) (int, bool) {
	if len(name) < 6 || name[:4] != "CAP_" {
		return 0, false
	}
	for i, n := range names {
		if n == name {
			return i, true
		}
	}
	return 0, false
}

// Name returns the name of capability c, or "" if c is not known.
func Name(c int) string {
	if c < 0 || c > MaxKnown {
		return ""
	}
	return names[c]
}

// Parse turns a list of capability names into a bitmask (bit N = capability
// N). Duplicates are allowed. The first unknown name is reported as an
// *UnknownError: `unknown capability "CAP_FOO"`.
func Parse(list []string) (uint64, error) {
	var mask uint64
	for _, s := range list {
		c, ok := Lookup(s)
		if !ok {
			return 0, &UnknownError{Name: s}
		}
		mask |= 1 << uint(c)
	}
	return mask, nil
}

// Names returns the names of the capabilities set in mask, in numeric
// order. Bits above MaxKnown have no name and are rendered as "CAP_<n>"
// (they can only come from a kernel newer than this table).
func Names(mask uint64) []string {
	var out []string
	for c := 0; c < 64; c++ {
		if mask&(1<<uint(c)) == 0 {
			continue
		}
		if c <= MaxKnown {
			out = append(out, names[c])
		} else {
			out = append(out, "CAP_"+strconv.Itoa(c))
		}
	}
	return out
}

// Known returns all capability names husk knows, in numeric order.
func Known() []string {
	out := make([]string, len(names))
	copy(out, names[:])
	return out
}

var (
	lastOnce sync.Once
	last     int
)

// Last returns the highest capability supported by the running kernel, read
// once from /proc/sys/kernel/cap_last_cap. When that file cannot be read,
// MaxKnown is returned.
func Last() int {
	lastOnce.Do(func() { last = readLast("/proc/sys/kernel/cap_last_cap") })
	return last
}

func readLast(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return MaxKnown
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || n < 0 || n > 63 {
		return MaxKnown
	}
	return n
}

// Mask returns the bitmask of all capabilities up to and including last.
func Mask(last int) uint64 {
	if last >= 63 {
		return ^uint64(0)
	}
	if last < 0 {
		return 0
	}
	return 1<<uint(last+1) - 1
}
