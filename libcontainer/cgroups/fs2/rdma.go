package fs2

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
)

func setRdma(dir string, r *specs.LinuxResources) error {
	return common.SetRdma(dir, r.Rdma)
}
