package emulator

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/pskit/pskit/plugin"
)

// The control surface: what a district admin does in PowerSchool's UI, plus
// the emulator's own knobs. It lives under /emulator/ only, so it cannot be
// mistaken for PowerSchool's API.
func (s *Server) controlRoutes() {
	s.mux.HandleFunc("GET /emulator/plugins", s.admin(s.ctlListPlugins))
	s.mux.HandleFunc("POST /emulator/plugins", s.admin(s.ctlInstall))
	s.mux.HandleFunc("GET /emulator/plugins/{id}", s.admin(s.ctlPluginConfig))
	s.mux.HandleFunc("PUT /emulator/plugins/{id}", s.admin(s.ctlSetPluginConfig))
	s.mux.HandleFunc("DELETE /emulator/plugins/{id}", s.admin(s.ctlDeletePlugin))
	s.mux.HandleFunc("GET /emulator/plugins/{id}/credentials", s.admin(s.ctlCredentials))
	s.mux.HandleFunc("POST /emulator/plugins/{id}/regenerate", s.admin(s.ctlRegenerate))
	s.mux.HandleFunc("POST /emulator/plugins/{id}/enable", s.admin(s.ctlEnable(true)))
	s.mux.HandleFunc("POST /emulator/plugins/{id}/disable", s.admin(s.ctlEnable(false)))
	s.mux.HandleFunc("POST /emulator/tokens/expire", s.admin(s.ctlExpire))
	s.mux.HandleFunc("GET /emulator/faults", s.admin(s.ctlFaults))
	s.mux.HandleFunc("PUT /emulator/faults", s.admin(s.ctlSetFaults))
	s.mux.HandleFunc("GET /emulator/stats", s.admin(s.ctlStats))
	s.mux.HandleFunc("DELETE /emulator/stats", s.admin(s.ctlResetStats))
	s.mux.HandleFunc("POST /emulator/mutate", s.admin(s.ctlMutate))
	s.mux.HandleFunc("GET /emulator/clock", s.admin(s.ctlClock))
	s.mux.HandleFunc("POST /emulator/clock", s.admin(s.ctlClock))
}

// admin requires the admin key when one is configured (always when the
// emulator may listen beyond loopback).
func (s *Server) admin(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.opts.AdminKey != "" && subtle.ConstantTimeCompare([]byte(r.Header.Get(AdminKeyHeader)), []byte(s.opts.AdminKey)) != 1 {
			writeError(w, http.StatusUnauthorized, "the emulator's control surface needs the admin key in the "+AdminKeyHeader+" header")
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		upload := r.Method == http.MethodPost && r.URL.Path == "/emulator/plugins"
		if !writeTypeOK(r, upload) {
			want := "Content-Type: application/json"
			if upload {
				want = "the plugin as Content-Type: application/zip or application/xml"
			}
			writeError(w, http.StatusUnsupportedMediaType, "a write to the emulator's control surface must send "+want+" (or the "+AdminKeyHeader+" header); got Content-Type "+strconv.Quote(r.Header.Get("Content-Type")))
			return
		}
		h(w, r)
	}
}

func (s *Server) ctlListPlugins(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"plugins": s.Plugins()})
}

func (s *Server) ctlInstall(w http.ResponseWriter, r *http.Request) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, plugin.MaxBundleSize))
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, "reading the plugin: "+err.Error())
		return
	}
	// enabled=false installs as the admin pages do, waiting to be enabled;
	// without it the plugin is enabled at once, as it always was here.
	enabled := true
	if v := r.URL.Query().Get("enabled"); v != "" {
		if enabled, err = strconv.ParseBool(v); err != nil {
			writeError(w, http.StatusBadRequest, "the enabled query parameter is "+strconv.Quote(v)+"; use enabled=true or enabled=false")
			return
		}
	}
	c, updatedFrom, err := s.installData(data, enabled)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	status := http.StatusCreated
	if updatedFrom != "" {
		status = http.StatusOK // a newer version replaced the installed one in place
	}
	writeJSON(w, status, c)
}

func (s *Server) ctlID(w http.ResponseWriter, r *http.Request) (int, bool) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusNotFound, "no plugin with id "+r.PathValue("id"))
		return 0, false
	}
	return id, true
}

func (s *Server) ctlResult(w http.ResponseWriter, v any, err error) {
	switch {
	case errors.Is(err, errUnknownPlugin):
		writeError(w, http.StatusNotFound, err.Error())
	case err != nil:
		writeError(w, http.StatusBadRequest, err.Error())
	case v == nil:
		w.WriteHeader(http.StatusNoContent)
	default:
		writeJSON(w, http.StatusOK, v)
	}
}

// pluginConfigJSON is PluginConfig with the interval as a Go duration string.
type pluginConfigJSON struct {
	Enabled          *bool      `json:"enabled,omitempty"`
	AccessLevelV1API *string    `json:"access_level_v1_api,omitempty"`
	PageSizes        *PageSizes `json:"page_sizes,omitempty"`
	MinInterval      *string    `json:"min_interval,omitempty"`
}

