package env

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/pskit/pskit/internal/cli/cmdutil"
	"github.com/pskit/pskit/internal/cli/iostreams"
	"github.com/pskit/pskit/internal/config"
	"github.com/spf13/cobra"
)

// Imported is what an import file provides.
type Imported struct {
	Name     string // suggested environment name, may be empty
	URL      string
	ClientID string
	Secret   string
	CAFile   string // the CA to trust, from an emulator credentials file
	Kind     string // "Postman environment", "credentials JSON" or "text"
}

// Postman variable names used by the widely shared PowerSchool collection.
const (
	postmanURL    = "psURL"
	postmanID     = "psClientID"
	postmanSecret = "psClientSecret"
)

// ParseImport reads a Postman environment export, an emulator credentials
// file ({"url","client_id","client_secret"}), or the text an administrator
// copies from PowerSchool's plugin pages ("Client ID: ...", "Client
// Secret: ...", a server URL). A missing value is an error naming it.
func ParseImport(data []byte, filename string) (*Imported, error) {
	trimmed := bytes.TrimSpace(data)
	var im *Imported
	if bytes.HasPrefix(trimmed, []byte("{")) {
		var err error
		im, err = parseJSON(trimmed, filename)
		if err != nil {
			return nil, err
		}
	} else {
		im = parseText(string(data))
	}
	var missing []string
	hint := func(postman, text string) string {
		if im.Kind == "Postman environment" {
			return "variable " + postman
		}
		return text
	}
	if im.URL == "" {
		missing = append(missing, "the server URL ("+hint(postmanURL, `a line "Server URL: https://..."`)+")")
	}
	if im.ClientID == "" {
		missing = append(missing, "the client ID ("+hint(postmanID, `a line "Client ID: ..."`)+")")
	}
	if im.Secret == "" {
		missing = append(missing, "the client secret ("+hint(postmanSecret, `a line "Client Secret: ..."`)+")")
	}
	if len(missing) > 0 {
		return nil, cmdutil.UsageError("%s (%s) lacks %s: add %s to the file, or use psctl env add", filename, im.Kind, strings.Join(missing, " and "), map[bool]string{true: "it", false: "them"}[len(missing) == 1])
	}
	return im, nil
}

func parseJSON(data []byte, filename string) (*Imported, error) {
	var doc struct {
		Name   string `json:"name"`
		Values []struct {
			Key   string `json:"key"`
			Value any    `json:"value"`
		} `json:"values"`
		URL          string `json:"url"`
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		CAFile       string `json:"ca_file"`
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, cmdutil.UsageError("%s is not valid JSON (%v): give a Postman environment export, an emulator credentials file, or the text copied from PowerSchool", filename, err)
	}
	if doc.Values == nil {
		return &Imported{URL: doc.URL, ClientID: doc.ClientID, Secret: doc.ClientSecret, CAFile: doc.CAFile, Kind: "credentials JSON"}, nil
	}
	im := &Imported{Name: doc.Name, Kind: "Postman environment"}
	for _, v := range doc.Values {
		s, _ := v.Value.(string)
		s = strings.TrimSpace(s)
		switch strings.ToLower(v.Key) {
		case strings.ToLower(postmanURL):
			im.URL = s
		case strings.ToLower(postmanID):
			im.ClientID = s
		case strings.ToLower(postmanSecret):
			im.Secret = s
		}
	}
	return im, nil
}

var nonAlnum = regexp.MustCompile(`[^a-z0-9]+`)

func textKey(k string) string {
	k = strings.TrimSpace(strings.ToLower(k))
	k = strings.TrimPrefix(k, "export ")
	return nonAlnum.ReplaceAllString(k, "")
}

func textField(key string) string {
	switch textKey(key) {
	case "url", "serverurl", "psurl", "server", "serveraddress", "powerschoolurl", "baseurl":
		return "url"
	case "clientid", "psclientid", "id":
		return "id"
	case "clientsecret", "psclientsecret", "secret":
		return "secret"
	}
	return ""
}

func parseText(text string) *Imported {
	im := &Imported{Kind: "text"}
	set := func(field, v string) {
		v = strings.Trim(strings.TrimSpace(v), `"'`)
		if v == "" {
			return
		}
		switch field {
		case "url":
			if im.URL == "" {
				im.URL = v
			}
		case "id":
			if im.ClientID == "" {
				im.ClientID = v
			}
		case "secret":
			if im.Secret == "" {
				im.Secret = v
			}
		}
	}
	pending := "" // a label on its own line, waiting for its value on the next
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if pending != "" {
			set(pending, line)
			pending = ""
			continue
		}
		if i := strings.IndexAny(line, ":=\t"); i > 0 {
			if field := textField(line[:i]); field != "" {
				if v := strings.TrimSpace(line[i+1:]); v != "" {
					set(field, v)
				} else {
					pending = field
				}
				continue
			}
		}
		if field := textField(line); field != "" {
			pending = field
			continue
		}
		if strings.HasPrefix(line, "https://") || strings.HasPrefix(line, "http://") {
			set("url", strings.Fields(line)[0])
		}
	}
	return im
}

