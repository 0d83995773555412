// Package iostreams holds psctl's standard streams and what it knows about
// them: data goes to Out, everything else (prompts, progress, logs, errors)
// to ErrOut, and tables and progress bars depend on whether they are
// terminals.
package iostreams

import (
	"bufio"
	"bytes"
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

// ReadSecret prompts on ErrOut and reads a line from the terminal without
// echoing it.
func (s *IOStreams) ReadSecret(prompt string) (string, error) {
	if !s.inTTY || s.inFd < 0 {
		return "", ErrNoTTY
	}
	fmt.Fprint(s.ErrOut, prompt)
	b, err := term.ReadPassword(s.inFd)
	fmt.Fprintln(s.ErrOut)
	if err != nil {
		return "", fmt.Errorf("reading from the terminal: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

// ReadLine reads one line from In (for --client-secret-stdin).
func (s *IOStreams) ReadLine() (string, error) {
	line, err := bufio.NewReader(s.In).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimSpace(line), nil
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
