package state

import "testing"

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