// printable shows text taken from a file with its control characters
// escaped, so that the file cannot drive the terminal.
func printable(s string) string {
	q := strconv.Quote(s)
	return q[1 : len(q)-1]
}

var badNameChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// suggestName turns a Postman environment name or a file name into a valid
// environment name, or "" when nothing usable is left.
func suggestName(s string) string {
	s = strings.Trim(badNameChars.ReplaceAllString(strings.TrimSpace(s), "-"), "-._")
	s = strings.ToLower(s)
	if len(s) > 64 {
		s = s[:64]
	}
	if config.ValidateName(s) != nil {
		return ""
	}
	return s
}

// ImportOptions are the inputs of psctl env import.
type ImportOptions struct {
	IO        *iostreams.IOStreams
	Factory   *cmdutil.Factory
	File      string
	Name      string
	Use       bool
	ReadOnly  bool
	AllowHTTP bool
	Force     bool
	// ReadOnlyGiven is set when --read-only was on the command line.
	ReadOnlyGiven bool
}

// NewCmdImport returns psctl env import.
func NewCmdImport(f *cmdutil.Factory, runF func(*ImportOptions) error) *cobra.Command {
	o := &ImportOptions{IO: f.IOStreams, Factory: f}
	cmd := &cobra.Command{
		Use:   "import FILE",
		Short: "Import an environment from a Postman environment export or copied credentials",
		Long: `Import an environment from one of:

  - a Postman environment export using the PowerSchool collection's variables
    psURL, psClientID and psClientSecret;
  - the JSON credentials file written by psctl emulator --credentials-file;
  - a text file with the values copied from PowerSchool's Plugin Registration
    or Data Provider Configuration page, e.g.

        Server URL: https://district.powerschool.com
        Client ID: 99702fda-963e-4494-9276-94dfca726669
        Client Secret: 365301c4-4562-4d32-9ab0-2ad05c8952eb

The environment is named by --name, else by the Postman environment's name,
else by the file name. An existing environment is replaced only with
--force; without it psctl says what would change and writes nothing.
Delete the file afterwards: it holds the secret.`,
		Args: cmdutil.ExactArgs(1, "a file to import"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.File = args[0]
			o.ReadOnlyGiven = cmd.Flags().Changed("read-only")
			if runF != nil {
				return runF(o)
			}
			return runImport(o)
		},
	}
	cmd.Flags().StringVar(&o.Name, "name", "", "environment name (default: from the file)")
	cmd.Flags().BoolVar(&o.Use, "use", false, "make it the current environment")
	cmd.Flags().BoolVar(&o.ReadOnly, "read-only", false, "refuse every request that could write, for this environment")
	cmd.Flags().BoolVar(&o.AllowHTTP, "allow-http", false, "allow a plain http:// URL to a non-loopback host")
	cmd.Flags().BoolVar(&o.Force, "force", false, "replace an existing environment of that name")
	return cmd
}

func runImport(o *ImportOptions) error {
	data, err := os.ReadFile(o.File)
	if err != nil {
		return cmdutil.UsageError("cannot read %s: %v", o.File, err)
	}
	im, err := ParseImport(data, o.File)
	if err != nil {
		return err
	}
	name := o.Name
	if name == "" {
		name = suggestName(im.Name)
	}
	if name == "" {
		name = suggestName(strings.TrimSuffix(filepath.Base(o.File), filepath.Ext(o.File)))
	}
	if name == "" {
		return cmdutil.UsageError("cannot derive an environment name from %s: give one with --name NAME", o.File)
	}
	if im.CAFile != "" && !filepath.IsAbs(im.CAFile) {
		im.CAFile = filepath.Join(filepath.Dir(o.File), im.CAFile) // relative to the file that names it
	}
	env := &config.Environment{URL: im.URL, ClientID: im.ClientID, ReadOnly: o.ReadOnly, AllowHTTP: o.AllowHTTP, CAFile: im.CAFile}
	loc, err := o.Factory.SaveEnvironment(name, env, im.Secret, cmdutil.SaveOptions{Use: o.Use, Force: o.Force, ReadOnlyGiven: o.ReadOnlyGiven})
	if err != nil {
		return err
	}
	fmt.Fprintf(o.IO.ErrOut, "Imported environment %q from %s (%s): %s, client ID %s; secret stored in %s.\n", name, o.File, im.Kind, printable(env.URL), printable(env.ClientID), loc)
	cfg, _ := o.Factory.Config()
	if cfg.Current == name {
		fmt.Fprintln(o.IO.ErrOut, "It is the current environment. Check it with: psctl auth status")
	} else {
		fmt.Fprintf(o.IO.ErrOut, "Use it with --env %s, or make it current with: psctl env use %s\n", name, name)
	}
	fmt.Fprintf(o.IO.ErrOut, "%s holds the client secret in clear text: delete it when you no longer need it.\n", o.File)
	return nil
}
