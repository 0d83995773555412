package oneroster_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pskit/pskit/oneroster"
	"github.com/pskit/pskit/oneroster/internal/ortest"
)

// Categories, line items and results round-trip through a provider (the
// emulator): PUT reports Created then Updated, the class-scoped lists find
// what was written, DELETE removes it and a 404 decodes as ErrNotFound.
func TestGradebookPutGetDelete(t *testing.T) {
	c := ortest.Client(t, ortest.Start(t))
	ctx := context.Background()
	f := ortest.FindClass(t, c)
	class := f.SourcedID

	var owner any
	for cat, err := range c.ListCategories(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		owner = cat.Metadata["userDcid"]
		break
	}
	cat := oneroster.Category{Base: oneroster.Base{SourcedID: "cat 1", Metadata: map[string]any{"userDcid": owner}}, Title: "Labs"}
	if out, err := c.PutCategory(ctx, cat); err != nil || out != oneroster.Created {
		t.Fatalf("PutCategory = %v, %v; want created", out, err)
	}
	if got, err := c.GetCategory(ctx, "cat 1"); err != nil || got.Title != "Labs" {
		t.Fatalf("GetCategory = %+v, %v", got, err)
	}
	if err := c.DeleteCategory(ctx, "cat 1"); err != nil {
		t.Fatal(err)
	}

	li := oneroster.LineItem{Base: oneroster.Base{SourcedID: "li 1"}, Title: "Quiz", Class: oneroster.Ref(class),
		AssignDate: oneroster.NewDateTime(f.Due), DueDate: oneroster.NewDateTime(f.Due), ResultValueMax: 10}
	if out, err := c.PutLineItem(ctx, li); err != nil || out != oneroster.Created {
		t.Fatalf("PutLineItem = %v, %v; want created", out, err)
	}
	li.Title = "Quiz 1"
	if out, err := c.PutLineItem(ctx, li); err != nil || out != oneroster.Updated {
		t.Fatalf("second PutLineItem = %v, %v; want updated", out, err)
	}
	if got, err := c.GetLineItem(ctx, "li 1"); err != nil || got.Title != "Quiz 1" || got.Class.SourcedID != class {
		t.Fatalf("GetLineItem = %+v, %v", got, err)
	}
	for i, s := range f.Students[:2] {
		r := oneroster.Result{Base: oneroster.Base{SourcedID: fmt.Sprintf("res %d", i)}, LineItem: oneroster.Ref("li 1"), Student: oneroster.Ref(s),
			ScoreStatus: oneroster.ScoreFullyGraded, Score: 7}
		if out, err := c.PutResult(ctx, r); err != nil || out != oneroster.Created {
			t.Fatalf("PutResult = %v, %v", out, err)
		}
	}
	count := func(seq func(func(oneroster.Result, error) bool)) int {
		n := 0
		for _, err := range seq {
			if err != nil {
				t.Fatal(err)
			}
			n++
		}
		return n
	}
	if n := count(c.ListLineItemResults(ctx, class, "li 1", nil)); n != 2 {
		t.Errorf("lineItem results = %d, want 2", n)
	}
	if n := count(c.ListStudentResults(ctx, class, f.Students[1], nil)); n != 1 {
		t.Errorf("student results = %d, want 1", n)
	}
	if n := count(c.ListClassResults(ctx, class, nil)); n != 2 {
		t.Errorf("class results = %d, want 2", n)
	}
	if n := count(c.ListResults(ctx, &oneroster.ListOptions{Filter: oneroster.Eq("student.sourcedId", f.Students[0])})); n != 1 {
		t.Errorf("filtered results = %d, want 1", n)
	}
	var titles []string
	for li, err := range c.ListClassLineItems(ctx, class, nil) {
		if err != nil {
			t.Fatal(err)
		}
		titles = append(titles, li.Title)
	}
	if len(titles) != 1 || titles[0] != "Quiz 1" {
		t.Errorf("class lineItems = %v", titles)
	}

	if err := c.DeleteResult(ctx, "res 0"); err != nil {
		t.Fatal(err)
	}
	_, err := c.GetResult(ctx, "res 0")
	if !errors.Is(err, oneroster.ErrNotFound) {
		t.Errorf("GetResult after delete: %v, want ErrNotFound", err)
	}
	var oe *oneroster.Error
	if err := c.DeleteResult(ctx, "res 0"); !errors.As(err, &oe) || oe.StatusCode != 404 || len(oe.CodeMinor) == 0 {
		t.Errorf("second delete: %v, want a 404 with its codeMinor", err)
	}
	if _, err := c.PutLineItem(ctx, oneroster.LineItem{Title: "no id"}); err == nil || !strings.Contains(err.Error(), "sourcedId") {
		t.Errorf("PUT without sourcedId: %v", err)
	}
	if err := c.DeleteCategory(ctx, ""); err == nil {
		t.Error("DELETE without sourcedId accepted")
	}
}

