package specconv

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/husk-runtime/husk/libcontainer/configs"
)

// maximalConfig sets every field of configs.Config and of everything it
// holds (the runtime-spec parts from maximalSpec).
func maximalConfig() *configs.Config {
	s := maximalSpec()
	ids := []configs.IDMap{{ContainerID: 1, HostID: 100000, Size: 65536}}
	return &configs.Config{
		Rootfs: "/r", Readonlyfs: true, RootPropagation: 1 << 18, NoPivotRoot: true,
		Hostname: "h", Domainname: "d",
		Namespaces:  []configs.Namespace{{Type: configs.NEWNET, Path: "/proc/1/ns/net"}},
		UIDMappings: ids, GIDMappings: ids, TimeOffsets: s.Linux.TimeOffsets,
		Mounts: []*configs.Mount{{Source: "/s", Destination: "/d", Device: "bind", Flags: 4096, ClearFlags: 2, Data: "x",
			PropagationFlags: []uintptr{1 << 19}, RecAttrSet: 1, RecAttrClr: 2, UIDMappings: ids, GIDMappings: ids,
			IDMapRecursive: true, Extensions: configs.ExtTmpcopyup}},
		Devices:       []*configs.Device{{Path: "/dev/x", Type: 'c', Major: 1, Minor: 3, FileMode: 0o666, UID: 1, GID: 2}},
		MaskPaths:     []string{"/proc/kcore"},
		ReadonlyPaths: []string{"/proc/sys"},
		Sysctl:        map[string]string{"net.ipv4.ip_forward": "1"},
		Personality:   s.Linux.Personality,
		MemoryPolicy:  s.Linux.MemoryPolicy,
		NetDevices:    s.Linux.NetDevices,
		MountLabel:    "l",
		Hooks:         configs.Hooks{configs.Poststop: {{Path: "/bin/true", Args: []string{"true"}, Env: []string{"A=1"}, Timeout: 3}}},
		Process: &configs.Process{
			Args: []string{"sh"}, Env: []string{"PATH=/bin"}, Cwd: "/", UID: 1, GID: 2, AdditionalGids: []uint32{3},
			Umask: ptrTo(uint32(0o22)), Terminal: true, ConsoleHeight: 24, ConsoleWidth: 80,
			Capabilities: &configs.Capabilities{Bounding: 1, Effective: 2, Permitted: 3, Inheritable: 4, Ambient: 5},
			Rlimits:      []configs.Rlimit{{Type: 7, Soft: 1024, Hard: 4096}}, NoNewPrivileges: true,
			OOMScoreAdj: ptrTo(-500), ApparmorProfile: "a", SelinuxLabel: "s",
			Scheduler: s.Process.Scheduler, IOPriority: s.Process.IOPriority, ExecCPUAffinity: s.Process.ExecCPUAffinity,
		},
		Cgroups:      &configs.Cgroup{Path: "/c", Name: "n", Systemd: true, Resources: s.Linux.Resources},
		Seccomp:      s.Linux.Seccomp,
		NoNewKeyring: true, Labels: []string{"bundle=/b"}, Annotations: map[string]string{"a": "b"}, OCIVersion: "1.3.0",
	}
}

func TestMaximalConfigIsComplete(t *testing.T) {
	var zero []string
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.Pointer:
			if v.IsNil() {
				zero = append(zero, path)
				return
			}
			walk(v.Elem(), path)
		case reflect.Struct:
			for i := range v.NumField() {
				walk(v.Field(i), path+"."+v.Type().Field(i).Name)
			}
		case reflect.Slice, reflect.Map:
			if v.Len() == 0 {
				zero = append(zero, path)
			}
			if v.Kind() == reflect.Slice {
				for i := range v.Len() {
					walk(v.Index(i), fmt.Sprintf("%s[%d]", path, i))
				}
			} else {
				for it := v.MapRange(); it.Next(); {
					walk(it.Value(), fmt.Sprintf("%s[%v]", path, it.Key()))
				}
			}
		default:
			if v.IsZero() {
				zero = append(zero, path)
			}
		}
	}
	walk(reflect.ValueOf(maximalConfig()), "Config")
	if len(zero) > 0 {
		t.Errorf("zero in maximalConfig:\n%s", strings.Join(zero, "\n"))
	}
}

// DecodeConfig decodes what json.Unmarshal decodes, and the same, for the
// maximal config, the empty one and every mutation of the maximal one.
func TestDecodeConfigEquivalent(t *testing.T) {
	check := func(data []byte) {
		t.Helper()
		var want *configs.Config
		werr := json.Unmarshal(data, &want)
		got, gerr := DecodeConfig(data)
		if (werr == nil) != (gerr == nil) || (werr == nil && !reflect.DeepEqual(got, want)) {
			t.Errorf("DecodeConfig(%s): %v %+v\njson.Unmarshal: %v %+v", data, gerr, got, werr, want)
		}
	}
	base := mustMarshal(t, maximalConfig())
	check(base)
	check([]byte(`{}`))
	check([]byte(`null`))
	d, ok := scanJSON(base)
	if !ok {
		t.Fatal("scan")
	}
	if c, _ := DecodeConfig(base); c == nil {
		t.Fatal("nil")
	} else if fc := new(configs.Config); func() bool { fd := &fastDec{}; fastConfig(fd, d, fc); return fd.bad }() {
		t.Fatal("the maximal config is not decoded by the fast path")
	}
	// Mutations: every value replaced by values of other types.
	eachMutation(t, base, []any{nil, map[string]any{}, []any{}, "1", true, json.Number("-1"), json.Number("1.5"),
		json.Number("4294967296")}, check)
}
