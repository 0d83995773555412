package emulator

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/pskit/pskit/emulator/internal/admin"
	"github.com/pskit/pskit/plugin"
)

// DefaultPlugin is the example plugin `psctl emulator` installs when given
// none: OAuth with read access to /ws/v1, and the access_request fields
// grade passback through /ws/xte needs (plugin.GradebookFields).
var DefaultPlugin = defaultPlugin()

func defaultPlugin() []byte {
	var fields strings.Builder
	for _, f := range plugin.GradebookFields() {
		fmt.Fprintf(&fields, "    <field table=%q field=%q access=%q/>\n", f.Table, f.Field, f.Access)
	}
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<plugin xmlns="http://plugin.powerschool.pearson.com"
        xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
        xsi:schemaLocation="http://plugin.powerschool.pearson.com plugin.xsd"
        name="pskit Example Plugin" version="1.0.0" description="Data access for local development against the pskit emulator">
  <oauth accessLevelV1Api="READ"/>
  <publisher name="pskit"><contact email="dev@example.org"/></publisher>
  <access_request>
    <field table="STUDENTS" field="DCID" access="ViewOnly"/>
    <field table="STUDENTS" field="LASTFIRST" access="ViewOnly"/>
` + fields.String() + `  </access_request>
</plugin>
`)
}

// Credentials are what a district admin copies from Data Provider
// Configuration, plus the server URL. JSON names match the credentials file.
type Credentials struct {
	URL          string `json:"url"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	PluginID     int    `json:"plugin_id"`
}

// String hides the secret, so credentials are safe to log.
func (c Credentials) String() string {
	return fmt.Sprintf("plugin %d client %s at %s (secret hidden)", c.PluginID, c.ClientID, c.URL)
}

// WriteCredentials writes c as JSON {"url","client_id","client_secret",
// "plugin_id"} to path with mode 0600, replacing the file atomically.
func WriteCredentials(path string, c Credentials) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".credentials-*")
	if err != nil {
		return fmt.Errorf("writing credentials: %w (check that %s exists and is writable)", err, dir)
	}
	defer os.Remove(f.Name())
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("writing credentials: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("writing credentials: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing credentials: %w", err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("writing credentials to %s: %w", path, err)
	}
	return nil
}

// PageSizes are a plugin's maximum (and default) page sizes, as reported by
// /ws/v1/metadata. Zero fields take Options.MaxPageSize.
type PageSizes struct {
	Student           int `json:"student_max_page_size"`
	School            int `json:"school_max_page_size"`
	Staff             int `json:"staff_max_page_size"`
	Section           int `json:"section_max_page_size"`
	SectionEnrollment int `json:"section_enrollment_max_page_size"`
	Course            int `json:"course_max_page_size"`
	Term              int `json:"term_max_page_size"`
	SchemaTableQuery  int `json:"schema_table_query_max_page_size"`
}

func (p PageSizes) withDefault(n int) PageSizes {
	for _, f := range []*int{&p.Student, &p.School, &p.Staff, &p.Section, &p.SectionEnrollment, &p.Course, &p.Term, &p.SchemaTableQuery} {
		if *f <= 0 {
			*f = n
		}
	}
	return p
}

// PluginConfig is what an admin can change on an installed plugin.
type PluginConfig struct {
	Enabled bool `json:"enabled"`
	// AccessLevelV1API is NONE, READ or FULL (the plugin.xml attribute;
	// absent means NONE).
	AccessLevelV1API string    `json:"access_level_v1_api"`
	PageSizes        PageSizes `json:"page_sizes"`
	// MinInterval is the minimum time between API requests (0: no limit).
	MinInterval time.Duration `json:"min_interval"`
}

// PluginInfo describes an installed plugin (without its secret).
type PluginInfo struct {
	ID          int    `json:"id"`
	Name        string `json:"name"`
	Version     string `json:"version"`
	Publisher   string `json:"publisher"`
	ClientID    string `json:"client_id,omitempty"` // "" without <oauth>
	HasOAuth    bool   `json:"oauth"`
	QueryCount  int    `json:"named_queries"`
	InstalledAt string `json:"installed_at"`
	PluginConfig
}

