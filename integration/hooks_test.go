package integration

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

var hookKinds = []string{"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"}

// recordingHook appends "<kind> <arg> <env>" to order and saves its stdin
// (the state JSON) as <kind>.json, in dir on the host or, for hooks that run
// after pivot_root (startContainer), in /hostdir inside the container.
func (e *env) recordingHook(dir, kind string) specs.Hook {
	script := `d=` + dir + `; [ -d "$d" ] || d=/hostdir
echo "$0 $1 $HOOKVAR" >> "$d/order"; cat > "$d/$0.json"`
	return specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", script, kind, "arg-" + kind},
		Env: []string{"HOOKVAR=env-" + kind, "PATH=/usr/sbin:/usr/bin:/sbin:/bin", e.marker}}
}

func (e *env) failingHook(code string) specs.Hook {
	return specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", "echo hook-said-no >&2; exit " + code},
		Env: []string{e.marker}}
}

func setHooks(s *specs.Spec, kind string, hooks ...specs.Hook) {
	if s.Hooks == nil {
		s.Hooks = &specs.Hooks{}
	}
	h := s.Hooks
	switch kind {
	case "prestart":
		h.Prestart = hooks //nolint:staticcheck // deprecated in the spec, still supported
	case "createRuntime":
		h.CreateRuntime = hooks
	case "createContainer":
		h.CreateContainer = hooks
	case "startContainer":
		h.StartContainer = hooks
	case "poststart":
		h.Poststart = hooks
	case "poststop":
		h.Poststop = hooks
	}
}

func readOrder(t *testing.T, dir string) []string {
	t.Helper()
	data, _ := os.ReadFile(filepath.Join(dir, "order"))
	var kinds []string
	for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if l != "" {
			kinds = append(kinds, l)
		}
	}
	return kinds
}

// All six kinds run in the spec's order, at the right step of the
// lifecycle, with their args and env, and get the state JSON on stdin.
func TestHooksOrderAndState(t *testing.T) {
	e := newEnv(t)
	hd := e.hostDir("hooks")
	b := e.bundle(withBind(hd, "/hostdir"), args("sleep", "1000"), func(s *specs.Spec) {
		for _, k := range hookKinds {
			setHooks(s, k, e.recordingHook(hd, k))
		}
	})
	id := e.id()
	e.mustHusk("create", "--bundle", b.Dir, id)
	initPid := e.state(id).Pid
	afterCreate := readOrder(t, hd)
	e.mustHusk("start", id)
	waitFile(t, filepath.Join(hd, "order"), "poststart")
	afterStart := readOrder(t, hd)
	e.mustHusk("kill", id, "KILL")
	e.waitStatus(id, "stopped")
	e.mustHusk("delete", id)
	all := readOrder(t, hd)

	line := func(k string) string { return k + " arg-" + k + " env-" + k }
	want := []string{}
	for _, k := range hookKinds {
		want = append(want, line(k))
	}
	if strings.Join(all, "|") != strings.Join(want, "|") {
		t.Errorf("hooks ran as:\n  %s\nwant:\n  %s", strings.Join(all, "\n  "), strings.Join(want, "\n  "))
	}
	if strings.Join(afterCreate, "|") != strings.Join(want[:3], "|") {
		t.Errorf("after create, hooks run: %q, want prestart, createRuntime, createContainer only", afterCreate)
	}
	if strings.Join(afterStart, "|") != strings.Join(want[:5], "|") {
		t.Errorf("after start, hooks run: %q, want all but poststop", afterStart)
	}

	wantStatus := map[string][]string{
		"prestart": {"creating", "created"}, "createRuntime": {"creating", "created"},
		"createContainer": {"creating", "created"}, "startContainer": {"created"},
		"poststart": {"running"}, "poststop": {"stopped"},
	}
	for _, k := range hookKinds {
		data, err := os.ReadFile(filepath.Join(hd, k+".json"))
		if err != nil {
			t.Errorf("%s hook: no state saved: %v", k, err)
			continue
		}
		var st containerState
		if err := json.Unmarshal(data, &st); err != nil {
			t.Errorf("%s hook: stdin is not the state JSON: %v: %q", k, err, data)
			continue
		}
		if st.ID != id || st.Bundle != b.Dir || st.OCIVersion == "" {
			t.Errorf("%s hook state: %+v", k, st)
		}
		// createContainer and startContainer run inside the container: runc
		// reports the pid as seen there (1); the host's pid is right too.
		inside := k == "createContainer" || k == "startContainer"
		if k != "poststop" && st.Pid != initPid && !(inside && st.Pid == 1) {
			t.Errorf("%s hook state pid %d, want the init's %d", k, st.Pid, initPid)
		}
		ok := false
		for _, s := range wantStatus[k] {
			ok = ok || st.Status == s
		}
		if !ok {
			t.Errorf("%s hook state status %q, want one of %q", k, st.Status, wantStatus[k])
		}
	}
}

