package fs2

import (
	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/husk-runtime/husk/libcontainer/cgroups/common"
)

func setCpuset(dir string, r *specs.LinuxResources) error {
	if r.CPU == nil {
		return nil
	}
	if r.CPU.Cpus != "" {
		if err := common.WriteFile(dir, "cpuset.cpus", r.CPU.Cpus); err != nil {
			return common.Field("cpu.cpus", err)
		}
	}
	if r.CPU.Mems != "" {
		if err := common.WriteFile(dir, "cpuset.mems", r.CPU.Mems); err != nil {
			return common.Field("cpu.mems", err)
		}
	}
	return nil
}
