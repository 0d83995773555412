package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// field is one leaf of a record: a dotted path and a scalar value (string,
// json.Number, bool or nil). Empty objects and arrays are leaves with "".
type field struct {
	name  string
	value any
}

// toRaw turns a record into JSON: json.RawMessage and []byte are used as
// they are, anything else is marshalled (struct fields keep their order, map
// keys are sorted).
func toRaw(rec any) (json.RawMessage, error) {
	switch r := rec.(type) {
	case json.RawMessage:
		return r, nil
	case []byte:
		return r, nil
	}
	b, err := json.Marshal(rec)
	if err != nil {
		return nil, fmt.Errorf("encoding record: %w", err)
	}
	return b, nil
}

// flatten lists the leaves of a JSON document in document order, nested
// keys joined with '.', array elements by index (phones.0.number).
func flatten(raw json.RawMessage) ([]field, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out []field
	if err := flattenValue(dec, "", &out); err != nil {
		return nil, fmt.Errorf("record is not valid JSON: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("record is not valid JSON: trailing data")
	}
	return out, nil
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

func flattenValue(dec *json.Decoder, prefix string, out *[]field) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	d, ok := tok.(json.Delim)
	if !ok {
		name := prefix
		if name == "" {
			name = "value"
		}
		*out = append(*out, field{name, tok})
		return nil
	}
	n := 0
	for dec.More() {
		var key string
		if d == '{' {
			kt, err := dec.Token()
			if err != nil {
				return err
			}
			key = kt.(string)
		} else {
			key = strconv.Itoa(n)
		}
		if err := flattenValue(dec, join(prefix, key), out); err != nil {
			return err
		}
		n++
	}
	if _, err := dec.Token(); err != nil { // closing delimiter
		return err
	}
	if n == 0 && prefix != "" {
		*out = append(*out, field{prefix, ""})
	}
	return nil
}

// decodeTree decodes a record into maps and slices, numbers as json.Number.
func decodeTree(raw json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("record is not valid JSON: %w", err)
	}
	return v, nil
}

// lookup walks a dotted path through a decoded tree.
func lookup(tree any, path string) (any, bool) {
	cur := tree
	for part := range strings.SplitSeq(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			v, ok := c[part]
			if !ok {
				return nil, false
			}
			cur = v
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i < 0 || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}

// cell renders a value for CSV and tables: scalars as text, null as empty,
// objects and arrays as compact JSON.
func cell(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// row is one record. Its ordered leaf list (needed to choose columns and
// for key/value output) is built only on demand, because the decoder's
// token stream is several times slower than decoding into a tree.
type row struct {
	raw     json.RawMessage
	fields  []field // nil until flattened
	index   map[string]int
	tree    any
	hasTree bool
}

func newRow(rec any) (*row, error) {
	raw, err := toRaw(rec)
	if err != nil {
		return nil, err
	}
	if !json.Valid(raw) {
		return nil, errors.New("record is not valid JSON")
	}
	return &row{raw: raw}, nil
}

// leaves returns the record's leaves in document order.
func (r *row) leaves() ([]field, error) {
	if r.fields == nil {
		fs, err := flatten(r.raw)
		if err != nil {
			return nil, err
		}
		r.fields = fs
		r.index = make(map[string]int, len(fs))
		for i, f := range fs {
			r.index[f.name] = i
		}
	}
	return r.fields, nil
}

func (r *row) decoded() any {
	if !r.hasTree {
		r.tree, _ = decodeTree(r.raw)
		r.hasTree = true
	}
	return r.tree
}

func (r *row) get(path string) (any, bool) {
	if r.index != nil {
		if i, ok := r.index[path]; ok {
			return r.fields[i].value, true
		}
	}
	if r.index == nil && !strings.Contains(path, ".") {
		if m, ok := r.decoded().(map[string]any); ok {
			v, ok := m[path]
			return v, ok
		}
	}
	return lookup(r.decoded(), path)
}

// leafCount counts the leaves flatten would list, without building names.
func leafCount(v any) int {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 0 {
			return 1
		}
		n := 0
		for _, c := range x {
			n += leafCount(c)
		}
		return n
	case []any:
		if len(x) == 0 {
			return 1
		}
		n := 0
		for _, c := range x {
			n += leafCount(c)
		}
		return n
	}
	return 1
}

// ordered is a JSON object that keeps its keys in insertion order.
type ordered struct {
	keys []string
	vals map[string]any
}

func (o *ordered) set(path []string, v any) {
	if o.vals == nil {
		o.vals = map[string]any{}
	}
	k := path[0]
	if len(path) == 1 {
		if _, ok := o.vals[k]; !ok {
			o.keys = append(o.keys, k)
		}
		o.vals[k] = v
		return
	}
	child, ok := o.vals[k].(*ordered)
	if !ok {
		if _, exists := o.vals[k]; !exists {
			o.keys = append(o.keys, k)
		}
		child = &ordered{}
		o.vals[k] = child
	}
	child.set(path[1:], v)
}

func (o *ordered) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range o.keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(o.vals[k])
		if err != nil {
			return nil, err
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// project keeps only the chosen fields, nested as in the source, in the
// order given. Missing fields are left out.
func project(r *row, fields []string) (json.RawMessage, error) {
	o := &ordered{}
	for _, f := range fields {
		v, ok := r.get(f)
		if !ok {
			continue
		}
		o.set(strings.Split(f, "."), v)
	}
	return json.Marshal(o)
}
