package main

import "testing"

func TestRAMInBytes(t *testing.T) {
	for in, want := range map[string]int64{"-1": -1, "0": 0, "1024": 1024, "64M": 64 << 20, "64m": 64 << 20,
		"1g": 1 << 30, "1.5k": 1536, "2KiB": 2048, "3mb": 3 << 20} {
		if got, err := ramInBytes(in); err != nil || got != want {
			t.Errorf("ramInBytes(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "M", "12Q", "-5", "1x"} {
		if _, err := ramInBytes(in); err == nil {
			t.Errorf("ramInBytes(%q) accepted", in)
		}
	}
}
