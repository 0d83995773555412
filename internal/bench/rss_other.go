//go:build !unix

package bench

import "os"

// peakRSS is not reported here; results show it as missing.
func peakRSS(*os.ProcessState) int64 { return 0 }
