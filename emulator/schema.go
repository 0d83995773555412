package emulator

import (
	"errors"
	"net/http"

	"github.com/pskit/pskit/emulator/internal/pluginaccess"
	"github.com/pskit/pskit/emulator/internal/powerquery"
	"github.com/pskit/pskit/emulator/internal/studentwrite"
	"github.com/pskit/pskit/emulator/internal/tableapi"
)

// schemaRoutes mounts PowerQueries (/ws/schema/query), the table API
// (/ws/schema/table) and bulk student writes (POST /ws/v1/student) behind
// the bearer-token check; the handlers learn the calling plugin's
// access_request, named queries, access level and page size from
// schemaCaller.
func (s *Server) schemaRoutes() {
	pq := powerquery.New(s.store.DB, s.schemaCaller)
	tables := tableapi.New(s.store, s.schemaCaller)
	students := studentwrite.New(s.store, s.schemaCaller)
	for _, p := range []string{"GET /ws/schema/query/api", "POST /ws/schema/query/{name}", "POST /ws/schema/query/{name}/count"} {
		s.mux.HandleFunc(p, s.authed(pq.ServeHTTP))
	}
	for _, p := range []string{"GET /ws/schema/table", "GET /ws/schema/table/{table}", "POST /ws/schema/table/{table}",
		"GET /ws/schema/table/{table}/count", "GET /ws/schema/table/{table}/metadata",
		"GET /ws/schema/table/{table}/{id}", "PUT /ws/schema/table/{table}/{id}", "DELETE /ws/schema/table/{table}/{id}"} {
		s.mux.HandleFunc(p, s.authed(tables.ServeHTTP))
	}
	s.mux.HandleFunc("POST /ws/v1/student", s.v1(students.ServeHTTP))
	s.mux.HandleFunc("GET /ws/dataversion/{app}/{version}", s.authed(s.serveDataVersion))
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
