//go:build unix

package config

import (
	"fmt"
	"os"
	"syscall"
)

// LockFile takes an exclusive lock on path+".lock", waiting for other
// psctl processes to release it, so that read-modify-write of path by
// several runs at once loses nothing. The lock file is kept (removing it
// would let two runs lock two different files).
func LockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("cannot lock %s: %w", path, err)
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("cannot lock %s: %w", path, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
