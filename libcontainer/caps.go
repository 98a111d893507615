package libcontainer

import (
	"github.com/sirupsen/logrus"
	"golang.org/x/sys/unix"

	"github.com/husk-runtime/husk/libcontainer/capabilities"
	"github.com/husk-runtime/husk/libcontainer/configs"
)

// clampCaps drops, with a warning, the capabilities the runtime itself
// does not hold in its bounding set: no process it starts can get them
// (this machine's bounding set lacks CAP_SYS_RESOURCE, for one), and
// asking for them would fail the whole container instead of running it
// with what the host can give, which is what a privileged container means.
func clampCaps(p *configs.Process) {
	c := p.Capabilities
	if c == nil {
		return
	}
	all := c.Bounding | c.Effective | c.Permitted | c.Inheritable | c.Ambient
	var missing uint64
	for n := 0; n < 64; n++ {
		if all&(1<<n) == 0 {
			continue
		}
		if ok, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(n), 0, 0, 0); err != nil || ok != 1 {
			missing |= 1 << n
		}
	}
	if missing == 0 {
		return
	}
	logrus.Warnf("process.capabilities: the runtime's bounding set lacks %v: not granted", capabilities.Names(missing))
	keep := ^missing
	p.Capabilities = &configs.Capabilities{
		Bounding: c.Bounding & keep, Effective: c.Effective & keep, Permitted: c.Permitted & keep,
		Inheritable: c.Inheritable & keep, Ambient: c.Ambient & keep,
	}
}
