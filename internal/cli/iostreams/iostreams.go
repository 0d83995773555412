// Package iostreams holds psctl's standard streams and what it knows about
// them: data goes to Out, everything else (prompts, progress, logs, errors)
// to ErrOut, and tables and progress bars depend on whether they are
// terminals.
package iostreams

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// IOStreams are the streams a command reads and writes.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	inTTY, outTTY, errTTY bool
	inFd                  int
	// readPassword reads a line without echo (term.ReadPassword; tests
	// replace it).
	readPassword func(fd int) ([]byte, error)
}

// System returns the process's streams.
func System() *IOStreams {
	return &IOStreams{
		In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr,
		inTTY:  term.IsTerminal(int(os.Stdin.Fd())),
		outTTY: term.IsTerminal(int(os.Stdout.Fd())),
		errTTY: term.IsTerminal(int(os.Stderr.Fd())),
		inFd:   int(os.Stdin.Fd()),
	}
}

// Test returns streams over buffers, none of them a terminal.
func Test() (ios *IOStreams, in, out, errOut *bytes.Buffer) {
	in, out, errOut = &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut, inFd: -1}, in, out, errOut
}

// SetTTY marks the streams as terminals or not (tests).
func (s *IOStreams) SetTTY(in, out, err bool) { s.inTTY, s.outTTY, s.errTTY = in, out, err }

// IsStdinTTY reports whether standard input is a terminal.
func (s *IOStreams) IsStdinTTY() bool { return s.inTTY }

// IsStdoutTTY reports whether standard output is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.outTTY }

// IsStderrTTY reports whether standard error is a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.errTTY }

// ErrNoTTY means a prompt was needed but there is no terminal to show it.
var ErrNoTTY = errors.New("no terminal to prompt on")

// ErrAborted means the user pressed Ctrl-C or Ctrl-D (end of input) at a
// prompt.
var ErrAborted = errors.New("cancelled at the prompt")

// SetSecretReader makes ReadSecret read through f as if stdin were a
// terminal (tests).
func (s *IOStreams) SetSecretReader(f func() ([]byte, error)) {
	s.inTTY, s.inFd = true, 0
	s.readPassword = func(int) ([]byte, error) { return f() }
}

// ReadSecret prompts on ErrOut and reads a line from the terminal without
// echoing it. Ctrl-C (ctx cancelled by the interrupt) and Ctrl-D return
// ErrAborted at once, with the terminal restored: nothing typed afterwards
// is taken as the answer.
func (s *IOStreams) ReadSecret(ctx context.Context, prompt string) (string, error) {
	if !s.inTTY || s.inFd < 0 {
		return "", ErrNoTTY
	}
	read := s.readPassword
	if read == nil {
		read = term.ReadPassword
	}
	fmt.Fprint(s.ErrOut, prompt)
	state, _ := term.GetState(s.inFd)
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() { // abandoned on Ctrl-C: the process is about to exit
		b, err := read(s.inFd)
		done <- result{b, err}
	}()
	select {
	case r := <-done:
		fmt.Fprintln(s.ErrOut)
		// A line that arrives as Ctrl-C lands is not the secret: the
		// interrupt wins, whichever the select saw first.
		if errors.Is(r.err, io.EOF) || ctx.Err() != nil {
			return "", ErrAborted
		}
		if r.err != nil {
			return "", fmt.Errorf("reading from the terminal: %w", r.err)
		}
		return strings.TrimSpace(string(r.b)), nil
	case <-ctx.Done():
		if state != nil {
			_ = term.Restore(s.inFd, state)
		}
		fmt.Fprintln(s.ErrOut)
		return "", ErrAborted
	}
}

// ReadLine reads one line from In (--client-secret-stdin, confirmations).
// Ctrl-C (ctx cancelled) and an end of input before any text return
// ErrAborted.
func (s *IOStreams) ReadLine(ctx context.Context) (string, error) {
	type result struct {
		line string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := bufio.NewReader(s.In).ReadString('\n')
		done <- result{line, err}
	}()
	select {
	case r := <-done:
		if r.err != nil && !errors.Is(r.err, io.EOF) {
			return "", r.err
		}
		if errors.Is(r.err, io.EOF) && r.line == "" {
			return "", ErrAborted
		}
		return strings.TrimSpace(r.line), nil
	case <-ctx.Done():
		return "", ErrAborted
	}
}

// Progress returns a progress bar on ErrOut when it is a terminal, else
// nil. A nil *Progress is safe to use.
func (s *IOStreams) Progress(total int64, description string) *Progress {
	if !s.errTTY {
		return nil
	}
	if total <= 0 {
		total = -1 // unknown: a spinner
	}
	bar := progressbar.NewOptions64(total,
		progressbar.OptionSetWriter(s.ErrOut),
		progressbar.OptionSetDescription(description),
		progressbar.OptionShowCount(),
		progressbar.OptionShowIts(),
		progressbar.OptionSetItsString("records"),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100_000_000), // 100ms
		progressbar.OptionClearOnFinish(),
	)
	return &Progress{bar: bar}
}

// Progress is a progress bar that tolerates a nil receiver.
type Progress struct{ bar *progressbar.ProgressBar }

// Set moves the bar to n.
func (p *Progress) Set(n int64) {
	if p != nil {
		_ = p.bar.Set64(n)
	}
}

// SetTotal changes the expected total.
func (p *Progress) SetTotal(n int64) {
	if p != nil && n > 0 {
		p.bar.ChangeMax64(n)
	}
}

// Done removes the bar.
func (p *Progress) Done() {
	if p != nil {
		_ = p.bar.Finish()
		_ = p.bar.Clear()
	}
}
