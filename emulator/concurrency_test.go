package emulator

import (
	"context"
	"fmt"
	"sync"
	"testing"
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
