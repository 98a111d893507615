// Package specconv turns an OCI runtime-spec bundle (config.json) into the
// resolved configuration husk runs (libcontainer/configs).
//
// Every field of the spec is either converted or rejected: errors name the
// JSON field at fault ("mounts[2].options: ...", "process.capabilities.
// bounding: unknown capability \"CAP_FOO\""). Fields husk understands but
// does not implement yet are listed in one place, unsupported.go, and are
// rejected with "<field>: not supported".
package specconv

import (
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
)

// ErrNotSupported is wrapped by the errors of fields husk does not implement.
var ErrNotSupported = errors.New("not supported")

// FieldError is a configuration error about one JSON field.
type FieldError struct {
	Field string // JSON path, e.g. "linux.namespaces[3].type"
	Err   error
}

func (e *FieldError) Error() string {
	if e.Field == "" {
		return e.Err.Error()
	}
	return e.Field + ": " + e.Err.Error()
}

func (e *FieldError) Unwrap() error { return e.Err }

// fieldErr makes a FieldError with a formatted message.
func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Err: fmt.Errorf(format, args...)}
}

// wrapErr makes a FieldError from an existing error.
func wrapErr(field string, err error) error {
	return &FieldError{Field: field, Err: err}
}

func notSupported(field string) error {
	return &FieldError{Field: field, Err: ErrNotSupported}
}

// sub joins a JSON path and a member name.
func sub(field, name string) string {
	if field == "" {
		return name
	}
	return field + "." + name
}

// idx makes "field[i]".
func idx(field string, i int) string {
	return field + "[" + strconv.Itoa(i) + "]"
}

// key makes `field["k"]` for map members.
func key(field, k string) string {
	return field + "[" + strconv.Quote(k) + "]"
}

// at names an element of a JSON array ("mounts[3]") without building the
// string until an error needs it: conversion runs on every container start.
type at struct {
	base string
	i    int
}

func (a at) String() string { return idx(a.base, a.i) }

// sub names a member of the element: "mounts[3].options".
// An empty name is the element itself.
func (a at) sub(name string) string {
	if name == "" {
		return idx(a.base, a.i)
	}
	return idx(a.base, a.i) + "." + name
}

func hasNUL(s string) bool { return strings.IndexByte(s, 0) >= 0 }

// noNUL rejects strings the init plan cannot carry.
func noNUL(field, s string) error {
	if hasNUL(s) {
		return fieldErr(field, "must not contain a NUL byte")
	}
	return nil
}

// noNULs checks every string of the list field.name.
func noNULs(field, name string, list []string) error {
	for i, s := range list {
		if hasNUL(s) {
			return fieldErr(idx(sub(field, name), i), "must not contain a NUL byte")
		}
	}
	return nil
}

// absPathAt is absPath for member name of element a, named only on error.
func absPathAt(a at, name, p string) (string, error) {
	if p != "" && p[0] == '/' && !hasNUL(p) {
		return filepath.Clean(p), nil
	}
	return absPath(a.sub(name), p)
}

// absPath checks that p is a non-empty absolute path without NUL bytes
// and returns it cleaned.
func absPath(field, p string) (string, error) {
	if p == "" {
		return "", fieldErr(field, "must not be empty")
	}
	if err := noNUL(field, p); err != nil {
		return "", err
	}
	if !filepath.IsAbs(p) {
		return "", fieldErr(field, "%q is not an absolute path", p)
	}
	return filepath.Clean(p), nil
}
