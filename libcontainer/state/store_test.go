package state

import (
	"testing"

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
	s := &Store{Root: t.TempDir()}
	h, err := s.Create("c2")
	if err != nil {
		t.Fatal(err)
	}
	defer h.Remove()
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

// The stub record reads back as a stopped container with its cgroups.
func TestSaveStub(t *testing.T) {
	s := &Store{Root: t.TempDir()}
	h, err := s.Create("c3")
	if err != nil {
		t.Fatal(err)
	}
	defer h.Remove()
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
