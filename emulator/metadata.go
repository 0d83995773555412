package emulator

import (
	"fmt"
	"net/http"
	"time"

	"github.com/pskit/pskit/emulator/internal/respond"
	"github.com/pskit/pskit/emulator/internal/store"
)

func (s *Server) metadataRoutes() {
	s.mux.HandleFunc("GET /ws/v1/metadata", s.ws.Handle(s.handleMetadata))
	s.mux.HandleFunc("GET /ws/v1/time", s.ws.Handle(s.handleTime))
}

type metadata struct {
	PluginID              int    `json:"plugin_id,omitempty"`
	PowerSchoolVersion    string `json:"powerschool_version"`
	PowerTeacherVersion   string `json:"powerteacher_version"`
	StateReportingVersion string `json:"state_reporting_version"`
	MobileAPIVersion      string `json:"mobile_api_version"`
	MachineUptime         string `json:"machine_uptime"`
	PowerSchoolUptime     string `json:"powerschool_uptime"`
	State                 string `json:"state"`
	DistrictTimezone      string `json:"district_timezone"`
	DistrictUUID          string `json:"district_uuid"`
	*PageSizes
	SSOEnabledAdmin    string `json:"sso_enabled_admin"`
	SSOEnabledGuardian string `json:"sso_enabled_guardian"`
	SSOEnabledStudent  string `json:"sso_enabled_student"`
	SSOEnabledTeacher  string `json:"sso_enabled_teacher"`
}

// handleMetadata answers with or without a token; plugin_id and the
// plugin's page sizes appear only with a valid one (unauthenticated fields
// are not captured: assumed).
func (s *Server) handleMetadata(r *http.Request) (any, error) {
	uuid, err := s.store.DistrictUUID(r.Context())
	if err != nil {
		return nil, respond.Internal("reading the district", err)
	}
	up := uptime(s.now().Sub(s.start))
	m := metadata{PowerSchoolVersion: PowerSchoolVersion, PowerTeacherVersion: PowerSchoolVersion, StateReportingVersion: "25.12.0.0",
		MobileAPIVersion: "3", MachineUptime: up, PowerSchoolUptime: up, State: store.DistrictState,
		DistrictTimezone: store.DistrictTimezone, DistrictUUID: uuid,
		SSOEnabledAdmin: "false", SSOEnabledGuardian: "false", SSOEnabledStudent: "false", SSOEnabledTeacher: "false"}
	if p, st := s.authenticate(r); st == tokenOK {
		s.mu.RLock()
		ps := p.settings.PageSizes
		s.mu.RUnlock()
		m.PluginID, m.PageSizes = p.id, &ps
	}
	return map[string]any{"metadata": m}, nil
}

func uptime(d time.Duration) string {
	d = d.Round(time.Second)
	return fmt.Sprintf("%d days, %d hours, %d minutes", int(d.Hours())/24, int(d.Hours())%24, int(d.Minutes())%60)
}

// handleTime needs no token (reference §3.1); the shape is assumed.
func (s *Server) handleTime(r *http.Request) (any, error) {
	loc, err := time.LoadLocation(store.DistrictTimezone)
	if err != nil {
		loc = time.UTC
	}
	now := s.now().In(loc)
	return map[string]any{"time": map[string]any{
		"date": now.Format(time.DateOnly), "time": now.Format("15:04:05"), "timezone": store.DistrictTimezone, "timestamp": now.Format(time.RFC3339),
	}}, nil
}
