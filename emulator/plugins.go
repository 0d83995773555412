package emulator

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/pskit/pskit/emulator/internal/admin"
	"github.com/pskit/pskit/plugin"
)

// DefaultPlugin is the example plugin `psctl emulator` and `psctl demo`
// install when given none: OAuth with read access to /ws/v1, and the
// access_request fields that the PowerQuery and table API examples of
// docs/cli.md, grade passback through /ws/xte (plugin.GradebookFields) and
// psctl sync's presets need, so each of those works against the emulator
// as it is.
var DefaultPlugin = defaultPlugin()

// demoFields are the fields of DefaultPlugin beyond the gradebook's: the
// columns of the core PowerQueries get_student_basic_info and
// sectionEnrollments, and FullAccess to every column of
// U_STUDENTSUSERFIELDS (PowerSchool deletes a row only with that).
var demoFields = []plugin.Field{
	{Table: "STUDENTS", Field: "DCID", Access: plugin.ViewOnly},
	{Table: "STUDENTS", Field: "LASTFIRST", Access: plugin.ViewOnly},
	{Table: "STUDENTS", Field: "ID", Access: plugin.ViewOnly},
	{Table: "STUDENTS", Field: "STUDENT_NUMBER", Access: plugin.ViewOnly},
	{Table: "STUDENTS", Field: "FIRST_NAME", Access: plugin.ViewOnly},
	{Table: "STUDENTS", Field: "MIDDLE_NAME", Access: plugin.ViewOnly},
	{Table: "STUDENTS", Field: "LAST_NAME", Access: plugin.ViewOnly},
	{Table: "STUDENTS", Field: "GRADE_LEVEL", Access: plugin.ViewOnly},
	{Table: "STUDENTS", Field: "SCHOOLID", Access: plugin.ViewOnly},
	{Table: "STUDENTS", Field: "ENROLL_STATUS", Access: plugin.ViewOnly},
	{Table: "SECTIONS", Field: "DCID", Access: plugin.ViewOnly},
	{Table: "CC", Field: "DATEENROLLED", Access: plugin.ViewOnly},
	{Table: "CC", Field: "DATELEFT", Access: plugin.ViewOnly},
	{Table: "U_STUDENTSUSERFIELDS", Field: "STUDENTSDCID", Access: plugin.FullAccess},
	{Table: "U_STUDENTSUSERFIELDS", Field: "EMAIL", Access: plugin.FullAccess},
	{Table: "U_STUDENTSUSERFIELDS", Field: "TRANSCRIPTADDRCITY", Access: plugin.FullAccess},
	{Table: "U_STUDENTSUSERFIELDS", Field: "LOCKER_NUMBER", Access: plugin.FullAccess},
	{Table: "U_STUDENTSUSERFIELDS", Field: "BUS_ROUTE", Access: plugin.FullAccess},
}

