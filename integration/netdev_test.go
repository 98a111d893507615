package integration

import (
	"fmt"
	"os"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// linux.netDevices: host devices moved into the container's network
// namespace, renamed, with their permanent global addresses and up, as
// observed by the container's `ip`; the veth then dies with the namespace
// (the kernel's doing: virtual devices are not moved back).
// A device that does not exist, or whose name is taken in the container,
// is an error naming it, and the host keeps its device.
func TestNetDevices(t *testing.T) {
	e := newEnv(t)
	// veth pairs (this kernel has no dummy driver); the peer stays on the host
	dummy := func(name, addr string) {
		hostRun(t, "ip", "link", "add", name, "type", "veth", "peer", "name", name+"p")
		t.Cleanup(func() { _ = hostRunQuiet("ip", "link", "del", name+"p") })
		hostRun(t, "ip", "addr", "add", addr, "dev", name)
	}
	suffix := fmt.Sprintf("%d", os.Getpid()%100000)
	d1, d2, d3 := "hk1x"+suffix, "hk2x"+suffix, "hk3x"+suffix
	dummy(d1, "10.199.7.1/24")
	dummy(d2, "10.199.8.1/24")
	dummy(d3, "10.199.9.1/24")
	// an address that is not permanent (a lifetime) is not carried over
	hostRun(t, "ip", "addr", "add", "10.199.7.9/24", "dev", d1, "valid_lft", "100", "preferred_lft", "100")

	out := e.output(func(s *specs.Spec) {
		s.Linux.NetDevices = map[string]specs.LinuxNetDevice{d1: {Name: "eth7"}, d2: {Name: "net%d"}}
	}, sh(`ip -o addr show dev eth7; ip -o link show eth7; ip -o addr show dev net0`))
	if !strings.Contains(out, "inet 10.199.7.1/24") || strings.Contains(out, "10.199.7.9") {
		t.Errorf("eth7: want the permanent address 10.199.7.1/24 only:\n%s", out)
	}
	if !strings.Contains(out, ",UP") && !strings.Contains(out, "<UP") {
		t.Errorf("eth7 is not up:\n%s", out)
	}
	if !strings.Contains(out, "net0") || !strings.Contains(out, "inet 10.199.8.1/24") {
		t.Errorf("the %%d template: want net0 with 10.199.8.1/24:\n%s", out)
	}
	for _, d := range []string{d1, d2} {
		if hostRunQuiet("ip", "link", "show", d) == nil {
			t.Errorf("%s is still on the host after the container", d)
		}
	}

	e.mustFail([]string{"linux.netDevices", "hk9nosuch", "no network device"}, "run", "--bundle", e.bundle(func(s *specs.Spec) {
		s.Linux.NetDevices = map[string]specs.LinuxNetDevice{"hk9nosuch": {}}
	}, args("true")).Dir, e.id())
	e.mustFail([]string{"linux.netDevices", d3, "lo", "a device of that name exists there"}, "run", "--bundle", e.bundle(func(s *specs.Spec) {
		s.Linux.NetDevices = map[string]specs.LinuxNetDevice{d3: {Name: "lo"}}
	}, args("true")).Dir, e.id())
	if err := hostRunQuiet("ip", "link", "show", d3); err != nil {
		t.Errorf("%s left the host after a failed move: %v", d3, err)
	}
}
