package exeseal

import (
	"errors"
	"fmt"
	"os"
	"testing"

	"golang.org/x/sys/unix"
)

// The memfd fallback: a full copy that refuses every write.
func TestMemfdSealed(t *testing.T) {
	f, err := memfd()
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want, err := os.Stat("/proc/self/exe")
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := f.Stat(); st.Size() != want.Size() {
		t.Fatalf("memfd has %d bytes, binary %d", st.Size(), want.Size())
	}
	w, err := os.OpenFile(fmt.Sprintf("/proc/self/fd/%d", f.Fd()), os.O_WRONLY, 0)
	if err == nil {
		defer w.Close()
		if _, err := w.Write([]byte{0}); !errors.Is(err, unix.EPERM) {
			t.Fatalf("write into the sealed memfd: %v, want EPERM", err)
		}
	}
	if err := unix.Ftruncate(int(f.Fd()), 0); !errors.Is(err, unix.EPERM) {
		t.Fatalf("truncate the sealed memfd: %v, want EPERM", err)
	}
	if _, err := unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, unix.F_SEAL_FUTURE_WRITE); !errors.Is(err, unix.EPERM) {
		t.Fatalf("adding seals: %v, want EPERM (F_SEAL_SEAL)", err)
	}
}

// Overlayfs (needs CAP_SYS_ADMIN): the handle cannot be reopened writable.
func TestOverlayReadOnly(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("overlayfs sealing needs root (CAP_SYS_ADMIN); not root here")
	}
	f, how, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if how != Overlayfs {
		t.Fatalf("sealed with %s as root, want overlayfs", how)
	}
	_, err = os.OpenFile(fmt.Sprintf("/proc/self/fd/%d", f.Fd()), os.O_WRONLY, 0)
	if !errors.Is(err, unix.EROFS) {
		t.Fatalf("reopen for writing: %v, want EROFS", err)
	}
}

func TestEscape(t *testing.T) {
	if got := escape(`/a:b\c`); got != `/a\:b\\c` {
		t.Fatalf("escape: %q", got)
	}
}
