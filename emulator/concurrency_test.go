package emulator

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// TestPublicMethodsConcurrently calls the public in-process API from many
// goroutines at once: every call must succeed, as the Server doc promises
// (run with -race).
func TestPublicMethodsConcurrently(t *testing.T) {
	s, _ := start(t, Options{Students: 200})
	ctx := context.Background()
	const workers, calls = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*calls)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range calls {
				var err error
				switch i % 5 {
				case 0, 1:
					var dcid int64
					dcid, err = s.AddStudent(ctx, fmt.Sprintf("W%d", w), fmt.Sprintf("Call%d", i))
					if err == nil && i%5 == 1 {
						err = s.DeleteStudent(ctx, dcid)
					}
				case 2:
					_, err = s.Mutate(ctx, Mutation{Seed: int64(w*100 + i), Update: 3, Insert: 1, Delete: 1})
				case 3:
					err = s.SetPluginConfig(1, mustConfig(t, s))
				case 4:
					_, err = s.Regenerate(1)
				}
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	n := 0
	for err := range errs {
		n++
		if n <= 5 {
			t.Error(err)
		}
	}
	if n > 0 {
		t.Fatalf("%d of %d concurrent calls failed", n, workers*calls)
	}
}

func mustConfig(t *testing.T, s *Server) PluginConfig {
	c, err := s.PluginConfig(1)
	if err != nil {
		t.Error(err)
	}
	return c
}

// TestPublicAPIWithRequestsInFlight reads and changes the server through
// its public methods (Stats, SetFaults, Faults, AddStudent, Mutate, Now)
// while requests are in flight over HTTP and through Handler in process.
// Every request must succeed, and Stats must count each exactly once
// (run with -race).
func TestPublicAPIWithRequestsInFlight(t *testing.T) {
	s, c := start(t, Options{Students: 200})
	tok := token(t, c)
	const route = "GET /ws/v1/district/student"
	const readers, reads = 6, 20
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	report := func(err error) {
		select {
		case errs <- err:
		default:
		}
	}
	before := s.Stats().APIRequests[route]
	h := s.Handler()
	for g := range readers {
		wg.Go(func() {
			for i := range reads {
				var status int
				var body []byte
				if (g+i)%2 == 0 {
					// Not get: t.Fatal may not be called off the test goroutine.
					req, _ := http.NewRequest("GET", s.URL()+"/ws/v1/district/student?pagesize=5", nil)
					req.Header.Set("Authorization", "Bearer "+tok)
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						report(err)
						continue
					}
					body, err = io.ReadAll(resp.Body)
					resp.Body.Close()
					if err != nil {
						report(err)
						continue
					}
					status = resp.StatusCode
				} else {
					req := httptest.NewRequest("GET", "/ws/v1/district/student?pagesize=5", nil)
					req.Host = "127.0.0.1"
					req.Header.Set("Authorization", "Bearer "+tok)
					rec := httptest.NewRecorder()
					h.ServeHTTP(rec, req)
					status, body = rec.Code, rec.Body.Bytes()
				}
				var page struct {
					Students struct {
						Student []map[string]any `json:"student"`
					} `json:"students"`
				}
				if err := json.Unmarshal(body, &page); status != http.StatusOK || err != nil || len(page.Students.Student) != 5 {
					report(fmt.Errorf("reader %d request %d: %d %v %.200s", g, i, status, err, body))
				}
			}
		})
	}
	wg.Go(func() { // statistics only grow while nothing resets them
		var last int64
		for range 50 {
			st := s.Stats()
			if n := st.APIRequests[route]; n < last {
				report(fmt.Errorf("Stats went back from %d to %d requests", last, n))
			} else {
				last = n
			}
		}
	})
	wg.Go(func() { // faults change under the requests, never failing them
		for i := range 50 {
			f := Faults{Latency: time.Duration(i%2) * time.Millisecond, TokenTTL: time.Hour}
			if err := s.SetFaults(f); err != nil {
				report(err)
			}
			if got := s.Faults(); got.TokenTTL != time.Hour {
				report(fmt.Errorf("Faults() = %+v after SetFaults(%+v)", got, f))
			}
		}
	})
	wg.Go(func() { // the data changes under the reads
		for i := range 10 {
			dcid, err := s.AddStudent(ctx, "Inflight", fmt.Sprintf("Call%d", i))
			if err == nil {
				err = s.DeleteStudent(ctx, dcid)
			}
			if err == nil {
				_, err = s.Mutate(ctx, Mutation{Seed: int64(i), Update: 3})
			}
			if err != nil {
				report(err)
			}
			_ = s.Now()
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := s.Stats().APIRequests[route] - before; got != readers*reads {
		t.Errorf("Stats counted %d requests to %s, want the %d made", got, route, readers*reads)
	}
}
