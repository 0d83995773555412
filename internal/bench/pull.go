package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	ps "github.com/pskit/pskit/powerschool"
)

// target is the emulator being pulled from.
type target struct {
	url, id, secret    string
	students, pageSize int
}

// pull fetches every student with client at concurrency c and returns the
// wall time (from the token request to the last record checked) and the
// number of records.
func (t target) pull(ctx context.Context, client string, c int) (time.Duration, int, error) {
	if client == ClientRaw {
		return t.pullRaw(ctx, c)
	}
	return t.pullPskit(ctx, c)
}

// pullPskit is what an SDK user writes: a fresh client (so the token is
// fetched inside the measurement) and Students.List.
func (t target) pullPskit(ctx context.Context, c int) (time.Duration, int, error) {
	client, err := ps.NewClient(ps.WithBaseURL(t.url), ps.WithCredentials(t.id, t.secret), ps.WithPageConcurrency(c))
	if err != nil {
		return 0, 0, err
	}
	seen := newIDs(t.students)
	n := 0
	start := time.Now()
	for s, err := range client.Students.List(ctx, nil) {
		if err != nil {
			return 0, 0, err
		}
		if err := seen.add(int64(s.ID)); err != nil {
			return 0, 0, err
		}
		n++
	}
	d := time.Since(start)
	return d, n, seen.done()
}

// pullRaw is the cheapest loop that still does the job: one token request,
// one count to know where to stop, then the pages over c keep-alive
// connections, decoding only each record's id. No retries, no metadata,
// no typed records, no ordering.
func (t target) pullRaw(ctx context.Context, c int) (time.Duration, int, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = c
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr}

	start := time.Now()
	tok, err := rawToken(ctx, hc, t)
	if err != nil {
		return 0, 0, err
	}
	var cnt struct {
		Resource struct {
			Count int `json:"count"`
		} `json:"resource"`
	}
	if err := rawGet(ctx, hc, t.url+"/ws/v1/district/student/count", tok, &cnt); err != nil {
		return 0, 0, err
	}
	pages := (cnt.Resource.Count + t.pageSize - 1) / t.pageSize
	jobs := make(chan int)
	got := make([][]int64, c)
	errs := make([]error, c)
	var wg sync.WaitGroup
	for w := range c {
		wg.Go(func() {
			for p := range jobs {
				if errs[w] != nil {
					continue
				}
				var page struct {
					Students struct {
						Student idList `json:"student"`
					} `json:"students"`
				}
				u := fmt.Sprintf("%s/ws/v1/district/student?pagesize=%d&page=%d", t.url, t.pageSize, p)
				if errs[w] = rawGet(ctx, hc, u, tok, &page); errs[w] == nil {
					got[w] = append(got[w], page.Students.Student...)
				}
			}
		})
	}
	for p := 1; p <= pages; p++ {
		jobs <- p
	}
	close(jobs)
	wg.Wait()
	seen := newIDs(t.students)
	n := 0
	for w := range c {
		if errs[w] != nil {
			return 0, 0, errs[w]
		}
		for _, id := range got[w] {
			if err := seen.add(id); err != nil {
				return 0, 0, err
			}
			n++
		}
	}
	d := time.Since(start)
	return d, n, seen.done()
}

func rawToken(ctx context.Context, hc *http.Client, t target) (string, error) {
	body := strings.NewReader(url.Values{"grant_type": {"client_credentials"}}.Encode())
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.url+"/oauth/access_token", body)
	if err != nil {
		return "", err
	}
	req.SetBasicAuth(t.id, t.secret)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=UTF-8")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := rawDo(hc, req, &tok); err != nil {
		return "", fmt.Errorf("token request: %w", err)
	}
	if tok.AccessToken == "" {
		return "", fmt.Errorf("token request: the answer holds no access_token")
	}
	return tok.AccessToken, nil
}

func rawGet(ctx context.Context, hc *http.Client, u, tok string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "application/json")
	if err := rawDo(hc, req, v); err != nil {
		return fmt.Errorf("GET %s: %w", req.URL.Path, err)
	}
	return nil
}

func rawDo(hc *http.Client, req *http.Request, v any) error {
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d: %.200s", resp.StatusCode, b)
	}
	return json.Unmarshal(b, v)
}

// idList reads the ids of a page's "student" value, which PowerSchool sends
// as an array, or as a lone object when the page holds one record.
type idList []int64

func (l *idList) UnmarshalJSON(b []byte) error {
	type rec struct {
		ID json.Number `json:"id"`
	}
	var recs []rec
	switch b = bytes.TrimSpace(b); {
	case len(b) > 0 && b[0] == '{':
		var one rec
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		recs = []rec{one}
	case len(b) > 0 && b[0] == '[':
		if err := json.Unmarshal(b, &recs); err != nil {
			return err
		}
	}
	for _, r := range recs {
		id, err := strconv.ParseInt(r.ID.String(), 10, 64)
		if err != nil {
			return fmt.Errorf("student id %q is not a number", r.ID)
		}
		*l = append(*l, id)
	}
	return nil
}
