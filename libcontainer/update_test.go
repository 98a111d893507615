package libcontainer

import (
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

func TestMergeResources(t *testing.T) {
	i64 := func(v int64) *int64 { return &v }
	u64 := func(v uint64) *uint64 { return &v }
	u16 := func(v uint16) *uint16 { return &v }
	old := &specs.LinuxResources{
		Memory:  &specs.LinuxMemory{Limit: i64(100), Reservation: i64(50)},
		CPU:     &specs.LinuxCPU{Shares: u64(1024), Cpus: "0-1"},
		Pids:    &specs.LinuxPids{Limit: i64(10)},
		BlockIO: &specs.LinuxBlockIO{ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{{Rate: 1}}},
		Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
	}
	old.BlockIO.ThrottleReadBpsDevice[0].Major, old.BlockIO.ThrottleReadBpsDevice[0].Minor = 8, 0
	r := &specs.LinuxResources{
		Memory:  &specs.LinuxMemory{Limit: i64(200)},
		CPU:     &specs.LinuxCPU{Quota: i64(5000)},
		BlockIO: &specs.LinuxBlockIO{Weight: u16(300), ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{{Rate: 2}, {Rate: 3}}},
	}
	r.BlockIO.ThrottleReadBpsDevice[0].Major = 8
	r.BlockIO.ThrottleReadBpsDevice[1].Major = 9
	got := mergeResources(old, r)
	want := &specs.LinuxResources{
		Memory:  &specs.LinuxMemory{Limit: i64(200), Reservation: i64(50)},
		CPU:     &specs.LinuxCPU{Shares: u64(1024), Quota: i64(5000), Cpus: "0-1"},
		Pids:    &specs.LinuxPids{Limit: i64(10)},
		BlockIO: &specs.LinuxBlockIO{Weight: u16(300), ThrottleReadBpsDevice: []specs.LinuxThrottleDevice{{Rate: 2}, {Rate: 3}}},
		Devices: []specs.LinuxDeviceCgroup{{Allow: false, Access: "rwm"}},
	}
	want.BlockIO.ThrottleReadBpsDevice[0].Major = 8
	want.BlockIO.ThrottleReadBpsDevice[1].Major = 9
	if !reflect.DeepEqual(got, want) {
		t.Errorf("merge:\n got %+v\nwant %+v", got, want)
	}
	if *old.Memory.Limit != 100 || old.CPU.Quota != nil || old.BlockIO.ThrottleReadBpsDevice[0].Rate != 1 {
		t.Errorf("merge changed the old resources: %+v %+v", old.Memory, old.CPU)
	}
}
