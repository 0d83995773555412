// Package config keeps psctl's environments file and token cache.
//
// Everything lives in one directory: PSCTL_CONFIG_DIR when set, else
// os.UserConfigDir()/psctl. The directory is 0700 and every file in it 0600;
// files are written atomically (temp file + rename) so a crash never leaves a
// half-written config.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// EnvDir is the environment variable that overrides the config directory.
const EnvDir = "PSCTL_CONFIG_DIR"

// FileName is the environments file inside the config directory.
const FileName = "config.yml"

// Secret store kinds recorded per environment.
const (
	SecretKeyring = "keyring"
	SecretFile    = "file"
)

// Environment is one PowerSchool server with the credentials of one plugin.
// The client secret is never stored here; SecretStore says where it is.
type Environment struct {
	URL         string `yaml:"url"`
	ClientID    string `yaml:"client_id"`
	SecretStore string `yaml:"secret_store,omitempty"`
	ReadOnly    bool   `yaml:"read_only,omitempty"`
	CAFile      string `yaml:"ca_file,omitempty"`
	AllowHTTP   bool   `yaml:"allow_http,omitempty"`
	// Timeout bounds each request attempt (a Go duration such as 90s).
	Timeout time.Duration `yaml:"timeout,omitempty"`
	// Rate is the least time between two requests (a Go duration such as
	// 200ms): the plugin's "minimum time interval between API requests",
	// when an administrator set one.
	Rate time.Duration `yaml:"rate,omitempty"`
}

// MaxRate is the longest spacing the rate setting accepts.
const MaxRate = time.Minute

// Config is the environments file.
type Config struct {
	Current      string                  `yaml:"current,omitempty"`
	Environments map[string]*Environment `yaml:"environments,omitempty"`

	// Dir is the directory the config was loaded from and is saved to.
	Dir string `yaml:"-"`
}

// Dir returns the config directory: $PSCTL_CONFIG_DIR, else the user's
// config directory (XDG_CONFIG_HOME on Linux) + "/psctl".
func Dir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		return d, nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("cannot find a config directory (%v): set %s to a directory psctl may use", err, EnvDir)
	}
	return filepath.Join(base, "psctl"), nil
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// ValidateName checks an environment name. Names become keyring entries and
// file names, so they are kept to letters, digits, '.', '_' and '-'.
func ValidateName(name string) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("invalid environment name %q: use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit", name)
	}
	return nil
}

// EnsureDir creates dir with mode 0700, or narrows a wider mode found on an
// existing directory, telling warn about it.
func EnsureDir(dir string, warn io.Writer) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("cannot create config directory: %w (set %s to a writable directory)", err, EnvDir)
	}
	return fixMode(dir, 0o700, warn)
}

// fixMode narrows path to want when group or others have any access.
func fixMode(path string, want fs.FileMode, warn io.Writer) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 == 0 {
		return nil
	}
	if err := os.Chmod(path, want); err != nil {
		return fmt.Errorf("%s is readable by other users (mode %v) and could not be fixed: %w; run chmod %o %s", path, fi.Mode().Perm(), err, want, path)
	}
	if warn != nil {
		fmt.Fprintf(warn, "warning: %s was accessible to other users (mode %v); changed it to %v\n", path, fi.Mode().Perm(), want)
	}
	return nil
}

// FixFileMode narrows one file to 0600 when others may read it, telling
// warn; a missing file is fine.
func FixFileMode(path string, warn io.Writer) error {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return fixMode(path, 0o600, warn)
}

// FixPermissions narrows the config directory and every file in it (and in
// its subdirectories) to 0700/0600, warning about each one it changes.
// A symlinked directory is followed (WalkDir alone would not enter it).
func FixPermissions(dir string, warn io.Writer) error {
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		dir = real
	}
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() {
			return fixMode(path, 0o700, warn)
		}
		if d.Type().IsRegular() {
			return fixMode(path, 0o600, warn)
		}
		return nil
	})
}

// Load reads the environments file in dir, fixing wide permissions first.
// A missing file is an empty config.
func Load(dir string, warn io.Writer) (*Config, error) {
	if _, err := os.Stat(dir); err == nil {
		if err := FixPermissions(dir, warn); err != nil {
			return nil, err
		}
	}
	path := filepath.Join(dir, FileName)
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Config{Environments: map[string]*Environment{}, Dir: dir}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cannot read config: %w", err)
	}
	cfg, err := Parse(data, path)
	if err != nil {
		return nil, err
	}
	cfg.Dir = dir
	return cfg, nil
}

