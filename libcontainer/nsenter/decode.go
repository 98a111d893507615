package nsenter

/*
#include <stdlib.h>
#include "util.h"
*/
import "C"

import (
	"errors"
	"unsafe"
)

// validatePlan runs the init's own C decoder (plan_decode) over a plan: the
// checks the init makes before it executes anything. It has no side
// effects; tests and fuzzing use it.
func validatePlan(b []byte) error {
	var errbuf [256]C.char
	var p *C.uint8_t
	if len(b) > 0 {
		p = (*C.uint8_t)(unsafe.Pointer(&b[0]))
	}
	if C.plan_decode(p, C.size_t(len(b)), &errbuf[0], C.size_t(len(errbuf))) < 0 {
		return errors.New(C.GoString(&errbuf[0]))
	}
	return nil
}
