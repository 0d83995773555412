package emulator

import (
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/pskit/pskit/emulator/internal/respond"
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
// emulator may listen beyond loopback), checks a write's Content-Type and
// caps its body, then answers f in the /ws/v1 dialect.
func (s *Server) admin(f respond.Func) http.HandlerFunc {
	h := v1Wire.Handle(f)
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
		limit := int64(1 << 20)
		if upload {
			limit = plugin.MaxBundleSize
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		h(w, r)
	}
}

// noContent is a 204 answer.
var noContent = &respond.Reply{Status: http.StatusNoContent}

func (s *Server) ctlListPlugins(r *http.Request) (any, error) {
	return map[string]any{"plugins": s.Plugins()}, nil
}

func (s *Server) ctlInstall(r *http.Request) (any, error) {
	data, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, fail(http.StatusRequestEntityTooLarge, "reading the plugin: "+err.Error())
	}
	// enabled=false installs as the admin pages do, waiting to be enabled;
	// without it the plugin is enabled at once, as it always was here.
	enabled := true
	if v := r.URL.Query().Get("enabled"); v != "" {
		if enabled, err = strconv.ParseBool(v); err != nil {
			return nil, fail(http.StatusBadRequest, "the enabled query parameter is "+strconv.Quote(v)+"; use enabled=true or enabled=false")
		}
	}
	c, updatedFrom, err := s.installData(data, enabled)
	if err != nil {
		return nil, fail(http.StatusBadRequest, err.Error())
	}
	status := http.StatusCreated
	if updatedFrom != "" {
		status = http.StatusOK // a newer version replaced the installed one in place
	}
	return &respond.Reply{Status: status, Body: c}, nil
}

func ctlID(r *http.Request) (int, error) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		return 0, fail(http.StatusNotFound, "no plugin with id "+r.PathValue("id"))
	}
	return id, nil
}

// ctlResult answers v (204 when nil) or err: 404 for an unknown plugin,
// 400 for anything else.
func ctlResult(v any, err error) (any, error) {
	switch {
	case errors.Is(err, errUnknownPlugin):
		return nil, fail(http.StatusNotFound, err.Error())
	case err != nil:
		return nil, fail(http.StatusBadRequest, err.Error())
	case v == nil:
		return noContent, nil
	}
	return v, nil
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

func (s *Server) ctlPluginConfig(r *http.Request) (any, error) {
	id, err := ctlID(r)
	if err != nil {
		return nil, err
	}
	c, err := s.PluginConfig(id)
	return ctlResult(configJSON(c), err)
}

// ctlSetPluginConfig applies the fields present in the body.
func (s *Server) ctlSetPluginConfig(r *http.Request) (any, error) {
	id, err := ctlID(r)
	if err != nil {
		return nil, err
	}
	c, err := s.PluginConfig(id)
	if err != nil {
		return ctlResult(nil, err)
	}
	var in pluginConfigJSON
	if err := decodeBody(r, &in); err != nil {
		return nil, fail(http.StatusBadRequest, err.Error())
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
			return nil, fail(http.StatusBadRequest, "min_interval: "+err.Error()+` (use a duration such as "500ms" or "2s")`)
		}
	}
	if err := s.SetPluginConfig(id, c); err != nil {
		return ctlResult(nil, err)
	}
	c, err = s.PluginConfig(id)
	return ctlResult(configJSON(c), err)
}

func (s *Server) ctlDeletePlugin(r *http.Request) (any, error) {
	id, err := ctlID(r)
	if err != nil {
		return nil, err
	}
	return ctlResult(nil, s.DeletePlugin(id))
}

func (s *Server) ctlCredentials(r *http.Request) (any, error) {
	id, err := ctlID(r)
	if err != nil {
		return nil, err
	}
	c, err := s.PluginCredentials(id)
	return ctlResult(c, err)
}

func (s *Server) ctlRegenerate(r *http.Request) (any, error) {
	id, err := ctlID(r)
	if err != nil {
		return nil, err
	}
	c, err := s.Regenerate(id)
	return ctlResult(c, err)
}

func (s *Server) ctlEnable(on bool) respond.Func {
	return func(r *http.Request) (any, error) {
		id, err := ctlID(r)
		if err != nil {
			return nil, err
		}
		return ctlResult(nil, s.setEnabled(id, on))
	}
}

func (s *Server) ctlExpire(r *http.Request) (any, error) {
	s.ExpireTokens()
	return noContent, nil
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

func (s *Server) ctlFaults(r *http.Request) (any, error) {
	return toFaultsJSON(s.Faults()), nil
}

// ctlSetFaults replaces the faults; omitted fields keep their values.
func (s *Server) ctlSetFaults(r *http.Request) (any, error) {
	in := toFaultsJSON(s.Faults())
	if err := decodeBody(r, &in); err != nil {
		return nil, fail(http.StatusBadRequest, err.Error())
	}
	var f Faults
	var err error
	for _, d := range []struct {
		name string
		in   string
		out  *time.Duration
	}{{"latency", in.Latency, &f.Latency}, {"jitter", in.Jitter, &f.Jitter}, {"token_ttl", in.TokenTTL, &f.TokenTTL}} {
		if *d.out, err = time.ParseDuration(d.in); err != nil {
			return nil, fail(http.StatusBadRequest, d.name+": "+err.Error()+` (use a duration such as "250ms")`)
		}
	}
	f.FailRate, f.DropRate = in.FailRate, in.DropRate
	if err := s.SetFaults(f); err != nil {
		return nil, fail(http.StatusBadRequest, err.Error())
	}
	return toFaultsJSON(s.Faults()), nil
}

func (s *Server) ctlStats(r *http.Request) (any, error) {
	return s.Stats(), nil
}

func (s *Server) ctlResetStats(r *http.Request) (any, error) {
	s.ResetStats()
	return noContent, nil
}

// decodeBody reads a JSON body (already capped by admin) into v.
func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errors.New("the JSON body could not be read: " + err.Error())
	}
	return nil
}
