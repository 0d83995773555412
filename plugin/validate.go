package plugin

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Severities of a Problem.
const (
	SeverityError   = "error"   // PowerSchool would refuse the plugin
	SeverityWarning = "warning" // accepted, but probably a mistake
)

// Problem is one finding of Validate, at the offending element.
type Problem struct {
	File         string // set by Bundle.Validate and ValidateQueries; "" for a lone plugin.xml
	Line, Column int
	Severity     string
	Message      string
}

func (p Problem) String() string {
	file := p.File
	if file == "" {
		file = "plugin.xml"
	}
	return fmt.Sprintf("%s:%d:%d: %s: %s", file, p.Line, p.Column, p.Severity, p.Message)
}

// HasErrors reports whether any problem has SeverityError.
func HasErrors(problems []Problem) bool {
	for _, p := range problems {
		if p.Severity == SeverityError {
			return true
		}
	}
	return false
}

// UIContextIDs are the documented <ui_context id> values.
var UIContextIDs = []string{"admin.left_nav", "admin.header", "teacher.header", "teacher.pro.apps", "guardian.header", "student.header"}

// AccessLevels are the values of <oauth accessLevelV1Api>.
var AccessLevels = []string{"NONE", "READ", "FULL"}

type checker struct {
	file     string
	problems []Problem
}

func (c *checker) add(pos Pos, sev, format string, args ...any) {
	c.problems = append(c.problems, Problem{File: c.file, Line: pos.Line, Column: pos.Column, Severity: sev, Message: fmt.Sprintf(format, args...)})
}
func (c *checker) errorf(pos Pos, format string, args ...any) {
	c.add(pos, SeverityError, format, args...)
}
func (c *checker) warnf(pos Pos, format string, args ...any) {
	c.add(pos, SeverityWarning, format, args...)
}

// length checks an attribute against [min, max] characters.
func (c *checker) length(pos Pos, what, v string, min, max int) {
	n := utf8.RuneCountInString(v)
	switch {
	case n < min && n == 0:
		c.errorf(pos, "%s is required", what)
	case n < min:
		c.errorf(pos, "%s must be at least %d characters (has %d)", what, min, n)
	case max > 0 && n > max:
		c.errorf(pos, "%s must be at most %d characters (has %d)", what, max, n)
	}
}

func (c *checker) oneOf(pos Pos, what, v string, allowed []string) {
	for _, a := range allowed {
		if v == a {
			return
		}
	}
	c.errorf(pos, "%s is %q; use one of %s", what, v, strings.Join(allowed, ", "))
}

func (c *checker) boolean(pos Pos, what, v string) {
	if v != "" && v != "true" && v != "false" && v != "1" && v != "0" {
		c.errorf(pos, "%s is %q; use true or false", what, v)
	}
}

var versionRe = regexp.MustCompile(`^[0-9.]*$`)

