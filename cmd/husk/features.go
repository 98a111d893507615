package main

import (
	"context"
	"encoding/json"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/opencontainers/runtime-spec/specs-go/features"
	"github.com/urfave/cli/v3"

	"github.com/husk-runtime/husk/libcontainer/capabilities"
	"github.com/husk-runtime/husk/libcontainer/seccomp"
	"github.com/husk-runtime/husk/specconv"
)

func featuresCommand() *cli.Command {
	return &cli.Command{
		Name:      "features",
		Usage:     "show the enabled features",
		ArgsUsage: "",
		Description: `Show the enabled features.
   The result is parsable as a JSON.
   See https://github.com/opencontainers/runtime-spec/blob/main/features.md for the semantics.`,
		Action: func(ctx context.Context, cmd *cli.Command) error {
			if err := checkArgs(cmd, 0, true); err != nil {
				return err
			}
			enc := json.NewEncoder(os.Stdout)
			enc.SetIndent("", "    ")
			return enc.Encode(currentFeatures())
		},
	}
}

// currentFeatures lists only what husk really implements; every list comes
// from the code that handles it.
func currentFeatures() *features.Features {
	t, f := true, false
	sc := seccomp.Known()
	return &features.Features{
		OCIVersionMin: "1.0.0",
		OCIVersionMax: specs.Version,
		Hooks:         []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"},
		MountOptions:  specconv.KnownMountOptions(),
		Linux: &features.Linux{
			Namespaces:   specconv.KnownNamespaces(),
			Capabilities: capabilities.Known(),
			Cgroup:       &features.Cgroup{V1: &t, V2: &t, Systemd: &t, SystemdUser: &f, Rdma: &f},
			Seccomp: &features.Seccomp{Enabled: &t, Actions: sc.Actions, Operators: sc.Operators, Archs: sc.Archs,
				KnownFlags: sc.KnownFlags, SupportedFlags: sc.SupportedFlags},
			// compiled in (spec: unrelated to whether the host has the LSM)
			Apparmor:        &features.Apparmor{Enabled: &t},
			Selinux:         &features.Selinux{Enabled: &t},
			MemoryPolicy:    &features.MemoryPolicy{Modes: specconv.KnownMemoryPolicyModes(), Flags: specconv.KnownMemoryPolicyFlags()},
			IntelRdt:        &features.IntelRdt{Enabled: &f},
			MountExtensions: &features.MountExtensions{IDMap: &features.IDMap{Enabled: &t}}, // libcontainer/idmap
			NetDevices:      &features.NetDevices{Enabled: &t},                              // libcontainer/netdev
		},
		Annotations: map[string]string{
			"io.github.husk-runtime.husk.version": version,
			"io.github.husk-runtime.husk.commit":  gitCommit,
		},
	}
}
