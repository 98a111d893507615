package state

import (
	"encoding/json"
	"errors"
	"fmt"

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
