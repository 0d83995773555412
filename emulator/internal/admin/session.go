package admin

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/pskit/pskit/plugin"
)

// Login sessions live in memory: restarting the emulator logs everyone out.
// Each session has its own CSRF token (synchronizer token pattern), created
// with the session and sent in a hidden field of every form. The login form
// has one too: GET /admin/login starts an anonymous session, and a
// successful login replaces it with a new session id.

const (
	cookieName = "pskit_admin_session"
	csrfField  = "csrf_token"
	// Anonymous sessions (a login form's CSRF token) and logged-in ones
	// are kept apart, so no number of anonymous visits evicts a login.
	maxAnonSessions   = 10000
	maxAuthedSessions = 1000
	// maxFormSize bounds ordinary (non-upload) form bodies.
	maxFormSize = 64 << 10
	// maxUploadSize bounds an install upload: the largest bundle plus room
	// for the multipart framing and the other fields.
	maxUploadSize = plugin.MaxBundleSize + 1<<20
)

type session struct {
	id, csrf string
	authed   bool
	expires  time.Time
	// flash is a one-time notice shown on the next page.
	flash string
}

type sessions struct {
	mu             sync.Mutex
	m              map[string]*session
	anon           []string // anonymous session ids, oldest first (some may be gone)
	nAnon, nAuthed int
	ttl            time.Duration
	now            func() time.Time
}

func newSessions(ttl time.Duration, now func() time.Time) *sessions {
	return &sessions{m: map[string]*session{}, ttl: ttl, now: now}
}

// create starts a session. A full anonymous pool drops its oldest
// anonymous session; a full logged-in pool drops the logged-in session
// closest to expiry (logins are rate-limited, so that pool fills slowly).
func (ss *sessions) create(authed bool) *session {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	now := ss.now()
	if authed && ss.nAuthed >= maxAuthedSessions {
		var oldest *session
		for _, s := range ss.m {
			if s.authed && (oldest == nil || s.expires.Before(oldest.expires)) {
				oldest = s
			}
		}
		ss.removeLocked(oldest.id)
	}
	for !authed && ss.nAnon >= maxAnonSessions && len(ss.anon) > 0 {
		id := ss.anon[0]
		ss.anon = ss.anon[1:]
		if s, ok := ss.m[id]; ok && !s.authed {
			ss.removeLocked(id)
		}
	}
	s := &session{id: rand.Text(), csrf: rand.Text(), authed: authed, expires: now.Add(ss.ttl)}
	ss.m[s.id] = s
	if authed {
		ss.nAuthed++
	} else {
		ss.nAnon++
		ss.anon = append(ss.anon, s.id)
		if len(ss.anon) > 2*maxAnonSessions {
			ss.compactLocked()
		}
	}
	return s
}

// removeLocked forgets a session and keeps the pool counts right.
func (ss *sessions) removeLocked(id string) {
	s, ok := ss.m[id]
	if !ok {
		return
	}
	delete(ss.m, id)
	if s.authed {
		ss.nAuthed--
	} else {
		ss.nAnon--
	}
}

// compactLocked drops ids of sessions already gone from the anonymous
// queue, so it stays proportional to the live sessions.
func (ss *sessions) compactLocked() {
	live := ss.anon[:0]
	for _, id := range ss.anon {
		if s, ok := ss.m[id]; ok && !s.authed {
			live = append(live, id)
		}
	}
	ss.anon = live
}

// get returns a live session and extends it; a copy, so callers need no lock.
func (ss *sessions) get(id string) (session, bool) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.m[id]
	if !ok {
		return session{}, false
	}
	now := ss.now()
	if now.After(s.expires) {
		ss.removeLocked(id)
		return session{}, false
	}
	s.expires = now.Add(ss.ttl)
	return *s, true
}

func (ss *sessions) delete(id string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.removeLocked(id)
}

func (ss *sessions) setFlash(id, msg string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if s, ok := ss.m[id]; ok {
		s.flash = msg
	}
}

func (ss *sessions) takeFlash(id string) string {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	s, ok := ss.m[id]
	if !ok {
		return ""
	}
	msg := s.flash
	s.flash = ""
	return msg
}

func (h *Handler) setCookie(w http.ResponseWriter, r *http.Request, s *session) {
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: s.id, Path: Prefix,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
}

func (h *Handler) clearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: "", Path: Prefix, MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
}

func (h *Handler) current(r *http.Request) (session, bool) {
	c, err := r.Cookie(cookieName)
	if err != nil || c.Value == "" {
		return session{}, false
	}
	return h.sessions.get(c.Value)
}

type sessionKey struct{}

func withSession(r *http.Request, s session) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), sessionKey{}, s))
}

func sessionOf(r *http.Request) session {
	s, _ := r.Context().Value(sessionKey{}).(session)
	return s
}

