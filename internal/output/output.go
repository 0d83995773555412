// Package output writes records as JSON, NDJSON, CSV or a table.
//
// A record is one JSON object: a json.RawMessage, []byte, or any value
// encoding/json can marshal. Numbers are kept exactly (json.Number).
//
// Streaming: NDJSON writes each record as it arrives. CSV and piped tables
// (TSV) hold only the first HeaderSample records to pick their columns, then
// write record by record, so memory stays flat however many records come.
// Columns are the --fields list in its order when given; otherwise every
// flattened key of the first HeaderSample records, in first-seen order. Keys
// that first appear later are left out and named in one warning at Close.
// JSON writes one array, record by record. A table on a terminal is aligned,
// which needs every row first: it is meant for people, not for big pulls.
package output

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/pskit/pskit/internal/jsonraw"
)

// Format is an output format name as given to -o.
type Format string

// The output formats.
const (
	JSON   Format = "json"
	NDJSON Format = "ndjson"
	CSV    Format = "csv"
	Table  Format = "table"
)

// Formats lists the accepted -o values.
var Formats = []string{string(JSON), string(NDJSON), string(CSV), string(Table)}

// ParseFormat checks an -o value.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats {
		if strings.EqualFold(s, f) {
			return Format(f), nil
		}
	}
	return "", fmt.Errorf("unknown output format %q: use one of %s", s, strings.Join(Formats, ", "))
}

// ParseFields splits a --fields value ("id,name.last_name") into paths.
func ParseFields(s string) ([]string, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var out []string
	seen := map[string]bool{}
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" || strings.HasPrefix(f, ".") || strings.HasSuffix(f, ".") || strings.Contains(f, "..") {
			return nil, fmt.Errorf("invalid --fields %q: give comma-separated paths such as id,name.last_name", s)
		}
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	return out, nil
}

// HeaderSample is how many records CSV and TSV read to choose their columns
// when --fields is not given.
const HeaderSample = 100

// Options configures a Writer.
type Options struct {
	Format Format
	Fields []string  // chosen columns/paths; nil for all
	TTY    bool      // table: aligned with a header on a terminal, TSV otherwise
	Single bool      // a single object, not a list: JSON prints the object, tables print key/value lines
	Warn   io.Writer // where notes such as dropped columns go (stderr); may be nil
	// CSVRaw keeps CSV cells as the data has them. By default a text cell
	// starting with = + - @ tab or CR gets a leading ' so that spreadsheets
	// show it instead of running it as a formula.
	CSVRaw bool
	// JQ, when set, replaces the format: each record goes through this
	// jq expression and every result is printed on its own line (strings
	// as they are, other values as compact JSON).
	JQ string
	// Template, when set, replaces the format: a Go text/template run on
	// each record, followed by a newline unless it ends with one.
	Template string
}

// Writer writes records one at a time. Close must be called to flush.
type Writer interface {
	Write(record any) error
	Close() error
	// Count is the number of records written so far.
	Count() int
	// Abort passes on the whole records written so far, and nothing of a
	// record cut short, without a closing trailer: what a failed or
	// interrupted run leaves on stdout.
	Abort() error
}

// New returns a Writer for opts.Format over w.
func New(w io.Writer, opts Options) (Writer, error) {
	bw := newRecordBuffer(w)
	switch {
	case opts.JQ != "" && opts.Template != "":
		return nil, fmt.Errorf("--jq and --template cannot be combined: choose one")
	case opts.JQ != "":
		code, err := CompileJQ(opts.JQ)
		if err != nil {
			return nil, err
		}
		return &jqWriter{w: bw, code: code}, nil
	case opts.Template != "":
		t, err := CompileTemplate(opts.Template)
		if err != nil {
			return nil, err
		}
		return &templateWriter{w: bw, tmpl: t}, nil
	}
	switch opts.Format {
	case JSON, "":
		return &jsonWriter{w: bw, opts: opts}, nil
	case NDJSON:
		return &ndjsonWriter{w: bw, opts: opts}, nil
	case CSV:
		return newTabular(bw, opts, newCSVSink(bw)), nil
	case Table:
		if opts.Single {
			return &kvWriter{w: bw, opts: opts}, nil
		}
		if opts.TTY {
			return newTabular(bw, opts, &alignedSink{w: bw}), nil
		}
		return newTabular(bw, opts, &tsvSink{w: bw}), nil
	}
	return nil, fmt.Errorf("unknown output format %q: use one of %s", opts.Format, strings.Join(Formats, ", "))
}

