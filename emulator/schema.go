package emulator

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/pskit/pskit/emulator/internal/pluginaccess"
)

// schemaRoutes mounts what /ws/schema serves itself: the data
// dictionary's areas and the change log.
func (s *Server) schemaRoutes() {
	s.mux.HandleFunc("GET /ws/schema/area", s.authed(s.ws.Handle(s.serveAreas)))
	s.mux.HandleFunc("GET /ws/schema/area/{area}/table", s.authed(s.ws.Handle(s.serveAreaTables)))
	s.mux.HandleFunc("GET /ws/dataversion/{app}/{version}", s.authed(s.ws.Handle(s.serveDataVersion)))
}

// schemaAreas groups the tables the table API serves into PowerSchool's
// data-dictionary areas, in the order /ws/schema/area lists them. The
// grouping is the emulator's: PowerSchool's answer was never captured.
var schemaAreas = []struct {
	name   string
	tables []string
}{
	{"District", []string{"PREFS", "SCHOOLS"}},
	{"Students", []string{"STUDENTS", "STUDENTCOREFIELDS", "SPENROLLMENTS", "TRANSPORTATION"}},
	{"Staff", []string{"USERS", "SCHOOLSTAFF", "TEACHERS"}},
	{"Scheduling", []string{"COURSES", "SECTIONS", "TERMS", "CC"}},
	{"Gradebook", []string{"ASSIGNMENT", "ASSIGNMENTSECTION", "ASSIGNMENTSCORE", "ASSIGNMENTCATEGORYASSOC", "TEACHERCATEGORY"}},
	{"Historical Grades", []string{"STOREDGRADES"}},
	{"Fees", []string{"FEE"}},
	{"Extensions", nil}, // every U_* table
	{"Other", nil},      // tables no other area claims
}

// areaOf names the area a table (upper case) belongs to.
func areaOf(table string) string {
	for _, a := range schemaAreas {
		if slices.Contains(a.tables, table) {
			return a.name
		}
	}
	if strings.HasPrefix(table, "U_") {
		return "Extensions"
	}
	return "Other"
}

type schemaTableEntry struct {
	Name      string `json:"name"`
	Extension bool   `json:"extension"`
}

// schemaTables lists the tables and views the table API serves, upper
// case and sorted, leaving out the emulator's own state (EMU_*), SQLite's
// and the plugin registry, as GET /ws/schema/table does.
func (s *Server) schemaTables(ctx context.Context) ([]string, error) {
	rows, err := s.store.DB.QueryContext(ctx, `SELECT upper(name) FROM sqlite_master WHERE type IN ('table','view') ORDER BY upper(name)`)
	if err != nil {
		return nil, fmt.Errorf("listing tables: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			return nil, fmt.Errorf("listing tables: %w", err)
		}
		if !strings.HasPrefix(n, "EMU_") && !strings.HasPrefix(n, "SQLITE_") && n != "PLUGINDEF" {
			out = append(out, n)
		}
	}
	return out, rows.Err()
}

// serveAreas answers GET /ws/schema/area: {"areas":[{"name","tables"}]},
// tables being how many the area holds; empty areas are left out.
func (s *Server) serveAreas(r *http.Request) (any, error) {
	tables, err := s.schemaTables(r.Context())
	if err != nil {
		return nil, fail(http.StatusInternalServerError, err.Error())
	}
	count := map[string]int{}
	for _, t := range tables {
		count[areaOf(t)]++
	}
	type area struct {
		Name   string `json:"name"`
		Tables int    `json:"tables"`
	}
	out := []area{}
	for _, a := range schemaAreas {
		if count[a.name] > 0 {
			out = append(out, area{a.name, count[a.name]})
		}
	}
	return map[string]any{"areas": out}, nil
}

// serveAreaTables answers GET /ws/schema/area/{area}/table (the area's
// name in any case) with the same entries as GET /ws/schema/table.
func (s *Server) serveAreaTables(r *http.Request) (any, error) {
	want := r.PathValue("area")
	var name string
	var names []string
	for _, a := range schemaAreas {
		names = append(names, a.name)
		if strings.EqualFold(a.name, want) {
			name = a.name
		}
	}
	if name == "" {
		return nil, fail(http.StatusNotFound, fmt.Sprintf("no schema area %q; the areas are %s (GET /ws/schema/area lists them)", want, strings.Join(names, ", ")))
	}
	tables, err := s.schemaTables(r.Context())
	if err != nil {
		return nil, fail(http.StatusInternalServerError, err.Error())
	}
	out := []schemaTableEntry{}
	for _, t := range tables {
		if areaOf(t) == name {
			out = append(out, schemaTableEntry{Name: t, Extension: strings.HasPrefix(t, "U_") || strings.HasSuffix(t, "COREFIELDS")})
		}
	}
	return map[string]any{"name": name, "tables": out}, nil
}

// schemaCaller describes the plugin behind a request that passed s.authed.
func (s *Server) schemaCaller(r *http.Request) (*pluginaccess.Caller, error) {
	c, ok := callerFrom(r.Context())
	if !ok || c.p == nil {
		return nil, errors.New("no authenticated plugin")
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if c.p.bundle == nil {
		return nil, errors.New("the plugin's bundle is not loaded")
	}
	pc := pluginaccess.FromBundle(int64(c.PluginID), c.p.bundle)
	pc.AccessLevelV1 = c.p.accessLevel
	pc.MaxPageSize = c.PageSizes.SchemaTableQuery
	return pc, nil
}
