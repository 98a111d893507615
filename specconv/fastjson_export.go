package specconv

import (
	"encoding/json"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// DecodeResources decodes a linux.resources JSON object exactly as
// json.Unmarshal into a *specs.LinuxResources does, through the
// reflection-free path of fastjson.go when it can (the state file keeps
// the resources in this form; exec and update read them back).
func DecodeResources(data []byte) (*specs.LinuxResources, error) {
	return decodeFast(data, fastResources)
}

// DecodeSeccomp is DecodeResources for a linux.seccomp object.
func DecodeSeccomp(data []byte) (*specs.LinuxSeccomp, error) {
	return decodeFast(data, fastSeccomp)
}

func decodeFast[T any](data []byte, conv converter[T]) (*T, error) {
	if v, ok := scanJSON(data); ok {
		if v == nil {
			return nil, nil
		}
		if _, isObj := v.(map[string]any); isObj {
			d := &fastDec{seen: make([]string, 0, 32)}
			out := new(T)
			conv(d, v, out)
			if !d.bad {
				return out, nil
			}
		}
	}
	var out *T
	if err := json.Unmarshal(data, &out); err != nil {
		return nil, err
	}
	return out, nil
}