// syncColumns are what DefaultPlugin may read of the tables of psctl
// sync's presets (roster and gradebook), keys and cursor columns included,
// so `psctl sync` works against the demo district as it is.
var syncColumns = map[string][]string{
	"STUDENTS":      {"TRANSACTION_DATE"},
	"SCHOOLS":       {"DCID", "ID", "SCHOOL_NUMBER", "NAME", "ABBREVIATION", "LOW_GRADE", "HIGH_GRADE", "TRANSACTION_DATE"},
	"USERS":         {"DCID", "HOMESCHOOLID", "TEACHERNUMBER", "FIRST_NAME", "LAST_NAME", "LASTFIRST", "EMAIL_ADDR", "TRANSACTION_DATE"},
	"SCHOOLSTAFF":   {"DCID", "ID", "USERS_DCID", "SCHOOLID", "STATUS", "TRANSACTION_DATE"},
	"TERMS":         {"DCID", "ID", "SCHOOLID", "YEARID", "PORTION", "FIRSTDAY", "LASTDAY", "ABBREVIATION", "NAME", "TRANSACTION_DATE"},
	"COURSES":       {"DCID", "ID", "COURSE_NUMBER", "COURSE_NAME", "SCHOOLID", "CREDIT_HOURS", "TRANSACTION_DATE"},
	"SECTIONS":      {"ID", "SCHOOLID", "COURSE_NUMBER", "SECTION_NUMBER", "TERMID", "TEACHER", "EXPRESSION", "TRANSACTION_DATE"},
	"CC":            {"DCID", "ID", "STUDENTID", "SECTIONID", "SCHOOLID", "TERMID", "COURSE_NUMBER", "SECTION_NUMBER", "EXPRESSION", "TRANSACTION_DATE"},
	"STOREDGRADES":  {"DCID", "STUDENTID", "SCHOOLID", "TERMID", "STORECODE", "COURSE_NUMBER", "COURSE_NAME", "SECTIONID", "GRADE", "PERCENT", "GRADE_LEVEL", "EARNEDCRHRS", "GPA_POINTS", "DATESTORED", "TRANSACTION_DATE"},
	"PGFINALGRADES": {"DCID", "ID", "STUDENTID", "SECTIONID", "FINALGRADENAME", "GRADE", "PERCENT", "STARTDATE", "ENDDATE", "TRANSACTION_DATE"},
	"ATTENDANCE":    {"DCID", "ID", "STUDENTID", "SCHOOLID", "ATT_DATE", "ATTENDANCE_CODEID", "ATT_MODE_CODE", "CCID", "PERIODID", "YEARID", "TRANSACTION_DATE"},
}

