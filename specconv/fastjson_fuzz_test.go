package specconv

import (
	"encoding/json"
	"io"
	"reflect"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/sirupsen/logrus"
)

// FuzzParseSpec is the differential check of the whole config.json parser
// (fastSpec, or encoding/json where fastSpec declines): ParseSpec must give
// exactly what json.Unmarshal into a *specs.Spec gives, and the errors
// decode makes from encoding/json's, whichever path decoded the input.
// Only two errors are ParseSpec's own: a null configuration and a bad
// ociVersion (checkVersion).
func FuzzParseSpec(f *testing.F) {
	for _, data := range fastOK(f) {
		f.Add(data)
	}
	for _, s := range fastNotOK {
		f.Add([]byte(s))
	}
	logrus.SetOutput(io.Discard) // checkVersion warns about newer minor versions
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ParseSpec(data)
		if err != nil && err.Error() == "" {
			t.Fatal("empty error")
		}
		var want *specs.Spec
		if jerr := json.Unmarshal(data, &want); jerr != nil {
			derr := decode(data, ConfigFile, new(*specs.Spec))
			if err == nil || derr == nil || err.Error() != derr.Error() {
				t.Fatalf("ParseSpec: %v, %+v; want the error %v (json.Unmarshal: %v)", err, got, derr, jerr)
			}
			return
		}
		switch {
		case want == nil:
			if err == nil {
				t.Fatalf("ParseSpec accepted a null configuration: %+v", got)
			}
		case checkVersion(want.Version, false) != nil:
			if verr := checkVersion(want.Version, false); err == nil || err.Error() != verr.Error() {
				t.Fatalf("ParseSpec: %v; want the error %v", err, verr)
			}
		case err != nil:
			t.Fatalf("ParseSpec: %v; json.Unmarshal decoded %+v", err, want)
		case !reflect.DeepEqual(got, want):
			g, _ := json.Marshal(got)
			w, _ := json.Marshal(want)
			t.Fatalf("ParseSpec:\n got %s\nwant %s", g, w)
		}
	})
}

// FuzzFastDecoders is the differential check of DecodeConfig (the
// configuration in state.json), DecodeResources and DecodeSeccomp: each
// must decode exactly what json.Unmarshal decodes, and fail where it fails
// with its error.
func FuzzFastDecoders(f *testing.F) {
	s := maximalSpec()
	for kind, v := range []any{maximalConfig(), s.Linux.Resources, s.Linux.Seccomp} {
		data := mustMarshal(f, v)
		f.Add(data, uint8(kind))
		indented, _ := json.MarshalIndent(v, "", " ")
		f.Add(indented, uint8(kind))
	}
	// A configuration as ToConfig makes it from `husk spec` and kept in
	// state.json.
	bundle := f.TempDir()
	if c, err := ToConfig(Example(), Options{Bundle: bundle, ID: "seed"}); err == nil {
		f.Add(mustMarshal(f, c), uint8(0))
	}
	for _, in := range []string{`null`, `{}`, `[]`, `{"Pids":{"limit":7}}`, `{"Rootfs":"/x","rootfs":"/y"}`,
		`{"defaultAction":1}`, `{"Process":{"UID":-1}}`, `{"Cgroups":{"Resources":{"memory":{"limit":1.5}}}}`} {
		for kind := range 3 {
			f.Add([]byte(in), uint8(kind))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, kind uint8) {
		switch kind % 3 {
		case 0:
			checkDecoder(t, data, DecodeConfig)
		case 1:
			checkDecoder(t, data, DecodeResources)
		case 2:
			checkDecoder(t, data, DecodeSeccomp)
		}
	})
}

func checkDecoder[T any](t *testing.T, data []byte, dec func([]byte) (*T, error)) {
	t.Helper()
	got, err := dec(data)
	var want *T
	jerr := json.Unmarshal(data, &want)
	switch {
	case jerr != nil:
		if err == nil || err.Error() != jerr.Error() {
			t.Fatalf("%T: %v, %+v; want the error %v", want, err, got, jerr)
		}
	case err != nil:
		t.Fatalf("%T: %v; json.Unmarshal decoded %+v", want, err, want)
	case !reflect.DeepEqual(got, want):
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		t.Fatalf("%T:\n got %s\nwant %s", want, g, w)
	}
}
