package admin_test

import (
	"errors"
	"fmt"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/pskit/pskit/emulator/internal/admin"
	"github.com/pskit/pskit/plugin"
)

// fakePlugins is an in-memory admin.Plugins.
type fakePlugins struct {
	mu      sync.Mutex
	next    int
	plugins map[int]*fakePlugin
}

type fakePlugin struct {
	info  admin.Info
	creds admin.Credentials
}

func newFakePlugins() *fakePlugins { return &fakePlugins{next: 1, plugins: map[int]*fakePlugin{}} }

func (f *fakePlugins) List() []admin.Info {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []admin.Info
	for id := 1; id < f.next; id++ {
		if p, ok := f.plugins[id]; ok {
			out = append(out, p.info)
		}
	}
	return out
}

func (f *fakePlugins) Get(id int) (admin.Info, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.plugins[id]
	if !ok {
		return admin.Info{}, fmt.Errorf("plugin %d: %w", id, admin.ErrNotFound)
	}
	return p.info, nil
}

// Install leaves a new plugin disabled; a plugin of the same name at
// another version is updated in place (the real version order is the
// emulator's, tested there).
func (f *fakePlugins) Install(data []byte) (admin.Installed, error) {
	b, err := plugin.Load(data)
	if err != nil {
		return admin.Installed{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.plugins {
		if p.info.Name == b.Plugin.Name {
			if p.info.Version == b.Plugin.Version {
				return admin.Installed{}, fmt.Errorf("a plugin named %q is already installed", p.info.Name)
			}
			from := p.info.Version
			p.info.Version = b.Plugin.Version
			return admin.Installed{Info: p.info, UpdatedFrom: from}, nil
		}
	}
	id := f.next
	f.next++
	p := &fakePlugin{info: admin.Info{ID: id, Name: b.Plugin.Name, Version: b.Plugin.Version, HasOAuth: b.Plugin.OAuth != nil,
		Registration: b.Plugin.Registration, Settings: admin.Settings{AccessLevelV1API: "READ",
			PageSizes: []admin.PageSize{{Name: "student_max_page_size", Max: 100}, {Name: "school_max_page_size", Max: 100}}}}}
	if b.Plugin.AccessRequest != nil {
		p.info.AccessRequests = b.Plugin.AccessRequest.Fields
	}
	if p.info.HasOAuth {
		p.creds = admin.Credentials{ClientID: fmt.Sprintf("client-%d-a", id), ClientSecret: fmt.Sprintf("secret-%d-a", id)}
		p.info.ClientID = p.creds.ClientID
	}
	f.plugins[id] = p
	return admin.Installed{Info: p.info}, nil
}

func (f *fakePlugins) with(id int, fn func(p *fakePlugin) error) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	p, ok := f.plugins[id]
	if !ok {
		return fmt.Errorf("plugin %d: %w", id, admin.ErrNotFound)
	}
	return fn(p)
}

func (f *fakePlugins) SetEnabled(id int, on bool) error {
	return f.with(id, func(p *fakePlugin) error { p.info.Enabled = on; return nil })
}

func (f *fakePlugins) Delete(id int) error {
	return f.with(id, func(p *fakePlugin) error { delete(f.plugins, id); return nil })
}

func (f *fakePlugins) Credentials(id int) (c admin.Credentials, err error) {
	err = f.with(id, func(p *fakePlugin) error { c = p.creds; return nil })
	return c, err
}

func (f *fakePlugins) Regenerate(id int) (c admin.Credentials, err error) {
	err = f.with(id, func(p *fakePlugin) error {
		if !p.info.HasOAuth {
			return errors.New("no oauth")
		}
		p.creds.ClientID += "x"
		p.creds.ClientSecret += "x"
		p.info.ClientID = p.creds.ClientID
		c = p.creds
		return nil
	})
	return c, err
}

func (f *fakePlugins) UpdateSettings(id int, s admin.Settings) error {
	return f.with(id, func(p *fakePlugin) error { p.info.Settings = s; return nil })
}

const (
	testUser     = "admin"
	testPassword = "correct horse battery staple"
)

// adminServer serves the admin pages over real HTTP with a fake store.
func adminServer(t *testing.T, cfg admin.Config) (*httptest.Server, *fakePlugins) {
	t.Helper()
	fp := newFakePlugins()
	if cfg.Plugins == nil {
		cfg.Plugins = fp
	}
	cfg.Username, cfg.Password = testUser, testPassword
	h, err := admin.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, fp
}

// browser is an HTTP client with cookies that does not follow redirects.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

type page struct {
	status   int
	body     string
	location string
	header   http.Header
}

func (b *browser) do(req *http.Request) page {
	b.t.Helper()
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, body: html.UnescapeString(string(body)), location: resp.Header.Get("Location"), header: resp.Header}
}

func (b *browser) get(path string) page {
	req, _ := http.NewRequest(http.MethodGet, b.base+path, nil)
	return b.do(req)
}

func (b *browser) post(path string, form url.Values) page {
	req, _ := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

// postForm posts form with the CSRF token of the page at from.
func (b *browser) postForm(from, path string, form url.Values) page {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf_token", b.csrf(from))
	return b.post(path, form)
}

var csrfRE = regexp.MustCompile(`name="csrf_token" value="([^"]+)"`)

func (b *browser) csrf(from string) string {
	b.t.Helper()
	p := b.get(from)
	m := csrfRE.FindStringSubmatch(p.body)
	if m == nil {
		b.t.Fatalf("no CSRF token on %s (status %d)", from, p.status)
	}
	return m[1]
}

func (b *browser) upload(name string, data []byte) page {
	b.t.Helper()
	token := b.csrf("/admin/plugins/install")
	var buf strings.Builder
	mw := multipart.NewWriter(&buf)
	mw.WriteField("csrf_token", token)
	fw, _ := mw.CreateFormFile("plugin", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.base+"/admin/plugins/install", strings.NewReader(buf.String()))
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

func (b *browser) login() {
	b.t.Helper()
	p := b.postForm("/admin/login", "/admin/login", url.Values{"username": {testUser}, "password": {testPassword}})
	if p.status != http.StatusSeeOther {
		b.t.Fatalf("login: status %d, want 303; body:\n%s", p.status, p.body)
	}
}
