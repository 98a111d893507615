package specconv

// The JSON scanner of fastSpec (see fastjson.go). It is its own rather
// than encoding/json's decoding into an `any` because it sees keys given
// twice, and because it is faster.

import (
	"bytes"
	"encoding/json"
	"unicode/utf16"
	"unicode/utf8"
)

// maxFastDepth bounds the nesting (encoding/json refuses more than 10000).
const maxFastDepth = 1000

// dupKey is the value of a key given twice in a way fastSpec does not
// decode (see replaces); every converter refuses it, unknown keys are
// ignored as ever.
type dupKey struct{}

// jsonScanner parses JSON into map[string]any, []any, string, json.Number,
// bool and nil.
type jsonScanner struct {
	data  []byte
	i     int
	depth int
}

// scanJSON parses data, which must be a single JSON value.
func scanJSON(data []byte) (any, bool) {
	s := jsonScanner{data: data}
	v, ok := s.value()
	s.space()
	return v, ok && s.i == len(s.data)
}

func (s *jsonScanner) peek() byte {
	if s.i < len(s.data) {
		return s.data[s.i]
	}
	return 0
}

func (s *jsonScanner) space() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *jsonScanner) value() (any, bool) {
	s.space()
	switch s.peek() {
	case '{':
		return s.object()
	case '[':
		return s.array()
	case '"':
		return s.string()
	case 't':
		return true, s.literal("true")
	case 'f':
		return false, s.literal("false")
	case 'n':
		return nil, s.literal("null")
	}
	return s.number()
}

func (s *jsonScanner) literal(lit string) bool {
	if !bytes.HasPrefix(s.data[s.i:], []byte(lit)) {
		return false
	}
	s.i += len(lit)
	return true
}

func (s *jsonScanner) object() (any, bool) {
	if s.depth++; s.depth > maxFastDepth {
		return nil, false
	}
	s.i++ // {
	m := make(map[string]any)
	if s.space(); s.peek() == '}' {
		s.i++
		s.depth--
		return m, true
	}
	for {
		if s.space(); s.peek() != '"' {
			return nil, false
		}
		k, ok := s.string()
		if s.space(); !ok || s.peek() != ':' {
			return nil, false
		}
		s.i++
		v, ok := s.value()
		if !ok {
			return nil, false
		}
		if old, dup := m[k]; dup && !replaces(old, v) {
			v = dupKey{}
		}
		m[k] = v
		s.space()
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			s.depth--
			return m, true
		default:
			return nil, false
		}
	}
}

// replaces reports whether, for a key given twice, keeping the last value
// is what encoding/json does whatever the field: the first one is null
// (which never fails and sets nothing yet) or both are strings or both
// booleans (same success; the last one wins).
func replaces(old, v any) bool {
	switch old.(type) {
	case nil:
		return true
	case string:
		_, ok := v.(string)
		return ok
	case bool:
		_, ok := v.(bool)
		return ok
	}
	return false
}

func (s *jsonScanner) array() (any, bool) {
	if s.depth++; s.depth > maxFastDepth {
		return nil, false
	}
	s.i++ // [
	a := []any{}
	if s.space(); s.peek() == ']' {
		s.i++
		s.depth--
		return a, true
	}
	for {
		v, ok := s.value()
		if !ok {
			return nil, false
		}
		a = append(a, v)
		s.space()
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			s.depth--
			return a, true
		default:
			return nil, false
		}
	}
}

// string parses a string; buf holds the decoded text once an escape is
// met, start is where the pending raw run begins.
func (s *jsonScanner) string() (string, bool) {
	s.i++ // "
	var buf []byte
	start := s.i
	for s.i < len(s.data) {
		switch c := s.data[s.i]; {
		case c == '"':
			raw := s.data[start:s.i]
			s.i++
			if buf == nil {
				return string(raw), true
			}
			return string(append(buf, raw...)), true
		case c == '\\':
			buf = append(buf, s.data[start:s.i]...)
			r, ok := s.escape()
			if !ok {
				return "", false
			}
			buf = utf8.AppendRune(buf, r)
			start = s.i
		case c < 0x20:
			return "", false
		case c < utf8.RuneSelf:
			s.i++
		default:
			r, n := utf8.DecodeRune(s.data[s.i:])
			if r == utf8.RuneError && n == 1 {
				return "", false
			}
			s.i += n
		}
	}
	return "", false
}

// escape decodes the escape sequence at s.i (a backslash).
func (s *jsonScanner) escape() (rune, bool) {
	if s.i+1 >= len(s.data) {
		return 0, false
	}
	c := s.data[s.i+1]
	s.i += 2
	switch c {
	case '"', '\\', '/':
		return rune(c), true
	case 'b':
		return '\b', true
	case 'f':
		return '\f', true
	case 'n':
		return '\n', true
	case 'r':
		return '\r', true
	case 't':
		return '\t', true
	case 'u':
		r, ok := s.hex4()
		if !ok || !utf16.IsSurrogate(r) {
			return r, ok
		}
		if r >= 0xdc00 || !s.literal(`\u`) {
			return 0, false
		}
		lo, ok := s.hex4()
		if r = utf16.DecodeRune(r, lo); !ok || r == utf8.RuneError {
			return 0, false
		}
		return r, true
	}
	return 0, false
}

func (s *jsonScanner) hex4() (rune, bool) {
	if s.i+4 > len(s.data) {
		return 0, false
	}
	var r rune
	for _, c := range s.data[s.i : s.i+4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c -= 'a' - 10
		case 'A' <= c && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	s.i += 4
	return r, true
}

// number checks the JSON number grammar:
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *jsonScanner) number() (any, bool) {
	start := s.i
	if s.peek() == '-' {
		s.i++
	}
	switch c := s.peek(); {
	case c == '0':
		s.i++
	case '1' <= c && c <= '9':
		s.digits()
	default:
		return nil, false
	}
	if s.peek() == '.' {
		s.i++
		if !s.digits() {
			return nil, false
		}
	}
	if c := s.peek(); c == 'e' || c == 'E' {
		s.i++
		if c := s.peek(); c == '+' || c == '-' {
			s.i++
		}
		if !s.digits() {
			return nil, false
		}
	}
	return json.Number(s.data[start:s.i]), true
}

func (s *jsonScanner) digits() bool {
	start := s.i
	for s.i < len(s.data) && '0' <= s.data[s.i] && s.data[s.i] <= '9' {
		s.i++
	}
	return s.i > start
}
