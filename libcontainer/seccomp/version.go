// Package seccomp compiles linux.seccomp into a BPF program with
// libseccomp (linked statically) for the init to load.
package seccomp

import (
	"fmt"

	libseccomp "github.com/seccomp/libseccomp-golang"
)

// LibraryVersion is the linked libseccomp's version ("2.5.4").
func LibraryVersion() string {
	major, minor, micro := libseccomp.GetLibraryVersion()
	return fmt.Sprintf("%d.%d.%d", major, minor, micro)
}
