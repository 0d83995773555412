// Package admin serves the emulator's admin pages under /admin/: the
// PowerSchool pages a district admin uses to install a plugin, register it
// with its vendor, enable it, and manage its credentials, reached as
// PowerSchool's documentation says (System > System Settings > Plugin
// Management Configuration > the plugin > Data Provider Configuration, or
// System Management > Server > Plugin Configuration), with its pop-ups
// (Plugin Registration, Registration Results, Enable Plugin, Disable
// Plugin, Confirm Regenerate Client ID and Secret).
//
// Pages are server-rendered from embedded templates. Every page needs the
// admin login; every form carries a per-session CSRF token. The package
// knows nothing of the emulator's internals: it works through the Plugins
// interface, which the emulator implements.
package admin

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/pskit/pskit/plugin"
)

// Prefix is where the admin pages live.
const Prefix = "/admin/"

// Plugins is what the admin pages need from the emulator.
type Plugins interface {
	List() []Info
	Get(id int) (Info, error)
	// Install installs a plugin.xml or zip that the pages have already
	// validated, disabled as PowerSchool leaves it, or updates the
	// installed plugin of the same name to a newer version in place; it
	// may still refuse it (e.g. the same version again).
	Install(data []byte) (Installed, error)
	SetEnabled(id int, enabled bool) error
	Delete(id int) error
	Credentials(id int) (Credentials, error)
	// Regenerate replaces the client ID and secret; the old pair and its
	// tokens stop working at once.
	Regenerate(id int) (Credentials, error)
	UpdateSettings(id int, s Settings) error
}

// Installed is the outcome of Install.
type Installed struct {
	Info
	// UpdatedFrom is the version a newer one replaced ("" for a new
	// install).
	UpdatedFrom string
}

// ErrNotFound is what Plugins returns (wrapped) for an unknown plugin id.
var ErrNotFound = errors.New("no such plugin")

// Info describes an installed plugin.
type Info struct {
	ID          int
	Name        string
	Version     string
	Description string
	Publisher   string
	Enabled     bool
	HasOAuth    bool
	ClientID    string
	InstalledAt string
	// Registration is the plugin.xml <registration> element (nil if absent).
	Registration *plugin.Registration
	// AccessRequests are the plugin.xml <access_request> fields, shown as
	// Data Access Requests when the plugin is enabled.
	AccessRequests []plugin.Field
	Settings       Settings
}

// Settings are the editable fields of Data Provider Configuration.
type Settings struct {
	// AccessLevelV1API is NONE, READ or FULL.
	AccessLevelV1API string
	// PageSizes are the maximum page sizes, in display order.
	PageSizes []PageSize
}

// PageSize is one resource's maximum page size, named as /ws/v1/metadata
// names it (e.g. "student_max_page_size").
type PageSize struct {
	Name string
	Max  int
}

// Credentials are a plugin's OAuth client credentials.
type Credentials struct {
	ClientID, ClientSecret string
}

// RegistrationSender delivers a Registration Request to a plugin's
// <registration url> and returns what the vendor answered.
type RegistrationSender interface {
	Send(ctx context.Context, url string, req plugin.RegistrationRequest) (RegistrationResult, error)
}

// Config configures the admin pages.
type Config struct {
	Username, Password string
	Plugins            Plugins
	// Sender delivers registrations; nil uses an HTTPSender with defaults.
	Sender RegistrationSender
	// ServerURL is the PowerSchool URL sent to vendors; nil (or "") uses
	// the scheme and host the admin's browser used.
	ServerURL func() string
	// SessionTTL is how long a login lasts without use (default 8 hours).
	SessionTTL time.Duration
	Logger     *slog.Logger
	// Now replaces time.Now.
	Now func() time.Time
}

// Handler serves the admin pages; mount it at Prefix.
type Handler struct {
	cfg      Config
	sessions *sessions
	mux      *http.ServeMux
	log      *slog.Logger
	// lockout slows password guessing per client and per user name.
	lockout *lockout
}

