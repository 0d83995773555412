package data

import (
	"context"
	"errors"
	"fmt"

	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
	"github.com/pskit/pskit/internal/output"
)

// RecordOutput writes a stream of records in the -o format to stdout, or to
// --output FILE, which appears (mode 0600) only when Finish succeeds. Other
// command groups (query, table) use it to behave like the list commands.
type RecordOutput struct {
	sink *sink
	w    output.Writer
	file string
}

// OpenRecordOutput prepares the output; call Finish on success or Abort.
func OpenRecordOutput(ios *iostreams.IOStreams, of cmdutil.OutputFlags, file string) (*RecordOutput, error) {
	opts, err := of.Options(ios, false)
	if err != nil {
		return nil, err
	}
	s, err := openSink(ios, file)
	if err != nil {
		return nil, err
	}
	if file != "" {
		opts.TTY = false
	}
	w, err := output.New(s.w, opts)
	if err != nil {
		s.stop(nil)
		return nil, cmdutil.UsageError("%v", err)
	}
	return &RecordOutput{sink: s, w: w, file: file}, nil
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
		r.sink.stop(nil)
		return fmt.Errorf("writing output: %w", err)
	}
	return r.sink.commit()
}

// Abort drops a partial --output file, or passes on to stdout the whole
// records written so far.
func (r *RecordOutput) Abort() { r.sink.stop(r.w) }

// Explain turns a failed pull into the error to show: interrupted runs exit
// 2, and the message says how many records came and that --output was not
// written.
func (r *RecordOutput) Explain(err error, t *cmdutil.Target) error {
	written := r.Count()
	where := ""
	if r.file != "" {
		where = fmt.Sprintf("; %s was not written", r.file)
	}
	if errors.Is(err, context.Canceled) {
		return &cmdutil.ExitError{Code: cmdutil.ExitUsage, Err: fmt.Errorf("interrupted after %d records%s", written, where)}
	}
	if t != nil {
		err = t.Explain(err)
	}
	if written > 0 || r.file != "" {
		return &cmdutil.ExitError{Code: cmdutil.ExitCode(err), Err: fmt.Errorf("%w\n(%d records were received before the failure%s)", err, written, where)}
	}
	return err
}