func defaultPlugin() []byte {
	var fields strings.Builder
	seen := map[string]bool{}
	all := append(append([]plugin.Field(nil), demoFields...), plugin.GradebookFields()...)
	tables := make([]string, 0, len(syncColumns))
	for t := range syncColumns {
		tables = append(tables, t)
	}
	sort.Strings(tables) // a stable plugin.xml
	for _, t := range tables {
		for _, c := range syncColumns[t] {
			all = append(all, plugin.Field{Table: t, Field: c, Access: plugin.ViewOnly})
		}
	}
	for _, f := range all {
		key := strings.ToUpper(f.Table + "." + f.Field)
		if seen[key] {
			continue
		}
		seen[key] = true
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
	// CAFile, when the server speaks TLS with its own CA, is the PEM file
	// of that CA for clients to trust (psctl emulator --tls fills it in).
	CAFile string `json:"ca_file,omitempty"`
}

// String hides the secret, so credentials are safe to log.
func (c Credentials) String() string {
	return fmt.Sprintf("plugin %d client %s at %s (secret hidden)", c.PluginID, c.ClientID, c.URL)
}

// WriteCredentials writes c as JSON {"url","client_id","client_secret",
// "plugin_id"} (and "ca_file" when set) to path with mode 0600, replacing
// the file atomically.
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

// InstallPlugin installs a plugin.xml or plugin zip and enables it at
// once: the emulator's shortcut for tests and scripts. (The admin pages'
// Install follows PowerSchool and leaves the plugin disabled until the
// admin enables it.) A plugin with <oauth> gets a new client ID and secret
// (UUIDs); others get empty credentials.
//
// A newer <plugin version> of a plugin already installed (same name)
// updates it in place: it keeps its id, client ID and secret, tokens,
// enabled state and settings, and takes the new plugin.xml, queries and
// accessLevelV1Api. The same or an older version is refused.
func (s *Server) InstallPlugin(data []byte) (Credentials, error) {
	c, _, err := s.installData(data, true)
	return c, err
}

// installData installs (enabled or not) or updates a plugin; updatedFrom
// is the version it replaced ("" for a new install).
func (s *Server) installData(data []byte, enabled bool) (c Credentials, updatedFrom string, err error) {
	b, err := loadBundle(data)
	if err != nil {
		return Credentials{}, "", err
	}
	return s.install(context.Background(), data, b, enabled)
}

// loadMu lets one plugin zip inflate at a time: each may take up to
// plugin.MaxBundleSize while it is read.
var loadMu sync.Mutex

// loadResident loads an installed plugin's bundle and keeps only what the
// emulator uses: plugin.xml and the named queries. Web files and the rest
// stay in the stored archive, not in memory.
func loadResident(data []byte) (*plugin.Bundle, error) {
	loadMu.Lock()
	defer loadMu.Unlock()
	b, err := plugin.Load(data)
	if err != nil {
		return nil, err
	}
	b.Files = nil
	return b, nil
}

func loadBundle(data []byte) (*plugin.Bundle, error) {
	b, err := loadResident(data)
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
// the installed plugin with the same name (a reopened database), updating
// it first when the startup plugin is a newer version.
func (s *Server) installOrReuse(data []byte) (Credentials, error) {
	b, err := loadBundle(data)
	if err != nil {
		return Credentials{}, err
	}
	s.mu.RLock()
	for _, p := range s.plugins {
		if p.name == b.Plugin.Name && compareVersions(b.Plugin.Version, p.bundle.Plugin.Version) <= 0 {
			c := s.credentialsLocked(p)
			s.mu.RUnlock()
			return c, nil
		}
	}
	s.mu.RUnlock()
	c, _, err := s.install(context.Background(), data, b, true)
	return c, err
}

func (s *Server) install(ctx context.Context, data []byte, b *plugin.Bundle, enabled bool) (Credentials, string, error) {
	level := "NONE"
	if b.Plugin.OAuth != nil {
		var err error
		if level, err = normalizeAccessLevel(b.Plugin.OAuth.AccessLevelV1API); err != nil {
			return Credentials{}, "", fmt.Errorf("installing plugin: %w", err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.plugins {
		if p.name == b.Plugin.Name {
			return s.updateLocked(ctx, p, data, b, level)
		}
	}
	if max := s.maxPlugins(); len(s.plugins) >= max {
		return Credentials{}, "", fmt.Errorf("installing plugin: %d plugins are installed, the emulator's limit (Options.MaxPlugins); delete one first with DELETE /emulator/plugins/{id} or from the admin pages", max)
	}
	settings := pluginSettings{PageSizes: PageSizes{}.withDefault(s.opts.MaxPageSize), MinIntervalNS: int64(s.opts.MinInterval)}
	sj, _ := json.Marshal(settings)
	installed := s.now().UTC().Format(time.RFC3339)
	var id64 int64
	var clientID, secret string
	err := s.store.Write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO PLUGINDEF (NAME, VERSION, DESCRIPTION, PUBLISHER, ISENABLED, ACCESS_LEVEL_V1, ARCHIVE, INSTALLED, SETTINGS)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, b.Plugin.Name, b.Plugin.Version, b.Plugin.Description, b.Plugin.Publisher.Name,
			enabled, level, data, installed, string(sj))
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
		return Credentials{}, "", fmt.Errorf("installing plugin: %w", err)
	}
	p := &pluginState{id: int(id64), name: b.Plugin.Name, enabled: enabled, accessLevel: level, clientID: clientID, secret: secret, settings: settings, bundle: b}
	p.info = bundleInfo(p.id, b, installed)
	s.addPluginLocked(p)
	s.log.Info("plugin installed", "id", p.id, "name", p.name, "enabled", enabled, "client_id", clientID)
	return s.credentialsLocked(p), "", nil
}

// bundleInfo is the part of PluginInfo that comes from plugin.xml.
func bundleInfo(id int, b *plugin.Bundle, installed string) PluginInfo {
	info := PluginInfo{ID: id, Name: b.Plugin.Name, Version: b.Plugin.Version, HasOAuth: b.Plugin.OAuth != nil,
		QueryCount: len(b.Queries), InstalledAt: installed}
	if b.Plugin.Publisher != nil {
		info.Publisher = b.Plugin.Publisher.Name
	}
	return info
}

// updateLocked replaces installed plugin p with a newer version of it,
// keeping its id, credentials, tokens, enabled state and settings. A plugin
// that gains <oauth> gets credentials; one that loses it loses them.
func (s *Server) updateLocked(ctx context.Context, p *pluginState, data []byte, b *plugin.Bundle, level string) (Credentials, string, error) {
	from := p.bundle.Plugin.Version
	switch c := compareVersions(b.Plugin.Version, from); {
	case c == 0:
		return Credentials{}, "", fmt.Errorf("installing plugin: %q version %q is already installed (id %d); to install it again, raise <plugin version> or delete the installed plugin first", p.name, from, p.id)
	case c < 0:
		return Credentials{}, "", fmt.Errorf("installing plugin: %q version %q is installed (id %d), newer than %q; to go back to an older version, delete the installed plugin first", p.name, from, p.id, b.Plugin.Version)
	}
	clientID, secret := p.clientID, p.secret
	switch {
	case b.Plugin.OAuth != nil && clientID == "":
		clientID, secret = uuid.NewString(), uuid.NewString()
	case b.Plugin.OAuth == nil:
		clientID, secret = "", ""
	}
	err := s.store.Write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE PLUGINDEF SET VERSION = ?, DESCRIPTION = ?, PUBLISHER = ?, ACCESS_LEVEL_V1 = ?, ARCHIVE = ? WHERE ID = ?`,
			b.Plugin.Version, b.Plugin.Description, b.Plugin.Publisher.Name, level, data, p.id); err != nil {
			return err
		}
		switch {
		case clientID == "":
			_, err := tx.ExecContext(ctx, `DELETE FROM EMU_OAUTH_CLIENT WHERE PLUGINID = ?`, p.id)
			return err
		case p.clientID == "":
			_, err := tx.ExecContext(ctx, `INSERT INTO EMU_OAUTH_CLIENT (PLUGINID, CLIENT_ID, CLIENT_SECRET) VALUES (?, ?, ?)`, p.id, clientID, secret)
			return err
		}
		return nil
	})
	if err != nil {
		return Credentials{}, "", fmt.Errorf("updating plugin %d (%s): %w", p.id, p.name, err)
	}
	if clientID == "" && p.clientID != "" {
		s.dropTokensLocked(p.id)
		delete(s.byClient, p.clientID)
	}
	p.clientID, p.secret, p.accessLevel, p.bundle = clientID, secret, level, b
	p.info = bundleInfo(p.id, b, p.info.InstalledAt)
	if clientID != "" {
		s.byClient[clientID] = p
	}
	s.log.Info("plugin updated", "id", p.id, "name", p.name, "from", from, "to", b.Plugin.Version)
	return s.credentialsLocked(p), from, nil
}

// compareVersions orders plugin versions ("1.10.0" > "1.9.2"): dot-separated
// parts compared as numbers when both are numbers, else as text, a missing
// part counting as 0 ("1.2" == "1.2.0"). It returns -1, 0 or 1.
func compareVersions(a, b string) int {
	pa, pb := strings.Split(strings.TrimSpace(a), "."), strings.Split(strings.TrimSpace(b), ".")
	for i := range max(len(pa), len(pb)) {
		x, y := "0", "0"
		if i < len(pa) {
			x = pa[i]
		}
		if i < len(pb) {
			y = pb[i]
		}
		if c := compareVersionPart(x, y); c != 0 {
			return c
		}
	}
	return 0
}

func compareVersionPart(x, y string) int {
	if x == "" {
		x = "0"
	}
	if y == "" {
		y = "0"
	}
	nx, errx := strconv.ParseUint(x, 10, 64)
	ny, erry := strconv.ParseUint(y, 10, 64)
	switch {
	case errx == nil && erry == nil:
		return cmp.Compare(nx, ny)
	case errx == nil:
		return 1 // a number ranks above text ("1.0" > "1.0-beta" part by part)
	case erry == nil:
		return -1
	}
	return strings.Compare(x, y)
}

func (s *Server) maxPlugins() int {
	if s.opts.MaxPlugins > 0 {
		return s.opts.MaxPlugins
	}
	return DefaultMaxPlugins
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
		if p.bundle, err = loadResident(archive); err != nil {
			return fmt.Errorf("loading installed plugin %d (%s): %w", p.id, p.name, err)
		}
		if err := json.Unmarshal([]byte(settings), &p.settings); err != nil {
			return fmt.Errorf("loading settings of plugin %d: %w", p.id, err)
		}
		p.info = bundleInfo(p.id, p.bundle, installed)
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
