package common

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"
)

// SharesToWeight converts v1 cpu.shares [2, 262144] (default 1024) to v2
// cpu.weight [1, 10000] (default 100) with runc's quadratic fit, which maps
// min, max and default onto each other. 0 means unset.
func SharesToWeight(shares uint64) uint64 {
	switch {
	case shares == 0:
		return 0
	case shares <= 2:
		return 1
	case shares >= 262144:
		return 10000
	}
	l := math.Log2(float64(shares))
	exp := (l*l+125*l)/612.0 - 7.0/34.0
	return uint64(math.Ceil(math.Pow(10, exp)))
}

// BlkioWeightToIOWeight converts a v1 blkio weight [10, 1000] to a v2
// io.weight [1, 10000], linearly. 0 means unset.
func BlkioWeightToIOWeight(w uint16) uint64 {
	if w == 0 {
		return 0
	}
	if w < 10 {
		w = 10
	}
	return 1 + (uint64(w)-10)*9999/990
}

// SwapToV2 converts the OCI memory.swap (memory+swap, v1 semantics) to a v2
// memory.swap.max value given the memory limit; 0 means leave unset, -1
// means "max". Same rules as runc.
func SwapToV2(swap, memory int64) (int64, error) {
	switch {
	case memory == -1 && swap == 0:
		// "no limit" for memory without swap given: no limit for swap too.
		return -1, nil
	case swap == -1 || swap == 0:
		return swap, nil
	case memory == -1:
		return swap, nil
	case memory == 0:
		return 0, errors.New("unable to set a swap limit without a memory limit")
	case memory < 0:
		return 0, fmt.Errorf("invalid memory limit %d", memory)
	case swap < memory:
		return 0, fmt.Errorf("memory+swap limit %d must be >= the memory limit %d", swap, memory)
	}
	return swap - memory, nil
}

var (
	hugeOnce  sync.Once
	hugeSizes []string
)

// HugePageSizes returns the host's huge page sizes in cgroup notation
// ("2MB", "1GB"), read once from /sys/kernel/mm/hugepages.
func HugePageSizes() []string {
	hugeOnce.Do(func() {
		f, err := os.Open("/sys/kernel/mm/hugepages")
		if err != nil {
			return
		}
		names, _ := f.Readdirnames(-1)
		f.Close()
		hugeSizes = hugePageSizesFrom(names)
	})
	return hugeSizes
}

func hugePageSizesFrom(names []string) []string {
	var out []string
	for _, n := range names {
		// hugepages-2048kB
		v, ok := strings.CutPrefix(n, "hugepages-")
		if !ok {
			continue
		}
		v, ok = strings.CutSuffix(v, "kB")
		if !ok {
			continue
		}
		kb, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			continue
		}
		out = append(out, PageSizeName(kb*1024))
	}
	return out
}

// PageSizeName formats a page size in bytes the way the hugetlb controller
// names its files (mm/hugetlb_cgroup.c): "64KB", "2MB", "1GB".
func PageSizeName(b uint64) string {
	switch {
	case b >= 1<<30:
		return strconv.FormatUint(b>>30, 10) + "GB"
	case b >= 1<<20:
		return strconv.FormatUint(b>>20, 10) + "MB"
	}
	return strconv.FormatUint(b>>10, 10) + "KB"
}

// CheckPageSize verifies that an OCI hugepage size ("2MB") exists on this
// host, so the error names the field rather than a missing file.
func CheckPageSize(size string) error {
	sizes := HugePageSizes()
	for _, s := range sizes {
		if s == size {
			return nil
		}
	}
	return fmt.Errorf("huge page size %q is not supported by this host (supported: %s)", size, strings.Join(sizes, ", "))
}
