package admin_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pskit/pskit/emulator/internal/admin"
	"github.com/pskit/pskit/plugin"
)

var sampleRequest = plugin.RegistrationRequest{ServerURL: "https://district.example.net", PluginName: "Roster Sync", PluginID: "7",
	ClientID: "cid", ClientSecret: "s3cret-value"}

func TestSenderPostsJSONOverTLS(t *testing.T) {
	var got plugin.RegistrationRequest
	var ct string
	vendor := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ct = r.Header.Get("Content-Type")
		got, _ = plugin.DecodeRegistrationRequest(r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"registered"}`))
	}))
	t.Cleanup(vendor.Close)
	s := &admin.HTTPSender{Client: vendor.Client()}
	res, err := s.Send(context.Background(), vendor.URL+"/register", sampleRequest)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Accepted() || res.Reply.Status != "registered" {
		t.Errorf("result %+v", res)
	}
	if ct != plugin.RegistrationContentType || got.ClientSecret != sampleRequest.ClientSecret || got.PluginID != "7" {
		t.Errorf("vendor got %q %v", ct, got)
	}
}

func TestSenderRefusesClearTextOffLoopback(t *testing.T) {
	s := &admin.HTTPSender{}
	for _, u := range []string{"http://vendor.example.com/register", "http://10.0.0.5/r", "ftp://127.0.0.1/r", "https://user:pw@vendor.test/r", "/relative"} {
		_, err := s.Send(context.Background(), u, sampleRequest)
		if err == nil {
			t.Errorf("%s: sent, want refused", u)
			continue
		}
		if strings.Contains(err.Error(), "pw@") {
			t.Errorf("%s: error shows the URL's password: %v", u, err)
		}
	}
	for _, u := range []string{"http://127.0.0.1:8765/register", "http://localhost/r", "http://[::1]:9/r", "https://vendor.example.com/r"} {
		if _, err := admin.CheckRegistrationURL(u); err != nil {
			t.Errorf("%s refused: %v", u, err)
		}
	}
}

func TestSenderDoesNotFollowRedirects(t *testing.T) {
	var elsewhere bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere = true }))
	t.Cleanup(other.Close)
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL, http.StatusTemporaryRedirect)
	}))
	t.Cleanup(vendor.Close)
	res, err := (&admin.HTTPSender{}).Send(context.Background(), vendor.URL, sampleRequest)
	if err != nil {
		t.Fatal(err)
	}
	if elsewhere || res.Accepted() || !strings.Contains(res.Body, "not followed") {
		t.Errorf("redirect followed=%v result=%+v", elsewhere, res)
	}
}

func TestSenderTimeout(t *testing.T) {
	release := make(chan struct{})
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(vendor.Close)
	t.Cleanup(func() { close(release) })
	_, err := (&admin.HTTPSender{Timeout: 50 * time.Millisecond}).Send(context.Background(), vendor.URL, sampleRequest)
	if err == nil || !strings.Contains(err.Error(), "did not answer within 50ms") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(err.Error(), sampleRequest.ClientSecret) {
		t.Fatal("the error shows the secret")
	}
}

func TestSenderShowsNonJSONAnswer(t *testing.T) {
	vendor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "licence server down", http.StatusBadGateway)
	}))
	t.Cleanup(vendor.Close)
	res, err := (&admin.HTTPSender{}).Send(context.Background(), vendor.URL, sampleRequest)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusBadGateway || res.Body != "licence server down" {
		t.Errorf("result %+v", res)
	}
	b, _ := json.Marshal(res)
	if strings.Contains(string(b), sampleRequest.ClientSecret) {
		t.Error("the result holds the secret")
	}
}
