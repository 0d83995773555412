package output

import "io"

// flushSize is how much a writer holds before passing whole records on.
const flushSize = 64 << 10

// recordBuffer holds output in memory and passes it on only at record
// boundaries, so whatever reaches the destination (a file, a pipe, a
// terminal) ends with a whole record, even when the run stops half-way.
type recordBuffer struct {
	w    io.Writer
	buf  []byte
	mark int // end of the last whole record in buf
}

func newRecordBuffer(w io.Writer) *recordBuffer {
	return &recordBuffer{w: w, buf: make([]byte, 0, flushSize+4096)}
}

func (b *recordBuffer) Write(p []byte) (int, error) {
	b.buf = append(b.buf, p...)
	return len(p), nil
}

func (b *recordBuffer) WriteString(s string) (int, error) {
	b.buf = append(b.buf, s...)
	return len(s), nil
}

func (b *recordBuffer) WriteByte(c byte) error {
	b.buf = append(b.buf, c)
	return nil
}

// endRecord marks everything written so far as whole records, passing it
// on once enough has gathered.
func (b *recordBuffer) endRecord() error {
	b.mark = len(b.buf)
	if b.mark >= flushSize {
		return b.flushWhole()
	}
	return nil
}

// flushWhole passes on the whole records held and keeps the rest.
func (b *recordBuffer) flushWhole() error {
	if b.mark == 0 {
		return nil
	}
	_, err := b.w.Write(b.buf[:b.mark])
	n := copy(b.buf, b.buf[b.mark:])
	b.buf = b.buf[:n]
	b.mark = 0
	return err
}

// Flush passes on everything held.
func (b *recordBuffer) Flush() error {
	b.mark = len(b.buf)
	return b.flushWhole()
}
