package specconv

import (
	"encoding/json"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// DecodeResources and DecodeSeccomp give what json.Unmarshal gives, on the
// fast path and on the fallback.
func TestDecodeResourcesSeccomp(t *testing.T) {
	s := maximalSpec()
	for name, v := range map[string]any{"resources": s.Linux.Resources, "seccomp": s.Linux.Seccomp} {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		switch name {
		case "resources":
			got, err := DecodeResources(data)
			var want *specs.LinuxResources
			_ = json.Unmarshal(data, &want)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("DecodeResources: %v\n got %+v\nwant %+v", err, got, want)
			}
		case "seccomp":
			got, err := DecodeSeccomp(data)
			var want *specs.LinuxSeccomp
			_ = json.Unmarshal(data, &want)
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("DecodeSeccomp: %v\n got %+v\nwant %+v", err, got, want)
			}
		}
	}
	if r, err := DecodeResources([]byte("null")); r != nil || err != nil {
		t.Errorf("null: %v %v", r, err)
	}
	// Not for the fast path (a case variant key): the fallback decodes it.
	r, err := DecodeResources([]byte(`{"Pids":{"limit":7}}`))
	if err != nil || r.Pids == nil || r.Pids.Limit == nil || *r.Pids.Limit != 7 {
		t.Errorf("fallback: %v %+v", err, r)
	}
	if _, err := DecodeSeccomp([]byte(`{"defaultAction":1}`)); err == nil {
		t.Error("a mistyped seccomp profile decoded")
	}
}
