package mirror

import (
	"bytes"
	"testing"
)

// unescapeCopy reads a field of COPY's text format back (the escapes
// appendCopyEscaped writes).
func unescapeCopy(b []byte) ([]byte, bool) {
	var out []byte
	for i := 0; i < len(b); i++ {
		switch c := b[i]; {
		case c == '\t' || c == '\n' || c == '\r':
			return nil, false // a raw separator would split the field
		case c != '\\':
			out = append(out, c)
		case i+1 == len(b):
			return nil, false
		default:
			i++
			switch b[i] {
			case '\\':
				out = append(out, '\\')
			case 't':
				out = append(out, '\t')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			default:
				return nil, false
			}
		}
	}
	return out, true
}

func FuzzAppendCopyEscaped(f *testing.F) {
	for _, s := range []string{"", "plain", "tab\there", "a\nb\rc", `back\slash`, `\N`, `\\t`, "ünï ☃", "\x00\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		enc := appendCopyEscapedBytes([]byte("x"), v)
		if !bytes.HasPrefix(enc, []byte("x")) {
			t.Fatalf("the buffer's start was lost: %q", enc)
		}
		got, ok := unescapeCopy(enc[1:])
		if !ok || !bytes.Equal(got, v) {
			t.Fatalf("%q encodes as %q, which reads back as %q (ok %v)", v, enc[1:], got, ok)
		}
		if s := string(appendCopyEscaped(nil, string(v))); s != string(enc[1:]) {
			t.Fatalf("string and bytes encode differently: %q, %q", s, enc[1:])
		}
	})
}