// authed requires a logged-in session; POSTs also need the session's CSRF
// token. Without a login, the browser is sent to the login page.
func (h *Handler) authed(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, ok := h.current(r)
		if !ok || !s.authed {
			target := "/admin/login"
			if r.Method == http.MethodGet && r.URL.Path != "/admin/" {
				target += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		if r.Method == http.MethodPost && !h.checkCSRF(w, r, s) {
			return
		}
		next(w, withSession(r, s))
	}
}

// anon requires a session (anonymous or not) with a matching CSRF token:
// the login form.
func (h *Handler) anon(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s, ok := h.current(r)
		if !ok {
			h.renderError(w, r, http.StatusForbidden, "Login form expired",
				"The login form has expired or your browser did not send its cookie. Open the login page again and sign in.")
			return
		}
		if !h.checkCSRF(w, r, s) {
			return
		}
		next(w, withSession(r, s))
	}
}

var errFormTooLarge = errors.New("form too large")

// checkCSRF reads the form (bounded) and compares its token with the
// session's; it answers 403 itself when they differ.
func (h *Handler) checkCSRF(w http.ResponseWriter, r *http.Request, s session) bool {
	if err := parseForm(w, r); err != nil {
		if errors.Is(err, errFormTooLarge) {
			h.renderError(w, r, http.StatusRequestEntityTooLarge, "Upload too large",
				"The form is larger than the emulator accepts (plugin files up to 64 MiB). Choose a smaller file.")
			return false
		}
		h.renderError(w, r, http.StatusBadRequest, "Unreadable form", "The form could not be read: "+err.Error()+". Reload the page and try again.")
		return false
	}
	token := r.PostFormValue(csrfField)
	if r.MultipartForm != nil && token == "" {
		if v := r.MultipartForm.Value[csrfField]; len(v) > 0 {
			token = v[0]
		}
	}
	if token == "" || subtle.ConstantTimeCompare([]byte(token), []byte(s.csrf)) != 1 {
		h.log.Warn("admin form refused: missing or wrong CSRF token", "path", r.URL.Path, "remote", r.RemoteAddr)
		h.renderError(w, r, http.StatusForbidden, "Form refused",
			"This form did not carry a valid security token, so it was not processed (it may be stale, or it came from another site). Go back, reload the page and submit it again.")
		return false
	}
	return true
}

func parseForm(w http.ResponseWriter, r *http.Request) error {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	limit := int64(maxFormSize)
	if mt == "multipart/form-data" {
		limit = maxUploadSize
	}
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	var err error
	if mt == "multipart/form-data" {
		err = r.ParseMultipartForm(8 << 20)
	} else {
		err = r.ParseForm()
	}
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) || (err != nil && strings.Contains(err.Error(), "too large")) {
		return errFormTooLarge
	}
	return err
}

func (h *Handler) loginPage(w http.ResponseWriter, r *http.Request) {
	s, ok := h.current(r)
	if ok && s.authed {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	if !ok {
		ns := h.sessions.create(false)
		h.setCookie(w, r, ns)
		s = *ns
	}
	h.render(w, withSession(r, s), http.StatusOK, "login", pageData{Title: "Sign in", Next: safeNext(r.URL.Query().Get("next"))})
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	user := r.PostFormValue("username")
	if !h.lockout.allowed(clientOf(r), user, h.cfg.Now()) {
		h.render(w, r, http.StatusTooManyRequests, "login", pageData{Title: "Sign in", Next: safeNext(r.PostFormValue("next")),
			Error: "Too many failed sign-ins. Wait a minute, then try again."})
		return
	}
	pass := r.PostFormValue("password")
	okUser := subtle.ConstantTimeCompare([]byte(user), []byte(h.cfg.Username))
	okPass := subtle.ConstantTimeCompare([]byte(pass), []byte(h.cfg.Password))
	next := safeNext(r.PostFormValue("next"))
	if okUser&okPass != 1 {
		h.lockout.failed(clientOf(r), user, h.cfg.Now())
		h.log.Warn("admin login failed", "remote", r.RemoteAddr)
		h.render(w, r, http.StatusUnauthorized, "login", pageData{Title: "Sign in", Next: next,
			Error: "The username or password is wrong. The emulator prints them when it starts (or use the ones you gave it)."})
		return
	}
	// A new session id on login, so a planted anonymous id is worthless.
	h.sessions.delete(sessionOf(r).id)
	ns := h.sessions.create(true)
	h.setCookie(w, r, ns)
	h.log.Info("admin logged in", "remote", r.RemoteAddr)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	h.sessions.delete(sessionOf(r).id)
	h.clearCookie(w, r)
	http.Redirect(w, r, "/admin/login", http.StatusSeeOther)
}

// safeNext keeps post-login redirects inside the admin pages.
func safeNext(next string) string {
	if strings.HasPrefix(next, Prefix) && !strings.HasPrefix(next, "//") && !strings.ContainsAny(next, "\\\r\n") {
		return next
	}
	return "/admin/plugins"
}

// GeneratePassword returns a random password for the admin login.
func GeneratePassword() string { return rand.Text() }