// A failing hook of a create-phase kind fails create with
// "error running <kind> hook #N:" and leaves nothing behind; a failing
// startContainer or poststart hook fails start.
func TestHookFailure(t *testing.T) {
	for _, kind := range hookKinds[:5] {
		t.Run(kind, func(t *testing.T) {
			e := newEnv(t)
			hd := e.hostDir("hooks")
			b := e.bundle(withBind(hd, "/hostdir"), args("sleep", "1000"), func(s *specs.Spec) {
				setHooks(s, kind, e.recordingHook(hd, kind), e.failingHook("3"))
			})
			id := e.id()
			want := []string{"error running " + kind + " hook #1"}
			if kind == "startContainer" || kind == "poststart" {
				e.mustHusk("create", "--bundle", b.Dir, id)
				e.mustFail(want, "start", id)
				if r := e.husk("state", id); r.Code == 0 && !strings.Contains(r.Stdout, `"stopped"`) {
					t.Errorf("after a failed %s hook the container is not stopped: %s", kind, r.Stdout)
				}
				e.husk("delete", "--force", id)
			} else {
				e.mustFail(want, "create", "--bundle", b.Dir, id)
				e.mustFail([]string{"does not exist"}, "state", id)
			}
			if got := readOrder(t, hd); len(got) != 1 {
				t.Errorf("hooks before the failing one: %q, want the first %s hook only", got, kind)
			}
		})
	}
}

// The same through `run`: the error names the kind, nothing is left.
func TestHookFailureRun(t *testing.T) {
	e := newEnv(t)
	b := e.bundle(func(s *specs.Spec) { setHooks(s, "createRuntime", e.failingHook("1")) })
	r := e.runContainer(b)
	if r.Code == 0 || !strings.Contains(r.Stderr, "error running createRuntime hook #0") {
		t.Errorf("run with a failing createRuntime hook: %s", r)
	}
}

// A failing poststop hook is only a warning.
func TestPoststopFailureIsWarning(t *testing.T) {
	e := newEnv(t)
	hd := e.hostDir("hooks")
	b := e.bundle(sh("exit 0"), func(s *specs.Spec) {
		setHooks(s, "poststop", e.failingHook("1"), e.recordingHook(hd, "poststop"))
	})
	if r := e.runContainer(b); r.Code != 0 {
		t.Errorf("run with a failing poststop hook: %s, want exit 0 (warning only)", r)
	}
	if got := readOrder(t, hd); len(got) != 1 {
		t.Errorf("the poststop hook after the failing one did not run: %q", got)
	}
	id, _ := e.startDetached(b)
	e.waitStatus(id, "stopped")
	e.mustHusk("delete", id)
}

func TestHookTimeout(t *testing.T) {
	e := newEnv(t)
	timeout := 1
	b := e.bundle(func(s *specs.Spec) {
		setHooks(s, "createRuntime", specs.Hook{Path: "/bin/sleep", Args: []string{"sleep", "30"},
			Env: []string{e.marker}, Timeout: &timeout})
	})
	start := time.Now()
	r := e.mustFail([]string{"error running createRuntime hook #0"}, "create", "--bundle", b.Dir, e.id())
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("hook timeout of 1s took %v", d)
	}
	if lc := strings.ToLower(r.Stderr); !strings.Contains(lc, "timeout") && !strings.Contains(lc, "timed out") {
		t.Errorf("hook timeout error does not say so: %s", r)
	}
}
