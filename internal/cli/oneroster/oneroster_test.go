package oneroster

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
)

const secret = "or-secret-never-printed"

// provider serves 5 classes under base, 2 per page, behind a bearer token.
func provider(t *testing.T, base string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Path == "/oauth/access_token" {
			if _, pw, _ := r.BasicAuth(); pw != secret {
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprint(w, `{"error":"invalid_client"}`)
				return
			}
			fmt.Fprint(w, `{"access_token":"tok-123","token_type":"Bearer","expires_in":"3600"}`)
			return
		}
		if r.Header.Get("Authorization") != "Bearer tok-123" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		switch p := strings.TrimPrefix(r.URL.Path, base); {
		case p == "/classes":
			off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
			var list []any
			for i := off; i < min(off+2, 5); i++ {
				list = append(list, map[string]any{"sourcedId": strconv.Itoa(100 + i), "title": fmt.Sprintf("Class %d", i), "vendorField": "kept"})
			}
			w.Header().Set("X-Total-Count", "5")
			json.NewEncoder(w).Encode(map[string]any{"classes": list})
		case p == "/lineItems/li-1":
			fmt.Fprint(w, `{"lineItem":{"sourcedId":"li-1","title":"Quiz 1","resultValueMax":10}}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"statusInfoSet":[{"imsx_codeMajor":"failure","imsx_severity":"error","imsx_description":"unknown"}]}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func run(t *testing.T, url string, args ...string) (string, string, error) {
	ios, _, out, errOut := iostreams.Test()
	env := map[string]string{"PS_URL": url, "PS_CLIENT_ID": "id", "PS_CLIENT_SECRET": secret, "PSCTL_CONFIG_DIR": t.TempDir()}
	f := &cmdutil.Factory{IOStreams: ios, Version: "test", Getenv: func(k string) string { return env[k] }}
	cmd := NewCmdOneRoster(f)
	cmd.SetArgs(args)
	cmd.SetOut(out)
	cmd.SetErr(errOut)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.ExecuteContext(context.Background())
	if strings.Contains(out.String()+errOut.String(), secret) || (err != nil && strings.Contains(err.Error(), secret)) {
		t.Fatal("the client secret was printed")
	}
	return out.String(), errOut.String(), err
}

func TestGetListsEveryPageAndOneRecord(t *testing.T) {
	srv := provider(t, "/ims/oneroster/v1p1")
	out, _, err := run(t, srv.URL, "get", "classes", "-o", "ndjson")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 || !strings.Contains(lines[4], `"sourcedId":"104"`) || !strings.Contains(lines[0], `"vendorField":"kept"`) {
		t.Fatalf("classes:\n%s", out)
	}
	out, _, err = run(t, srv.URL, "get", "classes", "--limit", "3", "-o", "csv", "--fields", "sourcedId,title")
	if err != nil || out != "sourcedId,title\n100,Class 0\n101,Class 1\n102,Class 2\n" {
		t.Fatalf("limited csv: %v\n%q", err, out)
	}
	out, _, err = run(t, srv.URL, "get", "lineitems", "li-1")
	if err != nil || !strings.Contains(out, `"title": "Quiz 1"`) {
		t.Fatalf("one line item: %v\n%s", err, out)
	}
}

func TestGetOtherBasePath(t *testing.T) {
	srv := provider(t, "/api/ims/oneroster/v1p1")
	if _, _, err := run(t, srv.URL, "get", "classes"); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("default base against /api: err = %v", err)
	}
	out, _, err := run(t, srv.URL, "get", "classes", "--oneroster-base", "/api/ims/oneroster/v1p1", "-o", "ndjson")
	if err != nil || strings.Count(out, "\n") != 5 {
		t.Fatalf("err = %v\n%s", err, out)
	}
}

func TestGetErrors(t *testing.T) {
	srv := provider(t, "/ims/oneroster/v1p1")
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"get", "widgets"}, cmdutil.ExitUsage, "unknown OneRoster resource"},
		{[]string{"get"}, cmdutil.ExitUsage, "needs RESOURCE"},
		{[]string{"get", "classes", "1", "--filter", "x='y'"}, cmdutil.ExitUsage, "apply to lists"},
		{[]string{"get", "lineItems", "nope"}, cmdutil.ExitFailure, "404"},
	} {
		_, _, err := run(t, srv.URL, tc.args...)
		if cmdutil.ExitCode(err) != tc.code || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: err = %v (exit %d), want exit %d with %q", tc.args, err, cmdutil.ExitCode(err), tc.code, tc.want)
		}
	}
}