func configJSON(c PluginConfig) pluginConfigJSON {
	mi := c.MinInterval.String()
	return pluginConfigJSON{Enabled: &c.Enabled, AccessLevelV1API: &c.AccessLevelV1API, PageSizes: &c.PageSizes, MinInterval: &mi}
}

func (s *Server) ctlPluginConfig(w http.ResponseWriter, r *http.Request) {
	if id, ok := s.ctlID(w, r); ok {
		c, err := s.PluginConfig(id)
		s.ctlResult(w, configJSON(c), err)
	}
}

// ctlSetPluginConfig applies the fields present in the body.
func (s *Server) ctlSetPluginConfig(w http.ResponseWriter, r *http.Request) {
	id, ok := s.ctlID(w, r)
	if !ok {
		return
	}
	c, err := s.PluginConfig(id)
	if err != nil {
		s.ctlResult(w, nil, err)
		return
	}
	var in pluginConfigJSON
	if err := decodeBody(w, r, &in); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	if in.Enabled != nil {
		c.Enabled = *in.Enabled
	}
	if in.AccessLevelV1API != nil {
		c.AccessLevelV1API = *in.AccessLevelV1API
	}
	if in.PageSizes != nil {
		c.PageSizes = *in.PageSizes
	}
	if in.MinInterval != nil {
		if c.MinInterval, err = time.ParseDuration(*in.MinInterval); err != nil {
			writeError(w, http.StatusBadRequest, "min_interval: "+err.Error()+` (use a duration such as "500ms" or "2s")`)
			return
		}
	}
	if err := s.SetPluginConfig(id, c); err != nil {
		s.ctlResult(w, nil, err)
		return
	}
	c, err = s.PluginConfig(id)
	s.ctlResult(w, configJSON(c), err)
}

func (s *Server) ctlDeletePlugin(w http.ResponseWriter, r *http.Request) {
	if id, ok := s.ctlID(w, r); ok {
		s.ctlResult(w, nil, s.DeletePlugin(id))
	}
}

func (s *Server) ctlCredentials(w http.ResponseWriter, r *http.Request) {
	if id, ok := s.ctlID(w, r); ok {
		c, err := s.PluginCredentials(id)
		s.ctlResult(w, c, err)
	}
}

func (s *Server) ctlRegenerate(w http.ResponseWriter, r *http.Request) {
	if id, ok := s.ctlID(w, r); ok {
		c, err := s.Regenerate(id)
		s.ctlResult(w, c, err)
	}
}

func (s *Server) ctlEnable(on bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if id, ok := s.ctlID(w, r); ok {
			s.ctlResult(w, nil, s.setEnabled(id, on))
		}
	}
}

func (s *Server) ctlExpire(w http.ResponseWriter, r *http.Request) {
	s.ExpireTokens()
	w.WriteHeader(http.StatusNoContent)
}

// faultsJSON is Faults with durations as Go duration strings.
type faultsJSON struct {
	Latency  string  `json:"latency"`
	Jitter   string  `json:"jitter"`
	FailRate float64 `json:"fail_rate"`
	DropRate float64 `json:"drop_rate"`
	TokenTTL string  `json:"token_ttl"`
}

func toFaultsJSON(f Faults) faultsJSON {
	return faultsJSON{f.Latency.String(), f.Jitter.String(), f.FailRate, f.DropRate, f.TokenTTL.String()}
}

func (s *Server) ctlFaults(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, toFaultsJSON(s.Faults()))
}

// ctlSetFaults replaces the faults; omitted fields keep their values.
func (s *Server) ctlSetFaults(w http.ResponseWriter, r *http.Request) {
	in := toFaultsJSON(s.Faults())
	if err := decodeBody(w, r, &in); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	var f Faults
	var err error
	for _, d := range []struct {
		name string
		in   string
		out  *time.Duration
	}{{"latency", in.Latency, &f.Latency}, {"jitter", in.Jitter, &f.Jitter}, {"token_ttl", in.TokenTTL, &f.TokenTTL}} {
		if *d.out, err = time.ParseDuration(d.in); err != nil {
			writeError(w, http.StatusBadRequest, d.name+": "+err.Error()+` (use a duration such as "250ms")`)
			return
		}
	}
	f.FailRate, f.DropRate = in.FailRate, in.DropRate
	if err := s.SetFaults(f); err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	writeJSON(w, http.StatusOK, toFaultsJSON(s.Faults()))
}

func (s *Server) ctlStats(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Stats())
}

func (s *Server) ctlResetStats(w http.ResponseWriter, r *http.Request) {
	s.ResetStats()
	w.WriteHeader(http.StatusNoContent)
}

func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.New("the JSON body could not be read: " + err.Error())
	}
	return nil
}