// Validate checks p against PowerSchool's documented limits (reference
// §6.1) and warns about leftover template placeholders. Problems come in
// document order of the checks, each at its element's position.
func (p *Plugin) Validate() []Problem {
	c := &checker{}
	if p.Namespace != Namespace {
		if p.Namespace == "" {
			c.errorf(p.Pos, "<plugin> has no xmlns; add xmlns=%q", Namespace)
		} else {
			c.errorf(p.Pos, "<plugin> namespace is %q; use %q", p.Namespace, Namespace)
		}
	}
	c.length(p.Pos, "plugin name", p.Name, 1, 40)
	c.length(p.Pos, "plugin version", p.Version, 0, 20)
	if !versionRe.MatchString(p.Version) {
		c.errorf(p.Pos, "plugin version %q may contain only digits and dots, e.g. 1.0.2", p.Version)
	}
	c.length(p.Pos, "plugin description", p.Description, 0, 256)
	c.length(p.Pos, "plugin class", p.Class, 0, 256)
	c.boolean(p.Pos, "plugin deletable", p.Deletable)

	if p.Publisher == nil {
		c.errorf(p.Pos, "<publisher> is required: add <publisher name=\"...\"><contact email=\"...\"/></publisher>")
	} else {
		c.length(p.Publisher.Pos, "publisher name", p.Publisher.Name, 1, 100)
		if ct := p.Publisher.Contact; ct == nil {
			c.errorf(p.Publisher.Pos, "<publisher> needs a <contact email=\"...\"/>")
		} else {
			c.length(ct.Pos, "contact email", ct.Email, 1, 40)
			if ct.Email != "" {
				if a, err := mail.ParseAddress(ct.Email); err != nil || a.Address != ct.Email || !strings.Contains(ct.Email[strings.LastIndex(ct.Email, "@")+1:], ".") {
					c.errorf(ct.Pos, "contact email %q does not look like an email address", ct.Email)
				}
			}
			c.length(ct.Pos, "contact phone", ct.Phone, 0, 20)
		}
	}

	if o := p.OAuth; o != nil {
		if o.AccessLevelV1API != "" {
			c.oneOf(o.Pos, "oauth accessLevelV1Api", o.AccessLevelV1API, AccessLevels)
		}
		c.length(o.Pos, "oauth account_token", o.AccountToken, 0, 256)
		if o.Consumer != nil {
			c.length(o.Consumer.Pos, "oauth consumer url", o.Consumer.URL, 1, 1000)
		}
		c.boolean(o.Pos, "oauth allow-client-credential", o.AllowClientCredential)
		c.boolean(o.Pos, "oauth allow-auth-code", o.AllowAuthCode)
		for _, persona := range o.AllowPersonas {
			c.oneOf(o.Pos, "allow-persona", persona, []string{"staff", "teacher", "parent", "student"})
		}
	}

	if a := p.AccessRequest; a != nil {
		if p.OAuth == nil && len(a.Fields) > 0 {
			c.warnf(a.Pos, "<access_request> without <oauth>: no client credentials will be issued, so nothing can use these fields")
		}
		seen := map[string]Pos{}
		for _, f := range a.Fields {
			c.length(f.Pos, "field table", f.Table, 1, 30)
			c.length(f.Pos, "field name", f.Field, 1, 30)
			c.oneOf(f.Pos, "field access", f.Access, []string{ViewOnly, FullAccess})
			key := strings.ToLower(f.Table + "." + f.Field)
			if prev, dup := seen[key]; dup {
				c.errorf(f.Pos, "field %s.%s is already requested at line %d; keep one entry with the access you need", f.Table, f.Field, prev.Line)
			} else {
				seen[key] = f.Pos
			}
		}
	}

	if r := p.CDNRequest; r != nil {
		for _, cdn := range r.CDNs {
			c.length(cdn.Pos, "cdn name", cdn.Name, 1, 300)
			if u, err := url.Parse(cdn.Name); err != nil || u.Scheme != "https" || u.Host == "" {
				c.warnf(cdn.Pos, "cdn name %q should be an https origin such as https://code.jquery.com", cdn.Name)
			}
		}
	}

	if r := p.Registration; r != nil {
		c.length(r.Pos, "registration url", r.URL, 1, 1000)
		if r.URL != "" {
			if u, err := url.Parse(r.URL); err != nil || u.Scheme != "https" || u.Host == "" {
				c.errorf(r.Pos, "registration url %q must be an absolute https:// URL", r.URL)
			}
		}
		for _, prm := range r.Parameters {
			c.length(prm.Pos, "registration parameter name", prm.Name, 0, 256)
		}
	}

	if p.Links != nil {
		c.links(p.Links, true)
	}
	if o := p.OpenID; o != nil {
		c.length(o.Pos, "openid host", o.Host, 1, 256)
		if strings.Contains(o.Host, "://") || strings.Contains(o.Host, "/") {
			c.errorf(o.Pos, "openid host %q must be a host name without scheme or path", o.Host)
		}
		if o.Port != "" {
			if n, err := strconv.ParseUint(o.Port, 10, 16); err != nil || n == 0 {
				c.errorf(o.Pos, "openid port %q must be a number from 1 to 65535", o.Port)
			}
		}
		if o.Links == nil || len(o.Links.Links) == 0 {
			c.errorf(o.Pos, "<openid> needs a <links> element with at least one <link>")
		} else {
			c.links(o.Links, false)
		}
	}
	if s := p.SAML; s != nil {
		c.saml(s)
	}
	if a := p.AutoInstall; a != nil {
		c.boolean(a.Pos, "autoinstall required", a.Required)
		for _, f := range []*AutoFlag{a.AutoEnable, a.AutoRegister, a.AutoRedeploy} {
			if f != nil {
				c.boolean(f.Pos, "required", f.Required)
			}
		}
		if a.AutoRegister != nil && p.Registration == nil {
			c.warnf(a.AutoRegister.Pos, "<autoregister> without <registration url>: there is nowhere to register")
		}
	}
	if ia := p.IdentityAttribute; ia != nil {
		c.warnf(ia.Pos, "PowerSchool does not support <identityAttribute>; remove it")
		for _, e := range ia.Entities {
			c.length(e.Pos, "entity name", e.Name, 1, 256)
			c.length(e.Pos, "entity attribute", e.Attribute, 1, 256)
		}
	}
	for _, u := range p.Unknown {
		c.warnf(u.Pos, "unknown element <%s> inside <plugin>; PowerSchool may refuse it", u.Name)
	}
	c.placeholders(p)
	return c.problems
}

