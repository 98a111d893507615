package state

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/husk-runtime/husk/libcontainer/configs"
)

func TestValidateID(t *testing.T) {
	for _, id := range []string{"a", "A-b_c.d+e", "0123"} {
		if err := ValidateID(id); err != nil {
			t.Errorf("%q: %v", id, err)
		}
	}
	for _, id := range []string{"", ".", "..", "a/b", "../x", "a b", "é", "a\x00"} {
		if err := ValidateID(id); err == nil {
			t.Errorf("%q accepted", id)
		}
	}
}

func TestSaveLoadRemove(t *testing.T) {
	s := &Store{Root: t.TempDir()}
	h, err := s.Create("c1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Create("c1"); err != ErrExist {
		t.Fatalf("duplicate: %v", err)
	}
	if err := h.Save(&State{ID: "c1", InitPid: 42}); err != nil {
		t.Fatal(err)
	}
	h.Unlock()
	h2, err := s.Open("c1")
	if err != nil {
		t.Fatal(err)
	}
	st, err := h2.Load()
	if err != nil || st.InitPid != 42 {
		t.Fatalf("load: %v %+v", err, st)
	}
	if st.CurrentStatus(h2.Dir) != Stopped {
		t.Fatal("pid 42 with start time 0 must read as stopped")
	}
	if err := h2.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open("c1"); err != ErrNotExist {
		t.Fatalf("open after remove: %v", err)
	}
}

// The configuration is kept encoded and decoded on demand; the hooks are
// readable without it.
func TestConfigKeptEncoded(t *testing.T) {
	h := newHandle(t, "c2")
	cfg := &configs.Config{Hostname: "h1", Hooks: configs.Hooks{configs.Poststop: {{Path: "/bin/true"}}}}
	st := &State{ID: "c2"}
	st.SetConfig(cfg)
	if err := h.Save(st); err != nil {
		t.Fatal(err)
	}
	got, err := ReadState(h.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Config != nil {
		t.Fatal("the configuration was decoded by ReadState")
	}
	if l := got.Hooks[configs.Poststop]; len(l) != 1 || l[0].Path != "/bin/true" {
		t.Fatalf("hooks %+v", got.Hooks)
	}
	c, err := got.LoadConfig()
	if err != nil || c.Hostname != "h1" || len(c.Hooks[configs.Poststop]) != 1 {
		t.Fatalf("LoadConfig: %v %+v", err, c)
	}
	if _, err := (&State{}).LoadConfig(); err == nil {
		t.Fatal("LoadConfig without a configuration")
	}
}

// update's resources are kept beside the encoded configuration, which
// stays as create wrote it, and LoadConfig puts them in place.
func TestResourcesOverConfig(t *testing.T) {
	h := newHandle(t, "c4")
	limit := func(v int64) *specs.LinuxResources {
		return &specs.LinuxResources{Memory: &specs.LinuxMemory{Limit: &v}}
	}
	st := &State{ID: "c4"}
	st.SetConfig(&configs.Config{Hostname: "h4", Cgroups: &configs.Cgroup{Resources: limit(100)}})
	if err := h.Save(st); err != nil {
		t.Fatal(err)
	}
	raw := string(st.RawConfig)
	for _, v := range []int64{200, 300} {
		got, err := ReadState(h.Dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := got.LoadConfig(); err != nil {
			t.Fatal(err)
		}
		if err := got.SetResources(limit(v)); err != nil {
			t.Fatal(err)
		}
		if *got.Config.Cgroups.Resources.Memory.Limit != v {
			t.Fatalf("decoded configuration not updated: %+v", got.Config.Cgroups.Resources.Memory)
		}
		if err := h.Save(got); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ReadState(h.Dir)
	if err != nil {
		t.Fatal(err)
	}
	if string(got.RawConfig) != raw {
		t.Errorf("the encoded configuration changed:\n%s\n%s", raw, got.RawConfig)
	}
	c, err := got.LoadConfig()
	if err != nil || c.Hostname != "h4" || *c.Cgroups.Resources.Memory.Limit != 300 {
		t.Fatalf("LoadConfig after two updates: %v %+v", err, c.Cgroups.Resources.Memory)
	}
	got.Resources = []byte(`{"memory":{"limit":"x"}}`)
	got.Config = nil
	if _, err := got.LoadConfig(); err == nil || !strings.Contains(err.Error(), "updated resources") {
		t.Errorf("bad resources in the state: %v", err)
	}
}

// The stub record reads back as a stopped container with its cgroups.
func TestSaveStub(t *testing.T) {
	h := newHandle(t, "c3")
	if err := h.SaveStub(&State{ID: "c3", Bundle: "/b", CgroupPaths: map[string]string{"pids": "/sys/fs/cgroup/pids/c3"}}); err != nil {
		t.Fatal(err)
	}
	st, err := ReadState(h.Dir)
	if err != nil || st.ID != "c3" || st.Bundle != "/b" || st.CgroupPaths["pids"] != "/sys/fs/cgroup/pids/c3" || st.InitPid != 0 {
		t.Fatalf("stub: %v %+v", err, st)
	}
	if st.CurrentStatus(h.Dir) != Stopped {
		t.Errorf("stub status %v", st.CurrentStatus(h.Dir))
	}
}

// newHandle creates container id in a fresh store, removed after the test.
func newHandle(t *testing.T, id string) *Handle {
	t.Helper()
	h, err := (&Store{Root: t.TempDir()}).Create(id)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { h.Remove() })
	return h
}