// A sourcedId with a slash and a space stays one path segment, escaped.
func TestGradebookIDsAreEscaped(t *testing.T) {
	var got string
	srv := provider(t, false, func(w http.ResponseWriter, r *http.Request) {
		got = r.URL.EscapedPath()
		w.WriteHeader(http.StatusCreated)
	})
	if _, err := orClient(t, srv).PutLineItem(context.Background(), oneroster.LineItem{Base: oneroster.Base{SourcedID: "li/1 a"}, Title: "Quiz"}); err != nil {
		t.Fatal(err)
	}
	if got != "/ims/oneroster/v1p1/lineItems/li%2F1%20a" {
		t.Errorf("path %q, want the id as one escaped segment", got)
	}
}

// GETs are retried on 429/502/503/504, honouring Retry-After; PUTs are not.
func TestRetries(t *testing.T) {
	var gets, puts atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"t0k3n","token_type":"Bearer","expires_in":"3600"}`)
	})
	statuses := []int{429, 502, 503, 504}
	mux.HandleFunc("GET /ims/oneroster/v1p1/lineItems/li1", func(w http.ResponseWriter, r *http.Request) {
		n := int(gets.Add(1))
		if n <= len(statuses) {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(statuses[n-1])
			return
		}
		fmt.Fprint(w, `{"lineItem":{"sourcedId":"li1","title":"Quiz"}}`)
	})
	mux.HandleFunc("PUT /ims/oneroster/v1p1/lineItems/li1", func(w http.ResponseWriter, r *http.Request) {
		puts.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	mux.HandleFunc("GET /ims/oneroster/v1p1/lineItems/slow", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
		fmt.Fprint(w, `{"imsx_codeMajor":"failure","imsx_CodeMinor":{"imsx_codeMinorField":[{"imsx_codeMinorFieldValue":"server_busy"}]}}`)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, err := oneroster.NewClient(srv.URL, creds, oneroster.WithRetryPolicy(oneroster.RetryPolicy{MaxRetries: 5, MaxWait: 50 * time.Millisecond, MaxRetryAfter: 50 * time.Millisecond}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	li, err := c.GetLineItem(ctx, "li1")
	if err != nil || li.Title != "Quiz" {
		t.Fatalf("GetLineItem = %+v, %v", li, err)
	}
	if gets.Load() != 5 {
		t.Errorf("GET attempts = %d, want 5", gets.Load())
	}
	_, err = c.PutLineItem(ctx, oneroster.LineItem{Base: oneroster.Base{SourcedID: "li1"}, Title: "Quiz"})
	var oe *oneroster.Error
	if !errors.As(err, &oe) || oe.StatusCode != 503 || puts.Load() != 1 {
		t.Errorf("PUT: err=%v attempts=%d, want one 503", err, puts.Load())
	}
	// A Retry-After beyond the wait cap is returned, not slept on.
	_, err = c.GetLineItem(ctx, "slow")
	if !errors.As(err, &oe) || oe.StatusCode != 429 || oe.RetryAfter != time.Hour || len(oe.CodeMinor) != 1 {
		t.Errorf("slow: %v (%+v), want a 429 with RetryAfter 1h", err, oe)
	}
}

// A cancelled context ends a retry wait.
func TestRetryWaitRespectsContext(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /oauth/access_token", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"access_token":"t0k3n","token_type":"Bearer","expires_in":"3600"}`)
	})
	mux.HandleFunc("GET /ims/oneroster/v1p1/users/u1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "20")
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	c, _ := oneroster.NewClient(srv.URL, creds, oneroster.WithRetryPolicy(oneroster.RetryPolicy{MaxRetries: 3, MaxWait: time.Minute, MaxRetryAfter: time.Minute}))
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err := c.GetUser(ctx, "u1")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err = %v, want DeadlineExceeded", err)
	}
}
