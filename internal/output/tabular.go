package output

import (
	"encoding/csv"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"
)

// sink receives a header once, then rows.
type sink interface {
	header(cols []string) error
	row(cells []string) error
	flush() error
}

// tabular picks columns (from --fields, or from the first HeaderSample
// records) and feeds rows of cells to a sink.
type tabular struct {
	w       *recordBuffer
	opts    Options
	sink    sink
	cols    []string
	pending []*row          // records held while the columns are not yet known
	known   map[string]bool // set of cols
	cells   []string        // reused row buffer
	dropped map[string]bool
	n       int
}

func newTabular(w *recordBuffer, opts Options, s sink) *tabular {
	t := &tabular{w: w, opts: opts, sink: s}
	if len(opts.Fields) > 0 {
		t.cols = opts.Fields
	}
	return t
}

func (t *tabular) Write(rec any) error {
	r, err := newRow(rec)
	if err != nil {
		return err
	}
	t.n++
	if t.cols == nil || t.pending != nil {
		t.pending = append(t.pending, r)
		if len(t.pending) >= HeaderSample {
			return t.start()
		}
		return nil
	}
	if t.n == 1 {
		if err := t.sink.header(t.cols); err != nil {
			return err
		}
	}
	return t.emit(r)
}

// start fixes the columns from the held records and writes them out.
func (t *tabular) start() error {
	if t.cols == nil {
		seen := map[string]bool{}
		t.cols = []string{}
		for _, r := range t.pending {
			fs, err := r.leaves()
			if err != nil {
				return err
			}
			for _, f := range fs {
				if !seen[f.name] {
					seen[f.name] = true
					t.cols = append(t.cols, f.name)
				}
			}
		}
	}
	if err := t.sink.header(t.cols); err != nil {
		return err
	}
	for _, r := range t.pending {
		if err := t.emit(r); err != nil {
			return err
		}
	}
	t.pending = nil
	return nil
}

func (t *tabular) emit(r *row) error {
	if t.cells == nil {
		t.cells = make([]string, len(t.cols))
	}
	cells := t.cells
	found := 0
	for i, c := range t.cols {
		cells[i] = ""
		if v, ok := r.get(c); ok {
			cells[i] = cell(v)
			if _, text := v.(string); text && t.opts.Format == CSV && !t.opts.CSVRaw {
				cells[i] = neutralizeFormula(cells[i])
			}
			found++
		}
	}
	// Columns come from the data: a record with more leaves than matched
	// columns has keys the header lacks.
	if len(t.opts.Fields) == 0 && leafCount(r.decoded()) > found {
		t.noteDropped(r)
	}
	if err := t.sink.row(cells); err != nil {
		return err
	}
	return t.w.endRecord()
}

// Abort passes on the rows written so far. Rows still held to choose the
// columns are written first: they are whole records too.
func (t *tabular) Abort() error {
	if t.pending != nil {
		if err := t.start(); err != nil {
			return err
		}
	}
	if err := t.sink.flush(); err != nil {
		return err
	}
	t.w.mark = len(t.w.buf)
	return t.w.flushWhole()
}

