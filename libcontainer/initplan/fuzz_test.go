package initplan

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"testing"
)

// FuzzDecode: Decode never panics on any input; a plan it accepts encodes
// back (New, Add, Bytes) into the same bytes but for the padding, which
// decodes into the same ops; and any plan built with Add from the input
// read as a recipe decodes back into exactly those ops.
func FuzzDecode(f *testing.F) {
	p := New()
	p.Add(OpMount, S("proc"), S("/proc"), S("proc"), I(0), S(""), I(0), U64s([]uint64{1}), I(0), I(0), I(-1), I(0))
	b, _ := p.Bytes()
	f.Add(b)
	p = New()
	p.Add(OpSetns, I(0x40000000), S("/proc/1/ns/net"))
	p.Add(OpExec, L([]string{"/bin/sh", "-c", "echo hi"}), L(nil))
	p.Add(OpUser, I(1000), I(1000), U32s([]uint32{1, 2}), I(1))
	p.Add(OpAffinity, B([]byte{1, 2, 3}))
	p.Add(OpNoNewPrivs)
	b, _ = p.Bytes()
	f.Add(b)
	f.Add([]byte{})
	f.Add([]byte("HUSK\x01\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if ops, err := Decode(data); err == nil {
			checkReencode(t, data, ops)
		} else if err.Error() == "" {
			t.Fatal("empty error")
		}
		want := recipe(data)
		p := New()
		for _, op := range want {
			p.Add(op.Code, op.Args...)
		}
		b, err := p.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		got, err := Decode(b)
		if err != nil {
			t.Fatalf("Decode of a built plan: %v", err)
		}
		if len(got) != len(want) {
			t.Fatalf("%d ops decoded, %d built", len(got), len(want))
		}
		for i := range got {
			if got[i].Code != want[i].Code || len(got[i].Args) != len(want[i].Args) {
				t.Fatalf("op %d: %+v, built %+v", i, got[i], want[i])
			}
			for j, a := range got[i].Args {
				w := want[i].Args[j]
				if a.Kind != w.Kind || a.Int != w.Int || !bytes.Equal(a.Bytes, w.Bytes) {
					t.Fatalf("op %d arg %d: %+v, built %+v", i, j, a, w)
				}
			}
		}
	})
}

// checkReencode encodes decoded ops again and compares.
func checkReencode(t *testing.T, data []byte, ops []Op) {
	t.Helper()
	_ = String(ops)
	p := New()
	for _, op := range ops {
		_ = op.Name()
		for i := range len(op.Args) + 1 {
			_, _ = op.Str(i), op.List(i)
		}
		p.Add(op.Code, op.Args...)
	}
	b, err := p.Bytes()
	if err != nil {
		t.Fatalf("re-encode: %v", err)
	}
	if len(b) != len(data) {
		t.Fatalf("re-encoded into %d bytes, from %d", len(b), len(data))
	}
	// The same bytes, padding aside (Decode skips it, Add writes zeros).
	for i := range b {
		if b[i] != data[i] && b[i] != 0 {
			t.Fatalf("re-encoded plan differs at byte %d", i)
		}
	}
	again, err := Decode(b)
	if err != nil {
		t.Fatalf("re-encoded plan: %v", err)
	}
	if !reflect.DeepEqual(again, ops) {
		t.Fatalf("re-encoded plan decodes into\n%s\nnot\n%s", String(again), String(ops))
	}
}

// recipe reads data as ops to build: per op a code byte and an arg count
// byte, per arg a kind byte (even: int of the next 8 bytes; odd: bytes of
// the length in the next byte).
func recipe(data []byte) []Op {
	next := func(n int) []byte {
		if n > len(data) {
			n = len(data)
		}
		b := data[:n]
		data = data[n:]
		return b
	}
	var ops []Op
	for len(data) >= 2 {
		h := next(2)
		op := Op{Code: 1 + uint32(h[0])%(OpMaxOp-1)}
		for range int(h[1]) % (MaxArgs + 1) {
			k := next(1)
			if len(k) == 0 {
				break
			}
			if k[0]%2 == 0 {
				var v [8]byte
				copy(v[:], next(8))
				op.Args = append(op.Args, I(int64(binary.LittleEndian.Uint64(v[:]))))
			} else {
				l := next(1)
				n := 0
				if len(l) > 0 {
					n = int(l[0])
				}
				op.Args = append(op.Args, B(append([]byte{}, next(n)...)))
			}
		}
		ops = append(ops, op)
	}
	return ops
}
