package fs

import (
	"errors"
	"fmt"
	"maps"
	"sort"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
)

var devicesController = controller{
	name:  "devices",
	field: common.DevicesField,
	set:   setDevices,
}

// The v1 devices controller is driven through an emulation of its state,
// like runc's: the current state is read from devices.list, the target is
// built from the rules (starting from "deny everything"), and only the
// difference is written. Updating a running container therefore never
// briefly denies a device it keeps access to.

// devPerm is a set of access bits.
type devPerm uint8

const (
	permR devPerm = 1 << iota
	permW
	permM
)

func parsePerm(s string) (devPerm, error) {
	var p devPerm
	for _, c := range s {
		switch c {
		case 'r':
			p |= permR
		case 'w':
			p |= permW
		case 'm':
			p |= permM
		default:
			return 0, fmt.Errorf("invalid device access %q", s)
		}
	}
	if p == 0 {
		return 0, fmt.Errorf("empty device access %q", s)
	}
	return p, nil
}

func (p devPerm) String() string {
	var b strings.Builder
	if p&permR != 0 {
		b.WriteByte('r')
	}
	if p&permW != 0 {
		b.WriteByte('w')
	}
	if p&permM != 0 {
		b.WriteByte('m')
	}
	return b.String()
}

// devKey identifies device nodes; -1 is the "*" wildcard.
type devKey struct {
	typ          byte // 'b' or 'c'
	major, minor int64
}

func (k devKey) String() string {
	num := func(n int64) string {
		if n < 0 {
			return "*"
		}
		return strconv.FormatInt(n, 10)
	}
	return string(k.typ) + " " + num(k.major) + ":" + num(k.minor)
}

// devState is a devices cgroup: default policy plus exceptions.
type devState struct {
	allowAll bool // default allow (exceptions deny) vs default deny
	rules    map[devKey]devPerm
}

// devRule is one line to write to devices.allow or devices.deny.
type devRule struct {
	allow bool
	all   bool // "a" (every device, every access)
	key   devKey
	perm  devPerm
}

func (r devRule) String() string {
	if r.all {
		return "a"
	}
	return r.key.String() + " " + r.perm.String()
}

func (s *devState) add(k devKey, p devPerm) {
	if s.rules == nil {
		s.rules = map[devKey]devPerm{}
	}
	s.rules[k] |= p
}

// remove drops p from the exception k. As runc, removing access that a
// broader wildcard exception grants is an error: v1 silently ignores such
// a request, which would leave the access in place.
func (s *devState) remove(k devKey, p devPerm) error {
	for _, w := range []devKey{{k.typ, -1, k.minor}, {k.typ, k.major, -1}, {k.typ, -1, -1}} {
		if w != k && s.rules[w]&p != 0 {
			return fmt.Errorf("rule %q cannot be applied by the v1 devices controller: it would punch a hole into the wildcard rule %q", k.String()+" "+p.String(), w.String()+" "+s.rules[w].String())
		}
	}
	if left := s.rules[k] &^ p; left != 0 {
		s.rules[k] = left
	} else {
		delete(s.rules, k)
	}
	return nil
}

func (s *devState) apply(allow, all bool, k devKey, p devPerm) error {
	if all {
		*s = devState{allowAll: allow}
		return nil
	}
	if allow == s.allowAll {
		// An allow in an allow-all cgroup removes a deny exception, a deny
		// in a deny-all one removes an allow exception.
		return s.remove(k, p)
	}
	s.add(k, p)
	return nil
}

// targetState builds the state the rules ask for, starting from deny-all.
func targetState(rules []specs.LinuxDeviceCgroup) (*devState, error) {
	s := &devState{}
	for i, r := range rules {
		f := "devices[" + strconv.Itoa(i) + "]"
		if r.Access == "" {
			return nil, common.Fieldf(f, "access must not be empty")
		}
		p, err := parsePerm(r.Access)
		if err != nil {
			return nil, common.Field(f, err)
		}
		k := devKey{major: -1, minor: -1}
		if r.Major != nil {
			k.major = *r.Major
		}
		if r.Minor != nil {
			k.minor = *r.Minor
		}
		all := false
		switch r.Type {
		case "", "a":
			all = true
		case "b", "c":
			k.typ = r.Type[0]
		default:
			return nil, common.Fieldf(f, "invalid device type %q for the devices cgroup (a, b or c)", r.Type)
		}
		// A rule for all devices resets the policy whatever its access
		// (the kernel and runc treat it so).
		if err := s.apply(r.Allow, all, k, p); err != nil {
			return nil, common.Field(f, err)
		}
	}
	return s, nil
}

