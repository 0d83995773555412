// Package cmdutil is what every psctl command group shares: the Factory
// with its lazy dependencies, environment resolution, exit-code errors and
// flag helpers.
package cmdutil

import (
	"context"
	"errors"
	"fmt"

	"github.com/pskit/pskit/powerschool"
)

// Exit codes.
const (
	ExitOK      = 0
	ExitFailure = 1
	ExitUsage   = 2 // bad flags or arguments, and cancelled runs
	ExitAuth    = 4 // credentials or token refused
)

// ExitError carries an exit code with the message.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string { return e.Err.Error() }
func (e *ExitError) Unwrap() error { return e.Err }

// UsageError is an error in how psctl was called (exit 2).
func UsageError(format string, a ...any) error {
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf(format, a...)}
}

// AuthError is an authentication failure (exit 4).
func AuthError(err error) error { return &ExitError{Code: ExitAuth, Err: err} }

// ErrCancelled is returned when the user interrupts a run.
var ErrCancelled = &ExitError{Code: ExitUsage, Err: errors.New("interrupted")}

// ExitCode maps an error returned by a command to the process exit code.
func ExitCode(err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		return ee.Code
	}
	if powerschool.IsAuthError(err) {
		return ExitAuth
	}
	if errors.Is(err, context.Canceled) {
		return ExitUsage
	}
	return ExitFailure
}
