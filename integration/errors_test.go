package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// mentionsAny checks that the runtime's error output names the cause.
func mentionsAny(t *testing.T, r result, alts ...string) {
	t.Helper()
	lc := strings.ToLower(r.Combined())
	for _, a := range alts {
		if strings.Contains(lc, strings.ToLower(a)) {
			return
		}
	}
	t.Errorf("error output mentions none of %q: %s", alts, r)
}

// Bad input: each create fails with the cause in its error and leaves no
// state, mount, cgroup or process behind (checked after every test).
func TestBadInput(t *testing.T) {
	cases := []struct {
		name    string
		mut     func(*specs.Spec)
		prepare func(t *testing.T, b *bundle)
		want    []string // any of
	}{
		{name: "malformed config.json", prepare: func(t *testing.T, b *bundle) {
			os.WriteFile(filepath.Join(b.Dir, "config.json"), []byte(`{"ociVersion": "1.3.0", "process": {bad`), 0o644)
		}, want: []string{"config.json", "invalid character"}},
		{name: "missing config.json", prepare: func(t *testing.T, b *bundle) {
			os.Remove(filepath.Join(b.Dir, "config.json"))
		}, want: []string{"config.json"}},
		{name: "missing rootfs", mut: func(s *specs.Spec) { s.Root.Path = "no-such-rootfs" },
			want: []string{"no-such-rootfs"}},
		{name: "missing executable", mut: args("no-such-exe"), want: []string{"no-such-exe"}},
		{name: "missing absolute executable", mut: args("/bin/no-such-exe"), want: []string{"/bin/no-such-exe"}},
		{name: "non-executable file", mut: args("/etc/passwd"), want: []string{"permission denied"}},
		{name: "unknown namespace type", mut: withNamespace("foo-ns", ""), want: []string{"foo-ns"}},
		{name: "unknown capability", mut: func(s *specs.Spec) {
			s.Process.Capabilities.Bounding = append(s.Process.Capabilities.Bounding, "CAP_NO_SUCH_CAP")
		}, want: []string{"CAP_NO_SUCH_CAP"}},
		{name: "unknown mount type", mut: func(s *specs.Spec) {
			s.Mounts = append(s.Mounts, specs.Mount{Destination: "/mnt/a", Type: "no-such-fs", Source: "none"})
		}, want: []string{"no-such-fs", "/mnt/a"}},
		{name: "missing bind source", mut: withBind("/no/such/source", "/mnt/a"), want: []string{"/no/such/source"}},
		{name: "unknown rlimit", mut: func(s *specs.Spec) {
			s.Process.Rlimits = append(s.Process.Rlimits, specs.POSIXRlimit{Type: "RLIMIT_NO_SUCH", Soft: 1, Hard: 1})
		}, want: []string{"RLIMIT_NO_SUCH"}},
		{name: "failing hook", mut: func(s *specs.Spec) {
			s.Hooks = &specs.Hooks{CreateRuntime: []specs.Hook{{Path: "/bin/false"}}}
		}, want: []string{"error running createRuntime hook #0"}},
	}
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			e := newEnv(t)
			var muts []func(*specs.Spec)
			if tc.mut != nil {
				muts = append(muts, tc.mut)
			}
			b := e.bundle(muts...)
			if tc.prepare != nil {
				tc.prepare(t, b)
			}
			id := e.id()
			r := e.husk("create", "--bundle", b.Dir, id)
			if r.Code == 0 {
				t.Fatalf("create succeeded: %s", r)
			}
			mentionsAny(t, r, tc.want...)
			e.mustFail([]string{"does not exist"}, "state", id)
		})
	}
}

func TestInvalidID(t *testing.T) {
	e := newEnv(t)
	b := e.bundle()
	for _, id := range []string{"a/b", "..", ".", "../escape", "a b", ""} {
		r := e.husk("create", "--bundle", b.Dir, id)
		if r.Code == 0 {
			t.Errorf("create with id %q succeeded", id)
			e.husk("delete", "-f", id)
			continue
		}
		mentionsAny(t, r, "invalid", "id")
	}
	if _, err := os.Stat(filepath.Join(e.dir, "escape")); err == nil {
		t.Errorf("id ../escape created a directory outside --root")
	}
}

func TestDuplicateID(t *testing.T) {
	e := newEnv(t)
	b := e.bundle(args("sleep", "1000"))
	id := e.id()
	e.mustHusk("create", "--bundle", b.Dir, id)
	pid := e.state(id).Pid
	e.mustFail([]string{"already exists"}, "create", "--bundle", b.Dir, id)
	e.mustFail([]string{"already exists"}, "run", "-d", "--bundle", b.Dir, id)
	if st := e.state(id); st.Status != "created" || st.Pid != pid {
		t.Errorf("the first container was disturbed by the duplicate: %+v", st)
	}
	e.mustHusk("delete", "-f", id)
}

// logLines reads a --log-format json file.
func logLines(t *testing.T, path string) []map[string]any {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("--log file: %v", err)
	}
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Errorf("--log-format json line is not JSON: %q", l)
			continue
		}
		out = append(out, m)
	}
	return out
}

// The shim shows the last "level":"error" line of the --log file: it must
// carry the cause of an error inside the init child (here the executable
// that was not found), which also reaches stderr.
func TestLogJSONErrorCause(t *testing.T) {
	e := newEnv(t)
	log := filepath.Join(e.dir, "log.json")
	b := e.bundle(args("hk-missing-exe"))
	r := e.husk("--log", log, "--log-format", "json", "create", "--bundle", b.Dir, e.id())
	if r.Code == 0 {
		t.Fatalf("create succeeded: %s", r)
	}
	if !strings.Contains(r.Stderr, "hk-missing-exe") {
		t.Errorf("stderr does not carry the cause: %s", r)
	}
	var last map[string]any
	for _, m := range logLines(t, log) {
		if m["level"] == "error" {
			last = m
		}
		if _, ok := m["msg"]; !ok {
			t.Errorf("log line without msg: %v", m)
		}
		if _, ok := m["time"]; !ok {
			t.Errorf("log line without time: %v", m)
		}
	}
	if last == nil {
		t.Fatalf("no \"level\":\"error\" line in the log")
	}
	if msg, _ := last["msg"].(string); !strings.Contains(msg, "hk-missing-exe") {
		t.Errorf("last error line %q does not name the missing executable", msg)
	}
}

func TestLogTextAndDebug(t *testing.T) {
	e := newEnv(t)
	log := filepath.Join(e.dir, "log.txt")
	b := e.bundle(args("hk-missing-exe"))
	e.husk("--log", log, "--log-format", "text", "create", "--bundle", b.Dir, e.id())
	data, _ := os.ReadFile(log)
	if !strings.Contains(string(data), "level=error") || !strings.Contains(string(data), "hk-missing-exe") {
		t.Errorf("--log-format text: %q", data)
	}
	dlog := filepath.Join(e.dir, "debug.json")
	e.mustHusk("--debug", "--log", dlog, "--log-format", "json", "run", "--bundle", e.bundle().Dir, e.id())
	debug := 0
	for _, m := range logLines(t, dlog) {
		if m["level"] == "debug" {
			debug++
		}
	}
	if debug == 0 {
		t.Errorf("--debug wrote no \"level\":\"debug\" line")
	}
}
