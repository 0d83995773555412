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

//go:embed static/admin.css
var staticFiles embed.FS

var staticFS, _ = fs.Sub(staticFiles, ".")

var pageNames = []string{"login", "error", "plugins", "install", "plugin", "delete", "registration", "registration_result", "handover", "dataprovider", "regenerate"}

var funcs = template.FuncMap{"maxPageSize": func() int { return MaxPageSize }}

// pages holds each page parsed together with the shared layout.
var pages = func() map[string]*template.Template {
	m := map[string]*template.Template{}
	for _, name := range pageNames {
		m[name] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
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

	Plugins  []Info
	Plugin   Info
	Problems []plugin.Problem
	FileName string

	// Registration dialog and result.
	RegistrationURL string
	ServerURL       string
	Fields          []field
	Result          *RegistrationResult
	SendError       string

	// Data Provider Configuration.
	Creds        *Credentials
	Revealed     bool
	AccessLevels []string
}

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