// pluginSettings is stored as JSON in PLUGINDEF.SETTINGS.
type pluginSettings struct {
	PageSizes     PageSizes `json:"page_sizes"`
	MinIntervalNS int64     `json:"min_interval_ns"`
}

func (p pluginSettings) minInterval() time.Duration { return time.Duration(p.MinIntervalNS) }

// pluginState is an installed plugin as the server sees it. Fields are
// guarded by Server.mu.
type pluginState struct {
	id          int
	name        string
	enabled     bool
	accessLevel string
	clientID    string
	secret      string
	settings    pluginSettings
	bundle      *plugin.Bundle
	info        PluginInfo
	lastRequest time.Time
	token       string // current token, reused until it expires
}

var errUnknownPlugin = errors.New("no such plugin")

func normalizeAccessLevel(v string) (string, error) {
	switch strings.ToUpper(strings.TrimSpace(v)) {
	case "", "NONE":
		return "NONE", nil
	case "READ":
		return "READ", nil
	case "FULL":
		return "FULL", nil
	}
	return "", fmt.Errorf("accessLevelV1Api is %q; use NONE, READ or FULL", v)
}

// InstallPlugin installs a plugin.xml or plugin zip as an admin would. A
// plugin with <oauth> gets a new client ID and secret (UUIDs); others get
// empty credentials. A name already installed is refused.
func (s *Server) InstallPlugin(data []byte) (Credentials, error) {
	b, err := loadBundle(data)
	if err != nil {
		return Credentials{}, err
	}
	return s.install(context.Background(), data, b)
}

func loadBundle(data []byte) (*plugin.Bundle, error) {
	b, err := plugin.Load(data)
	if err != nil {
		return nil, fmt.Errorf("installing plugin: %w", err)
	}
	if b.Plugin.Publisher == nil {
		return nil, errors.New("installing plugin: plugin.xml has no <publisher>; add <publisher name=\"...\"><contact email=\"...\"/></publisher>")
	}
	var msgs []string
	for _, p := range admin.ValidateBundle(b) {
		if p.Severity == "error" {
			msgs = append(msgs, p.String())
		}
	}
	if len(msgs) > 0 {
		return nil, fmt.Errorf("installing plugin: %s", strings.Join(msgs, "; "))
	}
	return b, nil
}

// installOrReuse installs the startup plugin, or returns the credentials of
// the installed plugin with the same name (a reopened database).
func (s *Server) installOrReuse(data []byte) (Credentials, error) {
	b, err := loadBundle(data)
	if err != nil {
		return Credentials{}, err
	}
	s.mu.RLock()
	for _, p := range s.plugins {
		if p.name == b.Plugin.Name {
			c := s.credentialsLocked(p)
			s.mu.RUnlock()
			return c, nil
		}
	}
	s.mu.RUnlock()
	return s.install(context.Background(), data, b)
}

