package specconv

// A reflection-free decoder of config.json. The first json.Unmarshal into a
// *specs.Spec makes encoding/json build its caches for the whole
// runtime-spec type graph (every platform), about 1 ms of a `husk run`
// that the short-lived process never gets back. fastSpec decodes into the
// very same specs.Spec without reflection: a small scanner builds a generic
// tree (what encoding/json decodes into an `any` with UseNumber), then one
// function per spec struct copies it field by field, in spec order.
//
// fastSpec never makes errors: on anything it is not sure to decode exactly
// as json.Unmarshal does it says "not ok" and parseSpec falls back to
// encoding/json, which makes the error (or decodes what fastSpec left to
// it). Not ok, by design:
//   - invalid JSON, data after the value, a top level that is not an object,
//     nesting deeper than maxFastDepth;
//   - strings holding invalid UTF-8 or an escaped lone surrogate
//     (encoding/json turns them into U+FFFD);
//   - any value whose JSON type does not fit the field, numbers out of the
//     field's range or with a fraction or exponent for integers;
//   - a key that is not a field's name but equals one case-insensitively
//     (encoding/json would use it for that field);
//   - a field given twice, unless the first value is null or both are
//     strings or both booleans (encoding/json merges objects and arrays
//     given twice and reports type errors of the first value too);
//   - a non-null solaris, windows, vm, zos or freebsd section.
//
// No runtime-spec v1.3.0 type implements json.Unmarshaler or
// encoding.TextUnmarshaler, so plain field copies are exact;
// TestFastSpecNoUnmarshaler checks that this stays so, and
// TestMaximalSpecIsComplete that the tests cover every field.

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// fastSpec decodes config.json as json.Unmarshal into a *specs.Spec does,
// or reports false when it leaves the input to encoding/json.
func fastSpec(data []byte) (*specs.Spec, bool) {
	v, ok := scanJSON(data)
	if !ok {
		return nil, false
	}
	if _, isObj := v.(map[string]any); !isObj {
		return nil, false
	}
	d := &fastDec{seen: make([]string, 0, 64)}
	spec := new(specs.Spec)
	fastSpecObj(d, v, spec)
	if d.bad {
		return nil, false
	}
	return spec, true
}

// fastDec is the state of a conversion: whether it failed, and the field
// names looked up in the objects being converted (a stack: an object's
// names follow its parent's).
type fastDec struct {
	bad  bool
	seen []string
}

func (d *fastDec) fail() { d.bad = true }

// jsonObj is a JSON object being converted into a struct.
type jsonObj struct {
	d     *fastDec
	m     map[string]any
	start int // its names in d.seen
}

// open starts converting v into a struct: null sets nothing (m stays nil,
// so every lookup finds nothing), anything but an object fails.
func (d *fastDec) open(v any) jsonObj {
	o := jsonObj{d: d, start: len(d.seen)}
	switch v := v.(type) {
	case nil:
	case map[string]any:
		o.m = v
	default:
		d.fail()
	}
	return o
}

// get looks up the field key; nil means absent or null.
func (o jsonObj) get(key string) any {
	o.d.seen = append(o.d.seen, key)
	v := o.m[key]
	if _, dup := v.(dupKey); dup {
		o.d.fail()
		return nil
	}
	return v
}

// absent refuses a non-null key (a section left to encoding/json).
func (o jsonObj) absent(key string) {
	if o.get(key) != nil {
		o.d.fail()
	}
}

// close ends the conversion of o: encoding/json would use a key equal
// to a field's name but for case for that field; fastSpec refuses it.
// Other unknown keys are ignored.
func (o jsonObj) close() {
	names := o.d.seen[o.start:]
	for k := range o.m {
		if slices.Contains(names, k) {
			continue
		}
		for _, n := range names {
			if strings.EqualFold(k, n) {
				o.d.fail()
			}
		}
	}
	o.d.seen = o.d.seen[:o.start]
}

// A converter decodes v (nil for null: it then sets nothing) into *p.
type converter[T any] func(d *fastDec, v any, p *T)

func toStr[T ~string](d *fastDec, v any, p *T) {
	switch v := v.(type) {
	case nil:
	case string:
		*p = T(v)
	default:
		d.fail()
	}
}

func toBool(d *fastDec, v any, p *bool) {
	switch v := v.(type) {
	case nil:
	case bool:
		*p = v
	default:
		d.fail()
	}
}

type integer interface {
	~int | ~int16 | ~int32 | ~int64 | ~uint | ~uint16 | ~uint32 | ~uint64 | ~uintptr
}

// toNum parses an integer as encoding/json does: strconv on the number's
// text (no fraction, no exponent, no minus sign for unsigned types), then
// a range check.
func toNum[T integer](d *fastDec, v any, p *T) {
	if v == nil {
		return
	}
	n, ok := v.(json.Number)
	if !ok {
		d.fail()
		return
	}
	var zero T
	if zero-1 < zero { // signed
		i, err := strconv.ParseInt(string(n), 10, 64)
		if err != nil || int64(T(i)) != i {
			d.fail()
			return
		}
		*p = T(i)
	} else {
		u, err := strconv.ParseUint(string(n), 10, 64)
		if err != nil || uint64(T(u)) != u {
			d.fail()
			return
		}
		*p = T(u)
	}
}

