package state

import (
	"encoding/json"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/husk-runtime/husk/libcontainer/configs"
)

// The configuration round-trips through state.json, in husk's encoding and
// in plain encoding/json's (state files of earlier versions).
func TestConfigRoundTrip(t *testing.T) {
	limit, pids := int64(64<<20), int64(42)
	cfg := &configs.Config{
		Rootfs: "/r", Hostname: "h", Namespaces: []configs.Namespace{{Type: configs.NEWPID}, {Type: configs.NEWNET, Path: "/proc/1/ns/net"}},
		Mounts:  []*configs.Mount{{Source: "proc", Destination: "/proc", Device: "proc", Flags: 14}},
		Process: &configs.Process{Args: []string{"sh"}, Capabilities: &configs.Capabilities{Bounding: 5}},
		Hooks:   configs.Hooks{configs.Poststart: {{Path: "/bin/true", Args: []string{"true"}}}},
		Cgroups: &configs.Cgroup{Path: "/c", Resources: &specs.LinuxResources{
			Memory: &specs.LinuxMemory{Limit: &limit}, Pids: &specs.LinuxPids{Limit: &pids},
			Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
		}},
		Seccomp: &specs.LinuxSeccomp{DefaultAction: specs.ActErrno, Syscalls: []specs.LinuxSyscall{
			{Names: []string{"mkdir"}, Action: specs.ActAllow, Args: []specs.LinuxSeccompArg{{Index: 1, Value: 2, Op: specs.OpEqualTo}}},
		}},
		Annotations: map[string]string{"a": "b"},
	}
	mine, err := marshalConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"husk": mine, "encoding/json": plain} {
		got, err := unmarshalConfig(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if !reflect.DeepEqual(got, cfg) {
			t.Errorf("%s: round trip\n got %+v\nwant %+v", name, got, cfg)
		}
	}
	// Without resources or seccomp.
	bare := &configs.Config{Rootfs: "/r", Cgroups: &configs.Cgroup{Name: "x"}}
	data, _ := marshalConfig(bare)
	if got, err := unmarshalConfig(data); err != nil || !reflect.DeepEqual(got, bare) {
		t.Errorf("bare: %v %+v", err, got)
	}
}
