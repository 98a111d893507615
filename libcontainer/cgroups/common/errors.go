package common

import (
	"errors"
	"fmt"
)

// ErrNotImplemented is returned by the parts that do not exist yet (systemd
// driver, cgroup v2 device filter).
var ErrNotImplemented = errors.New("not implemented yet")

// ErrNotExist says the container's cgroup does not exist (any more).
var ErrNotExist = errors.New("cgroup does not exist")

// FieldError ties an error to the config.json field that caused it, e.g.
// "linux.resources.memory.limit: write ...".
type FieldError struct {
	Field string // path below linux.resources, e.g. "memory.limit"
	Err   error
}

func (e *FieldError) Error() string {
	return "linux.resources." + e.Field + ": " + e.Err.Error()
}

func (e *FieldError) Unwrap() error { return e.Err }

// Field wraps err (when not nil) with the field name.
func Field(field string, err error) error {
	if err == nil {
		return nil
	}
	var fe *FieldError
	if errors.As(err, &fe) {
		return err
	}
	return &FieldError{Field: field, Err: err}
}

// Fieldf returns a FieldError with a formatted message.
func Fieldf(field, format string, args ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf(format, args...)}
}

// ParseError is a cgroup file whose content could not be parsed.
type ParseError struct {
	Path, File string
	Err        error
}

func (e *ParseError) Error() string {
	return "cgroups: unable to parse " + e.Path + "/" + e.File + ": " + e.Err.Error()
}

func (e *ParseError) Unwrap() error { return e.Err }