func (s *Server) install(ctx context.Context, data []byte, b *plugin.Bundle) (Credentials, error) {
	level := "NONE"
	if b.Plugin.OAuth != nil {
		var err error
		if level, err = normalizeAccessLevel(b.Plugin.OAuth.AccessLevelV1API); err != nil {
			return Credentials{}, fmt.Errorf("installing plugin: %w", err)
		}
	}
	settings := pluginSettings{PageSizes: PageSizes{}.withDefault(s.opts.MaxPageSize), MinIntervalNS: int64(s.opts.MinInterval)}
	sj, _ := json.Marshal(settings)
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.plugins {
		if p.name == b.Plugin.Name {
			return Credentials{}, fmt.Errorf("installing plugin: a plugin named %q is already installed (id %d); delete it first or change <plugin name>", p.name, p.id)
		}
	}
	var id64 int64
	var clientID, secret string
	err := s.store.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO PLUGINDEF (NAME, VERSION, DESCRIPTION, PUBLISHER, ISENABLED, ACCESS_LEVEL_V1, ARCHIVE, INSTALLED, SETTINGS)
		VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)`, b.Plugin.Name, b.Plugin.Version, b.Plugin.Description, b.Plugin.Publisher.Name,
			level, data, s.now().UTC().Format(time.RFC3339), string(sj))
		if err != nil {
			return err
		}
		id64, _ = res.LastInsertId()
		if b.Plugin.OAuth != nil {
			clientID, secret = uuid.NewString(), uuid.NewString()
			_, err = tx.ExecContext(ctx, `INSERT INTO EMU_OAUTH_CLIENT (PLUGINID, CLIENT_ID, CLIENT_SECRET) VALUES (?, ?, ?)`, id64, clientID, secret)
		}
		return err
	})
	if err != nil {
		return Credentials{}, fmt.Errorf("installing plugin: %w", err)
	}
	p := &pluginState{id: int(id64), name: b.Plugin.Name, enabled: true, accessLevel: level, clientID: clientID, secret: secret, settings: settings, bundle: b}
	p.info = PluginInfo{ID: p.id, Name: p.name, Version: b.Plugin.Version, Publisher: b.Plugin.Publisher.Name, HasOAuth: b.Plugin.OAuth != nil,
		QueryCount: len(b.Queries), InstalledAt: s.now().UTC().Format(time.RFC3339)}
	s.addPluginLocked(p)
	s.log.Info("plugin installed", "id", p.id, "name", p.name, "client_id", clientID)
	return s.credentialsLocked(p), nil
}

func (s *Server) addPluginLocked(p *pluginState) {
	s.plugins[p.id] = p
	if p.clientID != "" {
		s.byClient[p.clientID] = p
	}
}

func (s *Server) credentialsLocked(p *pluginState) Credentials {
	return Credentials{URL: s.URL(), ClientID: p.clientID, ClientSecret: p.secret, PluginID: p.id}
}

// loadPlugins reads installed plugins and live tokens from the database.
func (s *Server) loadPlugins(ctx context.Context) error {
	rows, err := s.store.DB.QueryContext(ctx, `SELECT p.ID, p.NAME, p.ISENABLED, p.ACCESS_LEVEL_V1, p.ARCHIVE, p.INSTALLED, p.SETTINGS,
		COALESCE(c.CLIENT_ID, ''), COALESCE(c.CLIENT_SECRET, '') FROM PLUGINDEF p LEFT JOIN EMU_OAUTH_CLIENT c ON c.PLUGINID = p.ID`)
	if err != nil {
		return fmt.Errorf("loading installed plugins: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		p := &pluginState{}
		var archive []byte
		var installed, settings string
		if err := rows.Scan(&p.id, &p.name, &p.enabled, &p.accessLevel, &archive, &installed, &settings, &p.clientID, &p.secret); err != nil {
			return fmt.Errorf("loading installed plugins: %w", err)
		}
		if p.bundle, err = plugin.Load(archive); err != nil {
			return fmt.Errorf("loading installed plugin %d (%s): %w", p.id, p.name, err)
		}
		if err := json.Unmarshal([]byte(settings), &p.settings); err != nil {
			return fmt.Errorf("loading settings of plugin %d: %w", p.id, err)
		}
		pl := p.bundle.Plugin
		p.info = PluginInfo{ID: p.id, Name: p.name, Version: pl.Version, HasOAuth: pl.OAuth != nil, QueryCount: len(p.bundle.Queries), InstalledAt: installed}
		if pl.Publisher != nil {
			p.info.Publisher = pl.Publisher.Name
		}
		s.addPluginLocked(p)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("loading installed plugins: %w", err)
	}
	return s.loadTokens(ctx)
}

func (s *Server) plugin(id int) (*pluginState, error) {
	p, ok := s.plugins[id]
	if !ok {
		return nil, fmt.Errorf("plugin %d: %w; list installed plugins with GET /emulator/plugins", id, errUnknownPlugin)
	}
	return p, nil
}

// Credentials returns the credentials of the plugin installed from
// Options.Plugin (zero if none was given).
func (s *Server) Credentials() Credentials {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.startup
	c.URL = s.URL()
	if p, ok := s.plugins[c.PluginID]; ok && c.PluginID != 0 {
		c.ClientID, c.ClientSecret = p.clientID, p.secret
	}
	return c
}

// PluginCredentials returns an installed plugin's current credentials.
func (s *Server) PluginCredentials(id int) (Credentials, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, err := s.plugin(id)
	if err != nil {
		return Credentials{}, err
	}
	return s.credentialsLocked(p), nil
}

// Plugins lists installed plugins by id.
func (s *Server) Plugins() []PluginInfo {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]PluginInfo, 0, len(s.plugins))
	for id := 1; len(out) < len(s.plugins); id++ {
		if p, ok := s.plugins[id]; ok {
			out = append(out, s.infoLocked(p))
		}
	}
	return out
}

func (s *Server) infoLocked(p *pluginState) PluginInfo {
	info := p.info
	info.ClientID = p.clientID
	info.PluginConfig = PluginConfig{Enabled: p.enabled, AccessLevelV1API: p.accessLevel, PageSizes: p.settings.PageSizes, MinInterval: p.settings.minInterval()}
	return info
}

// PluginConfig returns an installed plugin's settings.
func (s *Server) PluginConfig(id int) (PluginConfig, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	p, err := s.plugin(id)
	if err != nil {
		return PluginConfig{}, err
	}
	return s.infoLocked(p).PluginConfig, nil
}

// SetPluginConfig changes an installed plugin's settings, as an admin does
// on Data Configuration and Data Provider Configuration. Disabling a plugin
// makes its credentials and tokens stop working until it is enabled again.
func (s *Server) SetPluginConfig(id int, c PluginConfig) error {
	level, err := normalizeAccessLevel(c.AccessLevelV1API)
	if err != nil {
		return err
	}
	if c.MinInterval < 0 {
		return fmt.Errorf("min interval must not be negative, got %s", c.MinInterval)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.plugin(id)
	if err != nil {
		return err
	}
	settings := pluginSettings{PageSizes: c.PageSizes.withDefault(s.opts.MaxPageSize), MinIntervalNS: int64(c.MinInterval)}
	sj, _ := json.Marshal(settings)
	if _, err := s.exec(`UPDATE PLUGINDEF SET ISENABLED = ?, ACCESS_LEVEL_V1 = ?, SETTINGS = ? WHERE ID = ?`, c.Enabled, level, string(sj), id); err != nil {
		return fmt.Errorf("configuring plugin %d: %w", id, err)
	}
	p.enabled, p.accessLevel, p.settings = c.Enabled, level, settings
	return nil
}

// EnablePlugin and DisablePlugin switch a plugin on and off.
func (s *Server) EnablePlugin(id int) error { return s.setEnabled(id, true) }

// DisablePlugin makes the plugin's credentials and tokens stop working.
func (s *Server) DisablePlugin(id int) error { return s.setEnabled(id, false) }

func (s *Server) setEnabled(id int, on bool) error {
	c, err := s.PluginConfig(id)
	if err != nil {
		return err
	}
	c.Enabled = on
	return s.SetPluginConfig(id, c)
}

// DeletePlugin uninstalls a plugin; its credentials and tokens stop working.
func (s *Server) DeletePlugin(id int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.plugin(id)
	if err != nil {
		return err
	}
	if _, err := s.exec(`DELETE FROM PLUGINDEF WHERE ID = ?`, id); err != nil {
		return fmt.Errorf("deleting plugin %d: %w", id, err)
	}
	s.dropTokensLocked(p.id)
	delete(s.byClient, p.clientID)
	delete(s.plugins, id)
	return nil
}

// Regenerate replaces the plugin's client ID and secret ("Regenerate Client
// ID and Secret"): the old pair and every token issued to it stop working
// at once.
func (s *Server) Regenerate(id int) (Credentials, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, err := s.plugin(id)
	if err != nil {
		return Credentials{}, err
	}
	if p.clientID == "" {
		return Credentials{}, fmt.Errorf("plugin %d has no <oauth> element, so it has no credentials to regenerate", id)
	}
	clientID, secret := uuid.NewString(), uuid.NewString()
	if _, err := s.exec(`UPDATE EMU_OAUTH_CLIENT SET CLIENT_ID = ?, CLIENT_SECRET = ? WHERE PLUGINID = ?`, clientID, secret, id); err != nil {
		return Credentials{}, fmt.Errorf("regenerating credentials of plugin %d: %w", id, err)
	}
	s.dropTokensLocked(id)
	delete(s.byClient, p.clientID)
	p.clientID, p.secret = clientID, secret
	s.byClient[clientID] = p
	return s.credentialsLocked(p), nil
}
