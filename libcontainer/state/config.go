package state

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/husk-runtime/husk/libcontainer/configs"
	"github.com/husk-runtime/husk/specconv"
)

// configJSON is configs.Config as state.json keeps it, in the very JSON
// encoding/json gives configs.Config, but with the two large runtime-spec
// subtrees (linux.resources and linux.seccomp) held raw: decoding them
// through reflection would make encoding/json build its caches for their
// whole type graphs (about half of the decoding cost of exec); specconv's
// reflection-free decoder reads them instead. The outer fields shadow the
// embedded ones of the same name.
type configJSON struct {
	configs.Config
	Cgroups *cgroupJSON
	Seccomp json.RawMessage
}

type cgroupJSON struct {
	configs.Cgroup
	Resources json.RawMessage
}

func marshalConfig(cfg *configs.Config) ([]byte, error) {
	cj := configJSON{Config: *cfg}
	var err error
	if cj.Seccomp, err = json.Marshal(cfg.Seccomp); err != nil {
		return nil, err
	}
	if cfg.Cgroups != nil {
		cj.Cgroups = &cgroupJSON{Cgroup: *cfg.Cgroups}
		if cj.Cgroups.Resources, err = json.Marshal(cfg.Cgroups.Resources); err != nil {
			return nil, err
		}
	}
	return json.Marshal(&cj)
}

func unmarshalConfig(data []byte) (*configs.Config, error) {
	var cj configJSON
	if err := json.Unmarshal(data, &cj); err != nil {
		return nil, err
	}
	cfg := cj.Config
	var err error
	if len(cj.Seccomp) > 0 {
		if cfg.Seccomp, err = specconv.DecodeSeccomp(cj.Seccomp); err != nil {
			return nil, fmt.Errorf("Seccomp: %w", err)
		}
	}
	if cj.Cgroups != nil {
		cg := cj.Cgroups.Cgroup
		if len(cj.Cgroups.Resources) > 0 {
			if cg.Resources, err = specconv.DecodeResources(cj.Cgroups.Resources); err != nil {
				return nil, fmt.Errorf("Cgroups.Resources: %w", err)
			}
		}
		cfg.Cgroups = &cg
	}
	return &cfg, nil
}

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
	st.Config = cfg
	return cfg, nil
}

// SetConfig replaces the configuration (and its encoded form, and hooks).
func (st *State) SetConfig(cfg *configs.Config) {
	st.Config, st.RawConfig, st.Hooks = cfg, nil, nil
	if cfg != nil {
		st.Hooks = cfg.Hooks
	}
}