// stateFromList parses devices.list: "a *:* rwm" means allow-all (whose
// deny exceptions the file cannot show), anything else allow exceptions of
// a deny-all cgroup.
func stateFromList(list string) (*devState, error) {
	s := &devState{}
	err := common.ForEachLine(list, func(line string) error {
		f := strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == ':' })
		if len(f) != 4 {
			return fmt.Errorf("malformed devices.list line %q", line)
		}
		p, err := parsePerm(f[3])
		if err != nil {
			return err
		}
		if f[0] == "a" {
			*s = devState{allowAll: true}
			return nil
		}
		if f[0] != "b" && f[0] != "c" {
			return fmt.Errorf("unknown device type in devices.list line %q", line)
		}
		k := devKey{typ: f[0][0]}
		for i, v := range []*int64{&k.major, &k.minor} {
			if f[1+i] == "*" {
				*v = -1
				continue
			}
			n, err := strconv.ParseUint(f[1+i], 10, 32)
			if err != nil {
				return fmt.Errorf("bad device number in devices.list line %q", line)
			}
			*v = int64(n)
		}
		s.add(k, p)
		return nil
	})
	return s, err
}

func sortedKeys(m map[devKey]devPerm) []devKey {
	keys := make([]devKey, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if a.major != b.major {
			return a.major < b.major
		}
		if a.minor != b.minor {
			return a.minor < b.minor
		}
		return a.typ < b.typ
	})
	return keys
}

// transition returns the fewest rules that turn cur into target. A change
// of default policy — or an allow-all source, whose deny exceptions are
// unknown — needs the disruptive "a" rule first.
func transition(cur, target *devState) []devRule {
	var out []devRule
	old := cur.rules
	if cur.allowAll || cur.allowAll != target.allowAll {
		out = append(out, devRule{allow: target.allowAll, all: true})
		old = nil
	}
	// Exceptions to drop (partly or wholly) ...
	for _, k := range sortedKeys(old) {
		if drop := old[k] &^ target.rules[k]; drop != 0 {
			out = append(out, devRule{allow: target.allowAll, key: k, perm: drop})
		}
	}
	// ... and to add.
	for _, k := range sortedKeys(target.rules) {
		if gain := target.rules[k] &^ old[k]; gain != 0 {
			out = append(out, devRule{allow: !target.allowAll, key: k, perm: gain})
		}
	}
	return out
}

// setDevices applies linux.resources.devices; an empty list leaves the
// cgroup alone (the caller adds runc's default rules to the config).
func setDevices(dir string, r *specs.LinuxResources) error {
	if len(r.Devices) == 0 {
		return nil
	}
	target, err := targetState(r.Devices)
	if err != nil {
		return err
	}
	list, err := common.ReadFile(dir, "devices.list")
	if err != nil {
		return common.Field("devices", err)
	}
	cur, err := stateFromList(list)
	if err != nil {
		return common.Field("devices", err)
	}
	for _, rule := range transition(cur, target) {
		file := "devices.deny"
		if rule.allow {
			file = "devices.allow"
		}
		if err := common.WriteFile(dir, file, rule.String()); err != nil {
			return common.Field("devices", err)
		}
	}
	if common.TestMode {
		return nil // fake hierarchies have no live devices.list
	}
	// Safety net: what the kernel now lists must be what was asked for
	// (for allow-all targets only the mode can be checked).
	list, err = common.ReadFile(dir, "devices.list")
	if err != nil {
		return common.Field("devices", err)
	}
	after, err := stateFromList(list)
	if err != nil {
		return common.Field("devices", err)
	}
	if after.allowAll != target.allowAll || (!target.allowAll && !maps.Equal(after.rules, target.rules)) {
		return common.Field("devices", errors.New("the devices cgroup does not match the requested rules after applying them"))
	}
	return nil
}

// DeviceAllow is one allowed exception of a deny-all devices cgroup
// (Major, Minor -1: any).
type DeviceAllow struct {
	Type         byte // 'b' or 'c'
	Major, Minor int64
	Access       string
}

// DeviceAllowList evaluates rules as Set does (from deny-all, in order).
// allowAll reports a default-allow result; denies then says whether it has
// deny exceptions (which an allow list cannot express). Otherwise allow is
// the sorted list of allowed exceptions.
func DeviceAllowList(rules []specs.LinuxDeviceCgroup) (allowAll, denies bool, allow []DeviceAllow, err error) {
	s, err := targetState(rules)
	if err != nil {
		return false, false, nil, err
	}
	if s.allowAll {
		for _, p := range s.rules {
			if p != 0 {
				return true, true, nil, nil
			}
		}
		return true, false, nil, nil
	}
	for _, k := range sortedKeys(s.rules) {
		if p := s.rules[k]; p != 0 {
			allow = append(allow, DeviceAllow{Type: k.typ, Major: k.major, Minor: k.minor, Access: p.String()})
		}
	}
	return false, false, allow, nil
}
