package powerschool

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"
)

// BenchmarkRequestOverhead compares one GET through the SDK (token, retry,
// throttle, logging layers, JSON read) with the same GET by a bare
// http.Client, against the same loopback server in the same run.
func BenchmarkRequestOverhead(b *testing.B) {
	f := newFakePS(b)
	body := `{"district":{"name":"Bench District","uuid":"0b1c2d3e"}}`
	f.handle("GET /ws/v1/district", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, body) })
	f.mux.HandleFunc("GET "+basePath+"/bare/district", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, body) })
	ctx := context.Background()

	b.Run("bare-http.Client", func(b *testing.B) {
		hc := &http.Client{}
		for b.Loop() {
			req, _ := http.NewRequestWithContext(ctx, http.MethodGet, f.url()+"/bare/district", nil)
			req.Header.Set("Accept", "application/json")
			resp, err := hc.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.ReadAll(resp.Body)
			resp.Body.Close()
		}
	})
	b.Run("sdk", func(b *testing.B) {
		c, err := NewClient(WithBaseURL(f.url()), WithCredentials(testClientID, testSecret),
			WithThrottle(Throttle{MaxConcurrent: 8}))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := c.Get(ctx, "/ws/v1/district", nil); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := c.Get(ctx, "/ws/v1/district", nil); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkListConcurrency pulls 3,000 students in 30 pages from a server
// that adds 5ms of latency per page, with 1 worker and with the default 4.
func BenchmarkListConcurrency(b *testing.B) {
	f := newFakePS(b)
	s := &studentsServer{n: 3000}
	s.install(f)
	inner := f.mux
	f.srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == basePath+"/ws/v1/district/student" {
			time.Sleep(5 * time.Millisecond)
		}
		inner.ServeHTTP(w, r)
	})
	for _, workers := range []int{1, 4} {
		b.Run(fmt.Sprintf("workers=%d", workers), func(b *testing.B) {
			c, err := NewClient(WithBaseURL(f.url()), WithCredentials(testClientID, testSecret), WithPageConcurrency(workers))
			if err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				n := 0
				for _, err := range c.Students.List(context.Background(), nil) {
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
				if n != 3000 {
					b.Fatalf("%d records", n)
				}
			}
		})
	}
}