// get decodes the field key of o into *p.
func get[T any](o jsonObj, key string, p *T, conv converter[T]) {
	conv(o.d, o.get(key), p)
}

// getPtr decodes a pointer field: null leaves it nil.
func getPtr[T any](o jsonObj, key string, p **T, conv converter[T]) {
	if v := o.get(key); v != nil {
		*p = new(T)
		conv(o.d, v, *p)
	}
}

// getSlice decodes an array field: null leaves it nil, [] makes it empty,
// a null element is the zero value.
func getSlice[T any](o jsonObj, key string, p *[]T, conv converter[T]) {
	v := o.get(key)
	if v == nil {
		return
	}
	a, ok := v.([]any)
	if !ok {
		o.d.fail()
		return
	}
	s := make([]T, len(a))
	for i, e := range a {
		conv(o.d, e, &s[i])
	}
	*p = s
}

// getMap decodes a map field: null leaves it nil, {} makes it empty, a
// null value is the zero value.
func getMap[T any](o jsonObj, key string, p *map[string]T, conv converter[T]) {
	v := o.get(key)
	if v == nil {
		return
	}
	m, ok := v.(map[string]any)
	if !ok {
		o.d.fail()
		return
	}
	r := make(map[string]T, len(m))
	for k, e := range m {
		var x T
		conv(o.d, e, &x) // a dupKey e fails
		r[k] = x
	}
	*p = r
}

// getMapK is getMap for a map with a named string key type.
func getMapK[M ~map[K]T, K ~string, T any](o jsonObj, key string, p *M, conv converter[T]) {
	var m map[string]T
	getMap(o, key, &m, conv)
	if m == nil {
		return
	}
	r := make(M, len(m))
	for k, x := range m {
		r[K(k)] = x
	}
	*p = r
}

// elemPtr makes a converter for the *T elements of a []*T: null is nil.
func elemPtr[T any](conv converter[T]) converter[*T] {
	return func(d *fastDec, v any, p **T) {
		if v != nil {
			*p = new(T)
			conv(d, v, *p)
		}
	}
}

// ---- Spec, Root, Mount, Hooks ----

func fastSpecObj(d *fastDec, v any, s *specs.Spec) {
	o := d.open(v)
	defer o.close()
	get(o, "ociVersion", &s.Version, toStr)
	getPtr(o, "process", &s.Process, fastProcess)
	getPtr(o, "root", &s.Root, fastRoot)
	get(o, "hostname", &s.Hostname, toStr)
	get(o, "domainname", &s.Domainname, toStr)
	getSlice(o, "mounts", &s.Mounts, fastMount)
	getPtr(o, "hooks", &s.Hooks, fastHooks)
	getMap(o, "annotations", &s.Annotations, toStr)
	getPtr(o, "linux", &s.Linux, fastLinux)
	// Left to encoding/json (husk refuses them later anyway).
	o.absent("solaris")
	o.absent("windows")
	o.absent("vm")
	o.absent("zos")
	o.absent("freebsd")
}

func fastRoot(d *fastDec, v any, r *specs.Root) {
	o := d.open(v)
	defer o.close()
	get(o, "path", &r.Path, toStr)
	get(o, "readonly", &r.Readonly, toBool)
}

func fastMount(d *fastDec, v any, m *specs.Mount) {
	o := d.open(v)
	defer o.close()
	get(o, "destination", &m.Destination, toStr)
	get(o, "type", &m.Type, toStr)
	get(o, "source", &m.Source, toStr)
	getSlice(o, "options", &m.Options, toStr)
	getSlice(o, "uidMappings", &m.UIDMappings, fastIDMapping)
	getSlice(o, "gidMappings", &m.GIDMappings, fastIDMapping)
}

func fastHooks(d *fastDec, v any, h *specs.Hooks) {
	o := d.open(v)
	defer o.close()
	getSlice(o, "prestart", &h.Prestart, fastHook)
	getSlice(o, "createRuntime", &h.CreateRuntime, fastHook)
	getSlice(o, "createContainer", &h.CreateContainer, fastHook)
	getSlice(o, "startContainer", &h.StartContainer, fastHook)
	getSlice(o, "poststart", &h.Poststart, fastHook)
	getSlice(o, "poststop", &h.Poststop, fastHook)
}

func fastHook(d *fastDec, v any, h *specs.Hook) {
	o := d.open(v)
	defer o.close()
	get(o, "path", &h.Path, toStr)
	getSlice(o, "args", &h.Args, toStr)
	getSlice(o, "env", &h.Env, toStr)
	getPtr(o, "timeout", &h.Timeout, toNum)
}