// neutralizeFormula puts a ' before text that a spreadsheet would run as a
// formula (=HYPERLINK(...), +cmd, -2+3, @SUM, or a leading tab or CR).
func neutralizeFormula(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (t *tabular) noteDropped(r *row) {
	if t.known == nil {
		t.known = make(map[string]bool, len(t.cols))
		for _, c := range t.cols {
			t.known[c] = true
		}
	}
	fs, _ := r.leaves()
	for _, f := range fs {
		if !t.known[f.name] {
			if t.dropped == nil {
				t.dropped = map[string]bool{}
			}
			if len(t.dropped) < 20 {
				t.dropped[f.name] = true
			}
		}
	}
}

func (t *tabular) Close() error {
	if t.pending != nil || (t.cols != nil && t.n == 0 && len(t.opts.Fields) > 0) {
		if err := t.start(); err != nil {
			return err
		}
	}
	if err := t.sink.flush(); err != nil {
		return err
	}
	if len(t.dropped) > 0 && t.opts.Warn != nil {
		names := make([]string, 0, len(t.dropped))
		for n := range t.dropped {
			names = append(names, n)
		}
		sort.Strings(names)
		fmt.Fprintf(t.opts.Warn, "warning: columns were chosen from the first %d records; later records also had %s, which were left out: choose columns with --fields, or use -o json/ndjson\n", HeaderSample, strings.Join(names, ", "))
	}
	return t.w.Flush()
}

func (t *tabular) Count() int { return t.n }

type csvSink struct{ w *csv.Writer }

func newCSVSink(w *recordBuffer) *csvSink { return &csvSink{w: csv.NewWriter(w)} }

func (c *csvSink) header(cols []string) error { return c.row(cols) }

// row writes and flushes one record, so the buffer below only ever holds
// whole records.
func (c *csvSink) row(cells []string) error {
	if err := c.w.Write(cells); err != nil {
		return err
	}
	c.w.Flush()
	return c.w.Error()
}
func (c *csvSink) flush() error { c.w.Flush(); return c.w.Error() }

// tsvSink writes tab-separated lines with a header line, for pipes.
type tsvSink struct{ w *recordBuffer }

func (s *tsvSink) header(cols []string) error { return s.row(cols) }
func (s *tsvSink) row(cells []string) error {
	for i, c := range cells {
		if i > 0 {
			s.w.WriteByte('\t')
		}
		s.w.WriteString(clean(c))
	}
	_, err := s.w.WriteString("\n")
	return err
}
func (s *tsvSink) flush() error { return nil }

// clean keeps a cell on one line and out of the way of tab separators, and
// shows other control characters (ESC, BEL, C1 codes, DEL) as \xNN / \uNNNN
// so that data cannot drive the terminal.
func clean(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '\t' || r == '\r' || r == '\n':
			b.WriteByte(' ')
		case r < 0x80 && isControl(r):
			fmt.Fprintf(&b, "\\x%02x", r)
		case isControl(r):
			fmt.Fprintf(&b, "\\u%04x", r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' || r == '\u202e'
}

// MaxCellWidth is where aligned table cells are cut, with an ellipsis.
const MaxCellWidth = 48

// alignedSink buffers every row to pad columns, gh style: upper-case
// header, two spaces between columns.
type alignedSink struct {
	w    *recordBuffer
	rows [][]string
}

func (a *alignedSink) header(cols []string) error {
	h := make([]string, len(cols))
	for i, c := range cols {
		h[i] = strings.ToUpper(c)
	}
	a.rows = append(a.rows, h)
	return nil
}

func (a *alignedSink) row(in []string) error {
	cells := make([]string, len(in))
	for i, c := range in {
		c = clean(c)
		if utf8.RuneCountInString(c) > MaxCellWidth {
			c = string([]rune(c)[:MaxCellWidth-1]) + "…"
		}
		cells[i] = c
	}
	a.rows = append(a.rows, cells)
	return nil
}

func (a *alignedSink) flush() error {
	if len(a.rows) == 0 {
		return nil
	}
	widths := make([]int, len(a.rows[0]))
	for _, r := range a.rows {
		for i, c := range r {
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	for _, r := range a.rows {
		var line strings.Builder
		for i, c := range r {
			line.WriteString(c)
			if i < len(r)-1 {
				line.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
			}
		}
		a.w.WriteString(strings.TrimRight(line.String(), " "))
		a.w.WriteString("\n")
	}
	a.rows = nil
	return nil
}

// kvWriter prints one object as "key  value" lines (aligned on a terminal,
// tab-separated otherwise).
type kvWriter struct {
	w    *recordBuffer
	opts Options
	n    int
}

func (k *kvWriter) Write(rec any) error {
	r, err := newRow(rec)
	if err != nil {
		return err
	}
	k.n++
	var s sink = &tsvSink{w: k.w}
	if k.opts.TTY {
		s = &alignedSink{w: k.w}
	}
	names := k.opts.Fields
	if len(names) == 0 {
		fs, err := r.leaves()
		if err != nil {
			return err
		}
		for _, f := range fs {
			names = append(names, f.name)
		}
	}
	for _, n := range names {
		v, _ := r.get(n)
		if err := s.row([]string{n, cell(v)}); err != nil {
			return err
		}
	}
	if err := s.flush(); err != nil {
		return err
	}
	return k.w.endRecord()
}

func (k *kvWriter) Close() error { return k.w.Flush() }
func (k *kvWriter) Abort() error { return k.w.Flush() }
func (k *kvWriter) Count() int   { return k.n }
