package powerschool

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
)

// A 500 on a read is retried; a 500 on a write is not (it may have been applied).
func TestRetries500OnlyOnReads(t *testing.T) {
	f := newFakePS(t)
	var gets, puts atomic.Int32
	f.handle("GET /ws/v1/district", func(w http.ResponseWriter, r *http.Request) {
		if gets.Add(1) <= 2 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		writeJSON(w, map[string]any{"district": map[string]any{"name": "D"}})
	})
	f.handle("PUT /ws/v1/thing", func(w http.ResponseWriter, r *http.Request) {
		puts.Add(1)
		w.WriteHeader(http.StatusInternalServerError)
	})
	c := f.client()
	if _, err := c.District(context.Background()); err != nil {
		t.Fatalf("GET after two 500s: %v", err)
	}
	if err := c.Do(context.Background(), "PUT", "/ws/v1/thing", nil, map[string]any{}, nil); statusOf(err) != 500 {
		t.Errorf("PUT err = %v, want APIError 500", err)
	}
	if gets.Load() != 3 || puts.Load() != 1 {
		t.Errorf("attempts: GET %d (want 3), PUT %d (want 1)", gets.Load(), puts.Load())
	}
}

// The token request and a PowerQuery are POSTs that only read: a 500 on
// either is retried like a GET.
func TestRetries500OnReadingPosts(t *testing.T) {
	f := newFakePS(t)
	f.token500s.Store(2)
	var queries atomic.Int32
	f.handle("POST /ws/schema/query/com.example.product.area.students", func(w http.ResponseWriter, r *http.Request) {
		if queries.Add(1) == 1 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		writeJSON(w, map[string]any{"name": "Students", "record": []any{}})
	})
	c := f.client()
	if _, err := c.PowerQuery(context.Background(), "com.example.product.area.students", nil); err != nil {
		t.Fatalf("PowerQuery after 500s: %v", err)
	}
	if f.tokens.Load() != 3 || queries.Load() != 2 {
		t.Errorf("attempts: token %d (want 3), query %d (want 2)", f.tokens.Load(), queries.Load())
	}
}
