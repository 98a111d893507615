package specconv

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadSpec(t *testing.T) {
	dir := t.TempDir()
	_, err := LoadSpec(dir)
	if want := filepath.Join(dir, "config.json") + ": no such file or directory"; err == nil || err.Error() != want {
		t.Fatalf("missing file: %v, want %s", err, want)
	}
	data, _ := json.Marshal(Example())
	os.WriteFile(filepath.Join(dir, "config.json"), data, 0o644)
	s, err := LoadSpec(dir)
	if err != nil || s.Process.Args[0] != "sh" {
		t.Fatalf("LoadSpec: %v", err)
	}
}

func TestParseSpecErrors(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"", "parse config.json: unexpected end of JSON input"},
		{"null", "parse config.json: the configuration is null"},
		// The column is the value's first (jsonv2) or last (v1) byte.
		{"{\n  \"ociVersion\": \"1.0.0\",\n  \"process\": {\n    \"user\": {\"uid\": \"root\"}\n  }\n}",
			"~parse config.json: process.user.uid: cannot unmarshal string into uint32 (line 4, column 2"},
		{"{\n  \"ociVersion\": \"1.0.0\",\n  \"hostname\": x\n}",
			"parse config.json: invalid character 'x' looking for beginning of value (line 3, column 15)"},
		{"[]", "parse config.json: cannot unmarshal array into specs.Spec (line 1, column 1)"},
		{`{"ociVersion": "1.0.0"} x`, "parse config.json: invalid character 'x' after top-level value (line 1, column 25)"},
		{`{}`, "ociVersion: must be set"},
		{`{"ociVersion": "0.5.0"}`, `ociVersion: unsupported version "0.5.0" (husk supports 1.x)`},
		{`{"ociVersion": "1"}`, `ociVersion: "1" is not a version (want 1.x.y)`},
		{`{"ociVersion": "1.-1.0"}`, `ociVersion: "1.-1.0" is not a version (want 1.x.y)`},
	} {
		_, err := ParseSpec([]byte(tc.in))
		if w, ok := strings.CutPrefix(tc.want, "~"); ok && err != nil && strings.HasPrefix(err.Error(), w) {
			continue
		}
		if err == nil || err.Error() != tc.want {
			t.Errorf("ParseSpec(%q):\n got: %v\nwant: %s", tc.in, err, tc.want)
		}
	}
	for _, ok := range []string{"1.0.0", "1.0.2-dev", "1.3.0", "1.2.1+build.5", "1.0.0-rc5+dev", "1.9.0"} {
		if _, err := ParseSpec([]byte(`{"ociVersion": "` + ok + `"}`)); err != nil {
			t.Errorf("version %s: %v", ok, err)
		}
	}
}

func TestProcessJSON(t *testing.T) {
	p, err := ParseProcess([]byte(`{"args": ["ls"], "cwd": "/", "user": {"uid": 1}, "env": ["A=b"]}`), "process.json")
	if err != nil {
		t.Fatal(err)
	}
	cp, err := ToProcess(p, "")
	if err != nil || cp.UID != 1 || cp.Capabilities != nil || cp.Env[0] != "A=b" {
		t.Fatalf("ToProcess: %+v, %v", cp, err)
	}
	p.Args = nil
	if _, err := ToProcess(p, ""); err == nil || err.Error() != "args: must not be empty" {
		t.Fatalf("error %v", err)
	}
	if _, err := ParseProcess([]byte(`{"args": 1}`), "p.json"); err == nil ||
		!strings.HasPrefix(err.Error(), "parse p.json: args: cannot unmarshal number into []string") {
		t.Fatalf("error %v", err)
	}
	if _, err := LoadProcess(filepath.Join(t.TempDir(), "nope.json")); err == nil ||
		!strings.HasSuffix(err.Error(), "nope.json: no such file or directory") {
		t.Fatalf("error %v", err)
	}
}