// Parse decodes an environments file. Errors name the file and, for syntax
// errors, the line.
func Parse(data []byte, path string) (*Config, error) {
	cfg := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = strings.ReplaceAll(msg, "\n ", "")
		return nil, fmt.Errorf("config file %s: %s; fix the file or move it aside and add the environments again", path, msg)
	}
	if cfg.Environments == nil {
		cfg.Environments = map[string]*Environment{}
	}
	for name, env := range cfg.Environments {
		if err := ValidateName(name); err != nil {
			return nil, fmt.Errorf("config file %s: %v", path, err)
		}
		if env == nil {
			return nil, fmt.Errorf("config file %s: environment %q is empty; give it url and client_id, or remove it", path, name)
		}
		if env.URL == "" || env.ClientID == "" {
			return nil, fmt.Errorf("config file %s: environment %q lacks url or client_id; fix it or run psctl env remove %s", path, name, name)
		}
		if env.Timeout < 0 {
			return nil, fmt.Errorf("config file %s: environment %q has a negative timeout; give a duration such as 90s, or remove it", path, name)
		}
		if env.Rate < 0 || env.Rate > MaxRate {
			return nil, fmt.Errorf("config file %s: environment %q has rate %s; give the least time between two requests, such as 200ms (at most %s), or remove it", path, name, env.Rate, MaxRate)
		}
		switch env.SecretStore {
		case "", SecretKeyring, SecretFile:
		default:
			return nil, fmt.Errorf("config file %s: environment %q has secret_store %q; use %q or %q", path, name, env.SecretStore, SecretKeyring, SecretFile)
		}
	}
	if cfg.Current != "" {
		if _, ok := cfg.Environments[cfg.Current]; !ok {
			return nil, fmt.Errorf("config file %s: current environment %q is not defined; run psctl env use NAME", path, cfg.Current)
		}
	}
	return cfg, nil
}

// Save writes the config atomically with mode 0600.
func (c *Config) Save() error {
	if c.Dir == "" {
		return errors.New("config has no directory to save to")
	}
	if err := EnsureDir(c.Dir, nil); err != nil {
		return err
	}
	data, err := yaml.Marshal(c)
	if err != nil {
		return fmt.Errorf("encoding config: %w", err)
	}
	return WriteFileAtomic(filepath.Join(c.Dir, FileName), data)
}

// Update runs change on the config as it is on disk now and saves the
// result, holding the config lock throughout, so that runs changing the
// config at the same time each see the others' changes. Nothing is saved
// when change fails.
func Update(dir string, warn io.Writer, change func(*Config) error) (*Config, error) {
	if err := EnsureDir(dir, warn); err != nil {
		return nil, err
	}
	unlock, err := LockFile(filepath.Join(dir, FileName))
	if err != nil {
		return nil, err
	}
	defer unlock()
	cfg, err := Load(dir, warn)
	if err != nil {
		return nil, err
	}
	if err := change(cfg); err != nil {
		return nil, err
	}
	if err := cfg.Save(); err != nil {
		return nil, err
	}
	return cfg, nil
}

// Names returns the environment names, sorted.
func (c *Config) Names() []string {
	names := make([]string, 0, len(c.Environments))
	for n := range c.Environments {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Get returns the named environment or an error that lists the known ones.
func (c *Config) Get(name string) (*Environment, error) {
	if env, ok := c.Environments[name]; ok {
		return env, nil
	}
	if len(c.Environments) == 0 {
		return nil, fmt.Errorf("environment %q not found: no environments are configured; run psctl env add %s --url URL --client-id ID, or psctl demo", name, name)
	}
	return nil, fmt.Errorf("environment %q not found; known environments: %s (see psctl env list)", name, strings.Join(c.Names(), ", "))
}

// Set adds or replaces an environment; the first one added becomes current.
func (c *Config) Set(name string, env *Environment) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	if c.Environments == nil {
		c.Environments = map[string]*Environment{}
	}
	c.Environments[name] = env
	if c.Current == "" {
		c.Current = name
	}
	return nil
}

// Remove deletes an environment, clearing Current when it was that one.
func (c *Config) Remove(name string) error {
	if _, err := c.Get(name); err != nil {
		return err
	}
	delete(c.Environments, name)
	if c.Current == name {
		c.Current = ""
	}
	return nil
}

// WriteFileAtomic writes data to path with mode 0600 through a temp file in
// the same directory and a rename, so readers never see a partial file.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	return nil
}
