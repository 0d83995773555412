package emulator

import (
	"errors"
	"fmt"

	"github.com/pskit/pskit/emulator/internal/admin"
	"github.com/pskit/pskit/plugin"
)

// DefaultAdminUser is the admin pages' username when Options.AdminUser is
// empty.
const DefaultAdminUser = "admin"

// adminRoutes mounts the admin pages (/admin/), generating the admin
// password when none was given; AdminLogin tells it.
func (s *Server) adminRoutes() error {
	if s.opts.AdminUser == "" {
		s.opts.AdminUser = DefaultAdminUser
	}
	if s.opts.AdminPassword == "" {
		s.opts.AdminPassword = admin.GeneratePassword()
	}
	h, err := admin.New(admin.Config{
		Username: s.opts.AdminUser, Password: s.opts.AdminPassword,
		Plugins: adminPlugins{s}, ServerURL: s.URL, Logger: s.log, Now: s.now,
	})
	if err != nil {
		return err
	}
	s.mux.Handle(admin.Prefix, h)
	return nil
}

// AdminLogin returns the username and password of the admin pages at
// URL()+"/admin/" (generated at New when Options left them empty).
func (s *Server) AdminLogin() (user, password string) {
	return s.opts.AdminUser, s.opts.AdminPassword
}

// adminPlugins lets the admin pages manage the server's plugins.
type adminPlugins struct{ s *Server }

func adminErr(err error) error {
	if errors.Is(err, errUnknownPlugin) {
		return fmt.Errorf("%w: %v", admin.ErrNotFound, err)
	}
	return err
}

func (a adminPlugins) List() []admin.Info {
	var out []admin.Info
	for _, p := range a.s.Plugins() {
		if info, err := a.Get(p.ID); err == nil {
			out = append(out, info)
		}
	}
	return out
}

func (a adminPlugins) Get(id int) (admin.Info, error) {
	a.s.mu.RLock()
	defer a.s.mu.RUnlock()
	p, err := a.s.plugin(id)
	if err != nil {
		return admin.Info{}, adminErr(err)
	}
	pi := a.s.infoLocked(p)
	xml := p.bundle.Plugin
	info := admin.Info{
		ID: pi.ID, Name: pi.Name, Version: pi.Version, Description: xml.Description, Publisher: pi.Publisher,
		Enabled: pi.Enabled, HasOAuth: pi.HasOAuth, ClientID: pi.ClientID, InstalledAt: pi.InstalledAt,
		Settings: admin.Settings{AccessLevelV1API: pi.AccessLevelV1API},
	}
	if xml.Registration != nil {
		reg := *xml.Registration
		reg.Parameters = append([]plugin.Parameter(nil), reg.Parameters...)
		info.Registration = &reg
	}
	if xml.AccessRequest != nil {
		info.AccessRequests = append([]plugin.Field(nil), xml.AccessRequest.Fields...)
	}
	sizes := pi.PageSizes
	for _, f := range pageSizeFields(&sizes) {
		info.Settings.PageSizes = append(info.Settings.PageSizes, admin.PageSize{Name: f.name, Max: *f.max})
	}
	return info, nil
}

// Install follows PowerSchool: a new plugin waits, disabled, for the admin
// to enable it.
func (a adminPlugins) Install(data []byte) (admin.Installed, error) {
	c, from, err := a.s.installData(data, false)
	if err != nil {
		return admin.Installed{}, err
	}
	info, err := a.Get(c.PluginID)
	return admin.Installed{Info: info, UpdatedFrom: from}, err
}

func (a adminPlugins) SetEnabled(id int, on bool) error {
	if on {
		return adminErr(a.s.EnablePlugin(id))
	}
	return adminErr(a.s.DisablePlugin(id))
}

func (a adminPlugins) Delete(id int) error { return adminErr(a.s.DeletePlugin(id)) }

func (a adminPlugins) Credentials(id int) (admin.Credentials, error) {
	c, err := a.s.PluginCredentials(id)
	return admin.Credentials{ClientID: c.ClientID, ClientSecret: c.ClientSecret}, adminErr(err)
}

func (a adminPlugins) Regenerate(id int) (admin.Credentials, error) {
	c, err := a.s.Regenerate(id)
	return admin.Credentials{ClientID: c.ClientID, ClientSecret: c.ClientSecret}, adminErr(err)
}

func (a adminPlugins) UpdateSettings(id int, set admin.Settings) error {
	c, err := a.s.PluginConfig(id)
	if err != nil {
		return adminErr(err)
	}
	c.AccessLevelV1API = set.AccessLevelV1API
	byName := map[string]int{}
	for _, ps := range set.PageSizes {
		byName[ps.Name] = ps.Max
	}
	for _, f := range pageSizeFields(&c.PageSizes) {
		if n, ok := byName[f.name]; ok {
			*f.max = n
		}
	}
	return adminErr(a.s.SetPluginConfig(id, c))
}

// pageSizeFields names PageSizes' fields as /ws/v1/metadata does.
func pageSizeFields(p *PageSizes) []struct {
	name string
	max  *int
} {
	return []struct {
		name string
		max  *int
	}{
		{"student_max_page_size", &p.Student}, {"school_max_page_size", &p.School}, {"staff_max_page_size", &p.Staff},
		{"section_max_page_size", &p.Section}, {"section_enrollment_max_page_size", &p.SectionEnrollment},
		{"course_max_page_size", &p.Course}, {"term_max_page_size", &p.Term}, {"schema_table_query_max_page_size", &p.SchemaTableQuery},
	}
}
