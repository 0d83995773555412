package bench

import (
	"context"
	"fmt"
	"testing"

	"github.com/pskit/pskit/emulator"
)

// BenchmarkPull pulls a 5,000-student district (50 pages, no added
// latency) in each mode, side by side in one run:
//
//	go test ./internal/bench -run XXX -bench Pull -count 3
func BenchmarkPull(b *testing.B) {
	ctx := context.Background()
	srv, err := emulator.Start(ctx, emulator.Options{Students: 5000, Plugin: emulator.DefaultPlugin})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { srv.Close() })
	cr := srv.Credentials()
	t := target{url: cr.URL, id: cr.ClientID, secret: cr.ClientSecret, students: 5000, pageSize: emulator.DefaultMaxPageSize}
	for _, client := range []string{ClientPskit, ClientRaw} {
		for _, c := range []int{1, 8} {
			b.Run(fmt.Sprintf("%s/c=%d", client, c), func(b *testing.B) {
				for b.Loop() {
					if _, n, err := t.pull(ctx, client, c); err != nil || n != 5000 {
						b.Fatalf("%d records, %v", n, err)
					}
				}
				b.ReportMetric(float64(5000*b.N)/b.Elapsed().Seconds(), "records/s")
			})
		}
	}
}
