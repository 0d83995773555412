package cmdutil

import (
	"context"
	"errors"
	"fmt"

	"github.com/pskit/pskit/internal/cli/iostreams"
	"github.com/pskit/pskit/internal/output"
)

// RecordOutput writes a stream of records as the output flags say: the
// format, --jq or --template, to stdout or to --output FILE, which appears
// (mode 0600) only when Finish succeeds.
type RecordOutput struct {
	sink *Sink
	w    output.Writer
	file string
}

// Open prepares the output of a list; call Finish on success or Abort.
func (o *OutputFlags) Open(ios *iostreams.IOStreams) (*RecordOutput, error) {
	return o.open(ios, false)
}

func (o *OutputFlags) open(ios *iostreams.IOStreams, single bool) (*RecordOutput, error) {
	opts, err := o.Options(ios, single)
	if err != nil {
		return nil, err
	}
	s, err := OpenSink(ios, o.File)
	if err != nil {
		return nil, err
	}
	w, err := output.New(s.W, opts)
	if err != nil {
		s.Stop(nil)
		return nil, UsageError("%v", err)
	}
	return &RecordOutput{sink: s, w: w, file: o.ToFile()}, nil
}

// Write adds one record (a JSON object).
func (r *RecordOutput) Write(rec any) error {
	if err := r.w.Write(rec); err != nil {
		return fmt.Errorf("writing output: %w", err)
	}
	return nil
}

// Count is the number of records written so far.
func (r *RecordOutput) Count() int { return r.w.Count() }

// Finish flushes the records and, with --output, puts the file in place.
func (r *RecordOutput) Finish() error {
	if err := r.w.Close(); err != nil {
		r.sink.Stop(nil)
		return fmt.Errorf("writing output: %w", err)
	}
	return r.sink.Commit()
}

// Abort drops a partial --output file, or passes on to stdout the whole
// records written so far.
func (r *RecordOutput) Abort() { r.sink.Stop(r.w) }

// Explain turns a failed pull into the error to show: interrupted runs exit
// 2, and the message says how many records came and that --output was not
// written.
func (r *RecordOutput) Explain(err error, t *Target) error {
	written := r.Count()
	where := ""
	if r.file != "" {
		where = fmt.Sprintf("; %s was not written", r.file)
	}
	if errors.Is(err, context.Canceled) {
		return &ExitError{Code: ExitUsage, Err: fmt.Errorf("interrupted after %d records%s", written, where)}
	}
	if t != nil {
		err = t.Explain(err)
	}
	if written > 0 || r.file != "" {
		return &ExitError{Code: ExitCode(err), Err: fmt.Errorf("%w\n(%d records were received before the failure%s)", err, written, where)}
	}
	return err
}
