package cmdutil

import (
	"time"

	"github.com/pskit/pskit/internal/wire"
)

// RateFlag is the --rate flag: the least time between two requests, as a
// duration ("200ms"), the form of the plugin's own setting; "0" or "off"
// means none.
type RateFlag struct{ D *time.Duration }

func (r RateFlag) String() string {
	if r.D == nil || *r.D == 0 {
		return "0"
	}
	return r.D.String()
}

func (r RateFlag) Set(s string) error {
	d, err := wire.ParseRate("--rate", s)
	if err != nil {
		return err
	}
	*r.D = d
	return nil
}

func (r RateFlag) Type() string { return "duration" }
