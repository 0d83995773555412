//go:build !unix

package mirror

import (
	"fmt"
	"os"
)

// lockFile creates path exclusively; a run that dies leaves it behind, and
// the message says to remove it.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if os.IsExist(err) {
			return nil, fmt.Errorf("%w: %s exists; wait for the other psctl sync, or remove the file if no sync is running", ErrLocked, path)
		}
		return nil, fmt.Errorf("taking the lock %s: %w", path, err)
	}
	f.Close()
	return func() { os.Remove(path) }, nil
}