// WriteOne writes a single object in the chosen format.
func WriteOne(w io.Writer, opts Options, record any) error {
	opts.Single = true
	ow, err := New(w, opts)
	if err != nil {
		return err
	}
	if err := ow.Write(record); err != nil {
		return err
	}
	return ow.Close()
}

// prepare returns the record's JSON, projected to opts.Fields when set.
func prepare(rec any, fields []string) (json.RawMessage, error) {
	raw, err := toRaw(rec)
	if err != nil {
		return nil, err
	}
	if len(fields) == 0 {
		return raw, nil
	}
	r, err := newRow(raw)
	if err != nil {
		return nil, err
	}
	return project(r, fields)
}

type ndjsonWriter struct {
	w    *recordBuffer
	opts Options
	n    int
}

func (n *ndjsonWriter) Write(rec any) error {
	raw, err := prepare(rec, n.opts.Fields)
	if err != nil {
		return err
	}
	// Straight into the output buffer, one walk over the record.
	b, err := jsonraw.AppendCompact(n.w.buf, raw)
	if err != nil {
		return fmt.Errorf("record is not valid JSON: %w", err)
	}
	n.w.buf = append(b, '\n')
	n.n++
	return n.w.endRecord()
}

func (n *ndjsonWriter) Close() error { return n.w.Flush() }
func (n *ndjsonWriter) Abort() error { return n.w.flushWhole() }
func (n *ndjsonWriter) Count() int   { return n.n }

type jsonWriter struct {
	w    *recordBuffer
	opts Options
	n    int
}

func (j *jsonWriter) Write(rec any) error {
	raw, err := prepare(rec, j.opts.Fields)
	if err != nil {
		return err
	}
	prefix, sep := "  ", "[\n  "
	if j.n > 0 {
		sep = ",\n  "
	}
	if j.opts.Single {
		if j.n > 0 {
			return fmt.Errorf("internal error: second record written to a single-object writer")
		}
		prefix, sep = "", ""
	}
	var buf strings.Builder
	buf.WriteString(sep)
	if err := indentTo(&buf, raw, prefix); err != nil {
		return err
	}
	j.w.WriteString(buf.String())
	j.n++
	return j.w.endRecord()
}

// Abort leaves the array unclosed: a reader sees the run did not finish.
func (j *jsonWriter) Abort() error { return j.w.flushWhole() }

func (j *jsonWriter) Close() error {
	switch {
	case j.opts.Single:
		j.w.WriteString("\n")
	case j.n == 0:
		j.w.WriteString("[]\n")
	default:
		j.w.WriteString("\n]\n")
	}
	return j.w.Flush()
}

func (j *jsonWriter) Count() int { return j.n }

func indentTo(b *strings.Builder, raw json.RawMessage, prefix string) error {
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, prefix, "  "); err != nil {
		return fmt.Errorf("record is not valid JSON: %w", err)
	}
	b.Write(buf.Bytes())
	return nil
}

// FormatForFile is the format a file name's extension implies: .json,
// .ndjson or .jsonl, .csv, and .tsv or .txt for a (tab-separated) table.
func FormatForFile(name string) (Format, bool) {
	ext := strings.ToLower(name)
	if i := strings.LastIndexByte(ext, '.'); i >= 0 && !strings.ContainsAny(ext[i:], `/\`) {
		ext = ext[i:]
	} else {
		return "", false
	}
	switch ext {
	case ".json":
		return JSON, true
	case ".ndjson", ".jsonl":
		return NDJSON, true
	case ".csv":
		return CSV, true
	case ".tsv", ".txt":
		return Table, true
	}
	return "", false
}

// IsFormatName reports whether s is an output format's name (json, csv,
// ...), as a user might give to --output when they meant -o.
func IsFormatName(s string) bool {
	_, err := ParseFormat(s)
	return err == nil || strings.EqualFold(s, "tsv") || strings.EqualFold(s, "jsonl")
}