// New checks cfg and returns the admin pages' handler.
func New(cfg Config) (*Handler, error) {
	if cfg.Username == "" || cfg.Password == "" {
		return nil, errors.New("admin pages: a username and password are required; generate one with GeneratePassword")
	}
	if cfg.Plugins == nil {
		return nil, errors.New("admin pages: Config.Plugins is required")
	}
	if cfg.Sender == nil {
		cfg.Sender = &HTTPSender{}
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 8 * time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h := &Handler{cfg: cfg, sessions: newSessions(cfg.SessionTTL, cfg.Now), log: cfg.Logger,
		lockout: newLockout()}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.routes()
	return h, nil
}

func (h *Handler) routes() {
	m := http.NewServeMux()
	m.Handle("GET /admin/static/", http.StripPrefix("/admin/", http.FileServerFS(staticFS)))
	m.HandleFunc("GET /admin/login", h.loginPage)
	m.HandleFunc("POST /admin/login", h.anon(h.login))
	m.HandleFunc("POST /admin/logout", h.authed(h.logout))
	m.HandleFunc("GET /admin/{$}", h.authed(h.home))
	m.HandleFunc("GET /admin/system", h.authed(h.systemPage))
	m.HandleFunc("GET /admin/system/settings", h.authed(h.systemSettingsPage))
	m.HandleFunc("GET /admin/system-management/server", h.authed(h.serverPage))
	m.HandleFunc("GET /admin/plugins", h.authed(h.pluginList))
	m.HandleFunc("GET /admin/plugins/install", h.authed(h.installPage))
	m.HandleFunc("POST /admin/plugins/install", h.authed(h.install))
	m.HandleFunc("GET /admin/plugins/{id}", h.authed(h.pluginPage))
	m.HandleFunc("GET /admin/plugins/{id}/enable", h.authed(h.enableConfirm(true)))
	m.HandleFunc("POST /admin/plugins/{id}/enable", h.authed(h.setEnabled(true)))
	m.HandleFunc("GET /admin/plugins/{id}/disable", h.authed(h.enableConfirm(false)))
	m.HandleFunc("POST /admin/plugins/{id}/disable", h.authed(h.setEnabled(false)))
	m.HandleFunc("GET /admin/plugins/{id}/delete", h.authed(h.deleteConfirm))
	m.HandleFunc("POST /admin/plugins/{id}/delete", h.authed(h.delete))
	m.HandleFunc("GET /admin/plugins/{id}/registration", h.authed(h.registrationPage))
	m.HandleFunc("POST /admin/plugins/{id}/registration", h.authed(h.register))
	m.HandleFunc("GET /admin/plugins/{id}/data-provider", h.authed(h.dataProvider))
	m.HandleFunc("POST /admin/plugins/{id}/data-provider", h.authed(h.saveDataProvider))
	m.HandleFunc("POST /admin/plugins/{id}/data-provider/reveal", h.authed(h.reveal))
	m.HandleFunc("GET /admin/plugins/{id}/regenerate", h.authed(h.regenerateConfirm))
	m.HandleFunc("POST /admin/plugins/{id}/regenerate", h.authed(h.regenerate))
	h.mux = m
}

// ServeHTTP adds the headers every admin page carries and routes.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Set("Cache-Control", "no-store")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	if _, pattern := h.mux.Handler(r); pattern == "" {
		probe := r.Clone(r.Context())
		probe.Method = http.MethodGet
		if r.Method == http.MethodGet {
			probe.Method = http.MethodPost
		}
		if _, other := h.mux.Handler(probe); other != "" {
			hd.Set("Allow", probe.Method)
			h.renderError(w, r, http.StatusMethodNotAllowed, "Method not allowed", fmt.Sprintf("%s is not allowed on %s; use the page's links and buttons.", r.Method, r.URL.Path))
			return
		}
		h.renderError(w, r, http.StatusNotFound, "Page not found", fmt.Sprintf("There is no admin page at %s.", r.URL.Path))
		return
	}
	h.mux.ServeHTTP(w, r)
}
