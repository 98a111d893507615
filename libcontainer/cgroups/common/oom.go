package common

// OOMWatcher is a pollable source of OOM notifications for one container,
// for `events`. It needs no goroutine: the caller polls Fd (POLLIN) together
// with whatever else it waits for and calls Read when Fd is readable.
type OOMWatcher interface {
	// Fd becomes readable when an OOM event may have happened or the
	// cgroup went away.
	Fd() int
	// Read consumes the pending notification. It returns the number of OOM
	// events since the previous Read (0 for a spurious wake-up), and gone
	// when the cgroup was removed or emptied (stop watching then). It does
	// not block.
	Read() (events uint64, gone bool, err error)
	// Close releases the descriptors.
	Close() error
}
