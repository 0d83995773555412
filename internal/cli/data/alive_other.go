//go:build !unix

package data

// processAlive cannot tell on this system: leftovers are kept.
func processAlive(int) bool { return true }
