// Package register is the vendor side of PowerSchool plugin registration:
// an http.Handler that receives the Registration Request PowerSchool sends
// to a plugin's <registration url>, checks it, and hands it to a function
// that stores it.
package register

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net/http"

	"github.com/pskit/pskit/plugin"
)

// SaveFunc stores a validated registration. An error answers 500 and is
// logged; its text is not sent to the caller.
type SaveFunc func(ctx context.Context, req plugin.RegistrationRequest) error

// VerifyFunc checks a registration before it is saved, typically by
// obtaining a token with its credentials. An error answers 422 with the
// error's text, so it must not contain the secret.
type VerifyFunc func(ctx context.Context, req plugin.RegistrationRequest) error

// Handler receives Registration Requests. Only POST is allowed; the body
// is JSON (plugin.RegistrationContentType) or a form with the same field
// names, at most plugin.MaxRegistrationSize bytes. Requests carrying a
// browser's Origin or Sec-Fetch-* headers are refused (403), so a web page
// cannot make a visitor's browser post a registration. Nothing is saved unless
// the request is complete and, when Verify is set, verified.
type Handler struct {
	Save   SaveFunc   // required
	Verify VerifyFunc // optional
	Logger *slog.Logger
}

func (h *Handler) logger() *slog.Logger {
	if h.Logger != nil {
		return h.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	log := h.logger()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		reply(w, http.StatusMethodNotAllowed, plugin.RegistrationReply{Error: "use POST to send a registration"})
		return
	}
	// A web page can make a browser post a form here (no preflight), so
	// anything a browser marks as its own is refused: PowerSchool's server
	// sends neither Origin nor Sec-Fetch-* headers.
	if r.Header.Get("Origin") != "" || r.Header.Get("Sec-Fetch-Site") != "" || r.Header.Get("Sec-Fetch-Mode") != "" {
		log.Warn("registration refused", "remote", r.RemoteAddr, "reason", "sent by a web browser")
		reply(w, http.StatusForbidden, plugin.RegistrationReply{Error: "registrations are accepted from PowerSchool's server only, not from a web browser"})
		return
	}
	req, err := decode(w, r)
	if err != nil {
		log.Warn("registration refused", "remote", r.RemoteAddr, "reason", err.Error())
		status, msg := http.StatusBadRequest, err.Error()
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			status, msg = http.StatusRequestEntityTooLarge, fmt.Sprintf("the body is larger than %d bytes", plugin.MaxRegistrationSize)
		} else if errors.Is(err, errContentType) {
			status = http.StatusUnsupportedMediaType
		}
		reply(w, status, plugin.RegistrationReply{Error: msg})
		return
	}
	if err := req.Validate(); err != nil {
		log.Warn("registration refused", "remote", r.RemoteAddr, "reason", err.Error(), "request", req)
		reply(w, http.StatusBadRequest, plugin.RegistrationReply{Error: err.Error()})
		return
	}
	if h.Verify != nil {
		if err := h.Verify(r.Context(), req); err != nil {
			log.Warn("registration failed verification", "request", req, "reason", err.Error())
			reply(w, http.StatusUnprocessableEntity, plugin.RegistrationReply{Error: "credentials could not be verified: " + err.Error()})
			return
		}
	}
	if err := h.Save(r.Context(), req); err != nil {
		log.Error("registration could not be saved", "request", req, "err", err.Error())
		reply(w, http.StatusInternalServerError, plugin.RegistrationReply{Error: "the registration could not be saved; see the receiver's log"})
		return
	}
	log.Info("registration saved", "request", req)
	reply(w, http.StatusOK, plugin.RegistrationReply{Status: "registered"})
}

var errContentType = errors.New("unsupported content type")

func decode(w http.ResponseWriter, r *http.Request) (plugin.RegistrationRequest, error) {
	body := http.MaxBytesReader(w, r.Body, plugin.MaxRegistrationSize)
	ct := r.Header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if ct == "" {
		mt, err = plugin.RegistrationContentType, nil
	}
	if err != nil {
		return plugin.RegistrationRequest{}, fmt.Errorf("%w %q; send application/json", errContentType, ct)
	}
	switch mt {
	case "application/json", "text/json":
		req, err := plugin.DecodeRegistrationRequest(body)
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return req, mbe
		}
		return req, err
	case "application/x-www-form-urlencoded":
		r.Body = body
		if err := r.ParseForm(); err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return plugin.RegistrationRequest{}, mbe
			}
			return plugin.RegistrationRequest{}, fmt.Errorf("registration request: the form could not be read: %v", err)
		}
		return plugin.DecodeRegistrationForm(r.PostForm), nil
	default:
		return plugin.RegistrationRequest{}, fmt.Errorf("%w %q; send application/json", errContentType, mt)
	}
}

func reply(w http.ResponseWriter, status int, body plugin.RegistrationReply) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
