package admin

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"net/http"

	"github.com/pskit/pskit/plugin"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static/admin.css static/admin.js
var staticFiles embed.FS

var staticFS, _ = fs.Sub(staticFiles, ".")

// pageFiles lists each page's templates after layout.html. A pop-up is a
// page drawn over another: its file defines the "dialog" block that the
// page under it leaves empty.
var pageFiles = map[string][]string{
	"login": {"login"}, "error": {"error"}, "start": {"start"}, "system": {"system"},
	"system_settings": {"system_settings"}, "server": {"server"},
	"plugins": {"plugins"}, "install": {"install"}, "plugin": {"plugin"}, "delete": {"delete"},
	"enable":              {"plugins", "enable"},
	"registration":        {"plugins", "registration"},
	"registration_result": {"plugins", "registration_result"},
	"handover":            {"plugins", "handover"},
	"dataprovider":        {"dataprovider"},
	"regenerate":          {"dataprovider", "regenerate"},
}

var funcs = template.FuncMap{"maxPageSize": func() int { return MaxPageSize }, "inc": func(i int) int { return i + 1 }}

// pages holds each page parsed together with the shared layout.
var pages = func() map[string]*template.Template {
	m := map[string]*template.Template{}
	for name, files := range pageFiles {
		paths := []string{"templates/layout.html"}
		for _, f := range files {
			paths = append(paths, "templates/"+f+".html")
		}
		m[name] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, paths...))
	}
	return m
}()

// pageData is everything a page may show; each page uses a few fields.
type pageData struct {
	Title    string
	CSRF     string
	LoggedIn bool
	Flash    string
	Error    string
	Message  string
	Next     string

	// Crumbs is the path to this page, as PowerSchool's documentation
	// names it; the last one is the page itself.
	Crumbs []crumb

	Plugins []Info
	Plugin  Info
	// Enabling is true in the Enable Plugin pop-up, false in Disable Plugin.
	Enabling bool
	// UpdatedFrom is the version an install replaced ("" for a new one).
	UpdatedFrom string
	Problems    []plugin.Problem
	FileName    string

	// Registration dialog and result.
	RegistrationURL string
	ServerURL       string
	Fields          []field
	Result          *RegistrationResult
	SendError       string

	// Data Provider Configuration.
	Creds        *Credentials
	AccessLevels []string
}

// crumb is one step of the breadcrumbs.
type crumb struct{ Name, URL string }

// field is one row of the Plugin Registration dialog.
type field struct{ Name, Value string }

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, d pageData) {
	s := sessionOf(r)
	d.CSRF, d.LoggedIn = s.csrf, s.authed
	if s.id != "" && d.Flash == "" {
		d.Flash = h.sessions.takeFlash(s.id)
	}
	var buf bytes.Buffer
	if err := pages[name].Execute(&buf, d); err != nil {
		h.log.Error("admin page failed to render", "page", name, "err", err)
		http.Error(w, "The admin page could not be rendered; see the emulator's log.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// renderError shows a plain page explaining what went wrong.
func (h *Handler) renderError(w http.ResponseWriter, r *http.Request, status int, title, msg string) {
	if s, ok := h.current(r); ok && sessionOf(r).id == "" {
		r = withSession(r, s)
	}
	h.render(w, r, status, "error", pageData{Title: title, Message: msg})
}