// links checks a <links> list; pathRequired is true for plain web links.
func (c *checker) links(l *Links, pathRequired bool) {
	if len(l.Links) == 0 {
		c.errorf(l.Pos, "<links> needs at least one <link>")
	}
	for _, link := range l.Links {
		c.length(link.Pos, "link display-text", link.DisplayText, 1, 100)
		min := 0
		if pathRequired {
			min = 1
		}
		c.length(link.Pos, "link path", link.Path, min, 1000)
		c.length(link.Pos, "link title", link.Title, 0, 256)
		if len(link.UIContexts) == 0 {
			c.errorf(link.Pos, "link %q needs <ui_contexts> with at least one <ui_context id=...>", link.DisplayText)
		}
		for _, ctx := range link.UIContexts {
			c.oneOf(ctx.Pos, "ui_context id", ctx.ID, UIContextIDs)
		}
	}
}

func (c *checker) saml(s *SAML) {
	c.length(s.Pos, "saml name", s.Name, 1, 256)
	sp := s.IDPName != "" || s.IDPEntityID != "" || s.IDPMetadataURL != ""
	if !sp {
		c.length(s.Pos, "saml entity-id", s.EntityID, 1, 1000)
		c.length(s.Pos, "saml base-url", s.BaseURL, 1, 1000)
	}
	c.length(s.Pos, "saml metadata-url", s.MetadataURL, 0, 1000)
	c.length(s.Pos, "saml idp-name", s.IDPName, 0, 40)
	c.length(s.Pos, "saml idp-entity-id", s.IDPEntityID, 0, 1000)
	c.length(s.Pos, "saml idp-metadata-url", s.IDPMetadataURL, 0, 1000)
	if s.NameIDFormat != "" {
		c.oneOf(s.Pos, "saml nameid-format", s.NameIDFormat, []string{"unspecified", "transient", "persistent"})
	}
	if s.Links != nil {
		c.links(s.Links, false)
	}
	userTypes := []string{"admin", "teacher", "student", "guardian"}
	for _, u := range s.Users {
		c.oneOf(u.Pos, "saml user type", u.Type, userTypes)
		for _, a := range u.Attributes {
			c.length(a.Pos, "saml attribute name", a.Name, 1, 256)
			c.length(a.Pos, "saml attribute-name", a.AttributeName, 0, 256)
			c.length(a.Pos, "saml attribute-value", a.AttributeValue, 0, 256)
		}
	}
	for _, p := range s.Permissions {
		c.length(p.Pos, "permission name", p.Name, 1, 100)
		c.length(p.Pos, "permission description", p.Description, 1, 1000)
		c.length(p.Pos, "permission value", p.Value, 1, 100)
	}
	for _, ut := range s.UserTypes {
		c.oneOf(ut.Pos, "user_type name", ut.Name, userTypes)
		c.boolean(ut.Pos, "user_type new-window", ut.NewWindow)
	}
}

var (
	bracketPlaceholder = regexp.MustCompile(`\[[A-Z][A-Z0-9_ ]*\]`)
	xRun               = regexp.MustCompile(`(?i)x{6,}`)
	exampleHost        = regexp.MustCompile(`(?i)(^|[@./])example\.(com|org|net)\b`)
)

// placeholders warns about template values left in: [PLUGIN_NAME]-style
// tokens, runs of six or more x's, and example.com/.org/.net addresses.
func (c *checker) placeholders(p *Plugin) {
	check := func(pos Pos, what, v string) {
		switch {
		case bracketPlaceholder.MatchString(v):
			c.warnf(pos, "%s %q contains the placeholder %s; replace it", what, v, bracketPlaceholder.FindString(v))
		case xRun.MatchString(v):
			c.warnf(pos, "%s %q looks like a placeholder (a run of x's); replace it", what, v)
		case exampleHost.MatchString(v):
			c.warnf(pos, "%s %q uses an example domain; replace it with your own", what, v)
		}
	}
	check(p.Pos, "plugin name", p.Name)
	check(p.Pos, "plugin description", p.Description)
	if pub := p.Publisher; pub != nil {
		check(pub.Pos, "publisher name", pub.Name)
		if ct := pub.Contact; ct != nil {
			check(ct.Pos, "contact email", ct.Email)
			check(ct.Pos, "contact phone", ct.Phone)
		}
	}
	if r := p.Registration; r != nil {
		check(r.Pos, "registration url", r.URL)
		check(r.Pos, "callback-data", r.CallbackData)
	}
	for _, l := range []*Links{p.Links} {
		if l == nil {
			continue
		}
		for _, link := range l.Links {
			check(link.Pos, "link path", link.Path)
			check(link.Pos, "link display-text", link.DisplayText)
		}
	}
	if a := p.AccessRequest; a != nil {
		for _, f := range a.Fields {
			check(f.Pos, "field table", f.Table)
			check(f.Pos, "field name", f.Field)
		}
	}
}
