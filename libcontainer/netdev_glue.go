package libcontainer

import (
	"fmt"
	"os"
	"sort"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/husk-runtime/husk/libcontainer/netdev"
)

// moveNetDevices moves linux.netDevices into the network namespace of the
// container's init (pid), in the order of their host names.
func moveNetDevices(pid int, devs map[string]specs.LinuxNetDevice) error {
	if len(devs) == 0 {
		return nil
	}
	ns, err := os.Open("/proc/" + strconv.Itoa(pid) + "/ns/net")
	if err != nil {
		return fmt.Errorf("linux.netDevices: open the container's network namespace: %w", err)
	}
	defer ns.Close()
	list := make([]netdev.Device, 0, len(devs))
	for host, d := range devs {
		list = append(list, netdev.Device{HostName: host, Name: d.Name})
	}
	sort.Slice(list, func(i, j int) bool { return list[i].HostName < list[j].HostName })
	return netdev.Move(int(ns.Fd()), list)
}
