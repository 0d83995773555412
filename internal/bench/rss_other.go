//go:build !unix

package bench

import (
	"os"
	"time"
)

// peakRSS is not reported here; results show it as missing.
func peakRSS(*os.ProcessState) int64 { return 0 }

// processCPU is not measured here; results show 0.
func processCPU() time.Duration { return 0 }
