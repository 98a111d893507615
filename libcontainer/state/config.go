package state

import (
	"encoding/json"
	"errors"
	"fmt"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/husk-runtime/husk/libcontainer/configs"
	"github.com/husk-runtime/husk/specconv"
)

// The configuration is kept as encoding/json encodes configs.Config and
// read back by specconv's reflection-free decoder: through reflection,
// encoding/json would first build its caches for the whole type graph
// (runtime-spec resources, seccomp...), most of a millisecond of every exec.
func marshalConfig(cfg *configs.Config) ([]byte, error) { return json.Marshal(cfg) }

func unmarshalConfig(data []byte) (*configs.Config, error) { return specconv.DecodeConfig(data) }

// LoadConfig decodes the configuration kept in the state (once).
func (st *State) LoadConfig() (*configs.Config, error) {
	if st.Config != nil {
		return st.Config, nil
	}
	if len(st.RawConfig) == 0 || string(st.RawConfig) == "null" {
		return nil, errors.New("state has no configuration")
	}
	cfg, err := unmarshalConfig(st.RawConfig)
	if err != nil {
		return nil, fmt.Errorf("parse the configuration in the state: %w", err)
	}
	if len(st.Resources) > 0 && cfg.Cgroups != nil {
		r, err := specconv.DecodeResources(st.Resources)
		if err != nil {
			return nil, fmt.Errorf("parse the updated resources in the state: %w", err)
		}
		cfg.Cgroups.Resources = r
	}
	st.Config = cfg
	return cfg, nil
}

// SetResources records linux.resources as update leaves them (see
// Resources), in the decoded configuration too.
func (st *State) SetResources(r *specs.LinuxResources) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	st.Resources = b
	if st.Config != nil && st.Config.Cgroups != nil {
		st.Config.Cgroups.Resources = r
	}
	return nil
}

// SetConfig replaces the configuration (and its encoded form, and hooks).
func (st *State) SetConfig(cfg *configs.Config) {
	st.Config, st.RawConfig, st.Hooks = cfg, nil, nil
	if cfg != nil {
		st.Hooks = cfg.Hooks
	}
}
