// Package plugin reads, checks and writes PowerSchool plugin files:
// plugin.xml, the *.named_queries.xml files that define PowerQueries, and
// the installable zip that carries them.
//
// Parse is lenient about what it accepts (unknown elements are kept, not
// rejected) and Validate reports everything PowerSchool's documented limits
// would refuse, each problem with the line and column of its element.
package plugin

import (
	"fmt"
	"strings"
)

// Namespace is the XML namespace of plugin.xml.
const Namespace = "http://plugin.powerschool.pearson.com"

// SchemaLocation is the xsi:schemaLocation value PowerSchool's examples use.
const SchemaLocation = Namespace + " plugin.xsd"

// Access levels of an <access_request> field.
const (
	ViewOnly   = "ViewOnly"
	FullAccess = "FullAccess"
)

// Plugin is the <plugin> root of plugin.xml. String fields hold attribute
// values exactly as written ("" when absent); pointer fields are nil when
// the element is absent.
type Plugin struct {
	Name        string
	Version     string
	Description string
	Class       string // XSD only, ≤256
	Deletable   string // XSD only: "true" (default) or "false"
	Namespace   string // namespace URI of the root element as written

	Publisher         *Publisher
	OAuth             *OAuth
	AccessRequest     *AccessRequest
	CDNRequest        *CDNRequest
	Registration      *Registration
	Links             *Links
	OpenID            *OpenID
	SAML              *SAML
	AutoInstall       *AutoInstall
	IdentityAttribute *IdentityAttribute

	// Unknown holds child elements of <plugin> this package does not model,
	// in document order; Marshal writes them back after the known ones.
	Unknown []*Element

	Pos Pos
}

// IsDeletable reports whether the plugin may be deleted (default true).
func (p *Plugin) IsDeletable() bool {
	return !strings.EqualFold(strings.TrimSpace(p.Deletable), "false")
}

// Publisher is <publisher name><contact/></publisher>.
type Publisher struct {
	Name    string
	Contact *Contact
	Pos     Pos
}

// Contact is <contact email phone/>.
type Contact struct {
	Email, Phone string
	Pos          Pos
}

// OAuth is <oauth>. Its presence makes PowerSchool generate a client id and
// secret for the plugin.
type OAuth struct {
	// AccessLevelV1API is the raw accessLevelV1Api attribute: "" (absent,
	// treated as NONE), "NONE", "READ" or "FULL" (PowerSchool 25.2+).
	AccessLevelV1API string
	AccountToken     string    // older XSD attribute
	Consumer         *Consumer // older XSD child

	// OpenID Connect attributes (PowerSchool 20.11+).
	BaseURL               string
	RedirectURI           string
	AllowClientCredential string
	AllowAuthCode         string
	AllowPersonas         []string

	Pos Pos
}

// Consumer is the XSD's <consumer><url/></consumer> inside <oauth>.
type Consumer struct {
	URL string
	Pos Pos
}

// AccessRequest is <access_request>: the fields PowerQueries and the table
// API may touch.
type AccessRequest struct {
	Fields []Field
	Pos    Pos
}

// Field is <field table field access/>. Access is ViewOnly or FullAccess.
type Field struct {
	Table, Field, Access string
	Pos                  Pos
}

// String returns TABLE.FIELD:Access.
func (f Field) String() string { return f.Table + "." + f.Field + ":" + f.Access }

// CDNRequest is <cdn_request>: hosts added to the content security policy.
type CDNRequest struct {
	CDNs []CDN
	Pos  Pos
}

// CDN is <cdn name/>.
type CDN struct {
	Name string
	Pos  Pos
}

// Registration is <registration url>: where PowerSchool sends the plugin's
// credentials, with optional callback data (e.g. a licence key).
type Registration struct {
	URL          string
	CallbackData string
	Parameters   []Parameter
	Pos          Pos
}

// Parameter is the XSD's <parameter name>text</parameter> in <registration>.
type Parameter struct {
	Name, Value string
	Pos         Pos
}

// Links is a <links> list.
type Links struct {
	Links []Link
	Pos   Pos
}

// Link is <link display-text path title><ui_contexts>...</ui_contexts></link>.
type Link struct {
	DisplayText string
	Path        string
	Title       string
	UIContexts  []UIContext
	Pos         Pos
}

// UIContext is <ui_context id/>: where a link appears.
type UIContext struct {
	ID  string
	Pos Pos
}

// OpenID is <openid host port> (OpenID 2.0 single sign-on).
type OpenID struct {
	Host  string
	Port  string // raw; default 443
	Links *Links
	Pos   Pos
}

// SAML is <saml>, in identity-provider or service-provider mode.
type SAML struct {
	Name           string
	EntityID       string
	BaseURL        string
	MetadataURL    string
	NameIDFormat   string
	IDPName        string
	IDPEntityID    string
	IDPMetadataURL string
	Links          *Links
	Users          []SAMLUser   // <attributes><user>...
	Permissions    []Permission // <permissions><permission>...
	UserTypes      []UserType   // <inline_authentication><user_types><user_type>...
	Pos            Pos
}

// SAMLUser is <user type> inside <saml><attributes>.
type SAMLUser struct {
	Type       string
	Attributes []SAMLAttribute
	Pos        Pos
}

// SAMLAttribute is <attribute name attribute-name attribute-value extension/>.
type SAMLAttribute struct {
	Name, AttributeName, AttributeValue, Extension string
	Pos                                            Pos
}

// Permission is <permission name description value/> inside <saml>.
type Permission struct {
	Name, Description, Value string
	Pos                      Pos
}

// UserType is <user_type name new-window/>.
type UserType struct {
	Name, NewWindow string
	Pos             Pos
}

// AutoInstall is the XSD's <autoinstall required>.
type AutoInstall struct {
	Required     string
	AutoEnable   *AutoFlag
	AutoRegister *AutoFlag
	AutoRedeploy *AutoFlag
	Pos          Pos
}

// AutoFlag is <autoenable required/>, <autoregister required/> or <autoredeploy/>.
type AutoFlag struct {
	Required string
	Pos      Pos
}

// IdentityAttribute is the XSD's <identityAttribute>.
type IdentityAttribute struct {
	Entities []Entity
	Pos      Pos
}

// Entity is <entity name attribute/>.
type Entity struct {
	Name, Attribute string
	Pos             Pos
}

// MaxPluginXMLSize bounds the plugin.xml Parse accepts.
const MaxPluginXMLSize = 4 << 20

// Parse reads plugin.xml. Malformed XML yields a *SyntaxError carrying the
// line and column; a document whose root is not <plugin> is refused. Parse
// does not check limits: call Validate for that.
func Parse(data []byte) (*Plugin, error) {
	if len(data) > MaxPluginXMLSize {
		return nil, fmt.Errorf("plugin.xml is %d bytes, more than the %d allowed; is this the right file?", len(data), MaxPluginXMLSize)
	}
	root, err := parseTree(data)
	if err != nil {
		return nil, fmt.Errorf("plugin.xml: %w", err)
	}
	if root.Name != "plugin" {
		return nil, fmt.Errorf("plugin.xml: %w", &SyntaxError{Line: root.Pos.Line, Column: root.Pos.Column,
			Msg: fmt.Sprintf("root element is <%s>; plugin.xml must start with <plugin xmlns=%q>", root.Name, Namespace)})
	}
	return pluginFrom(root), nil
}

func pluginFrom(e *Element) *Plugin {
	p := &Plugin{
		Name:        e.attr("name"),
		Version:     e.attr("version"),
		Description: e.attr("description"),
		Class:       e.attr("class"),
		Deletable:   e.attr("deletable"),
		Namespace:   e.Space,
		Pos:         e.Pos,
	}
	for _, c := range e.Children {
		switch c.Name {
		case "publisher":
			p.Publisher = publisherFrom(c)
		case "oauth":
			p.OAuth = oauthFrom(c)
		case "access_request":
			p.AccessRequest = accessRequestFrom(c, p)
		case "cdn_request":
			p.CDNRequest = cdnRequestFrom(c)
		case "registration":
			p.Registration = registrationFrom(c)
		case "links":
			p.Links = linksFrom(c)
		case "openid":
			p.OpenID = openIDFrom(c)
		case "saml":
			p.SAML = samlFrom(c)
		case "autoinstall":
			p.AutoInstall = autoInstallFrom(c)
		case "identityAttribute":
			p.IdentityAttribute = identityFrom(c)
		default:
			p.Unknown = append(p.Unknown, c)
		}
	}
	return p
}

func publisherFrom(e *Element) *Publisher {
	p := &Publisher{Name: e.attr("name"), Pos: e.Pos}
	for _, c := range e.Children {
		if c.Name == "contact" {
			p.Contact = &Contact{Email: c.attr("email"), Phone: c.attr("phone"), Pos: c.Pos}
		}
	}
	return p
}

func oauthFrom(e *Element) *OAuth {
	o := &OAuth{
		AccessLevelV1API:      e.attr("accessLevelV1Api"),
		AccountToken:          e.attr("account_token"),
		BaseURL:               e.attr("base-url"),
		RedirectURI:           e.attr("redirect-uri"),
		AllowClientCredential: e.attr("allow-client-credential"),
		AllowAuthCode:         e.attr("allow-auth-code"),
		Pos:                   e.Pos,
	}
	for _, c := range e.Children {
		switch c.Name {
		case "consumer":
			o.Consumer = &Consumer{Pos: c.Pos}
			for _, u := range c.Children {
				if u.Name == "url" {
					o.Consumer.URL = strings.TrimSpace(u.Text)
				}
			}
		case "allow-persona":
			o.AllowPersonas = append(o.AllowPersonas, strings.TrimSpace(c.Text))
		}
	}
	return o
}

// accessRequestFrom also accepts <cdn_request> nested in <access_request>,
// which some readers of the documentation's table write.
func accessRequestFrom(e *Element, p *Plugin) *AccessRequest {
	a := &AccessRequest{Pos: e.Pos}
	for _, c := range e.Children {
		switch c.Name {
		case "field":
			a.Fields = append(a.Fields, Field{Table: c.attr("table"), Field: c.attr("field"), Access: c.attr("access"), Pos: c.Pos})
		case "cdn_request":
			if p.CDNRequest == nil {
				p.CDNRequest = cdnRequestFrom(c)
			}
		}
	}
	return a
}

func cdnRequestFrom(e *Element) *CDNRequest {
	r := &CDNRequest{Pos: e.Pos}
	for _, c := range e.Children {
		if c.Name == "cdn" {
			r.CDNs = append(r.CDNs, CDN{Name: c.attr("name"), Pos: c.Pos})
		}
	}
	return r
}

func registrationFrom(e *Element) *Registration {
	r := &Registration{URL: e.attr("url"), Pos: e.Pos}
	for _, c := range e.Children {
		switch c.Name {
		case "callback-data":
			r.CallbackData = strings.TrimSpace(c.Text)
		case "parameter":
			r.Parameters = append(r.Parameters, Parameter{Name: c.attr("name"), Value: strings.TrimSpace(c.Text), Pos: c.Pos})
		}
	}
	return r
}

func linksFrom(e *Element) *Links {
	l := &Links{Pos: e.Pos}
	for _, c := range e.Children {
		if c.Name != "link" {
			continue
		}
		link := Link{DisplayText: c.attr("display-text"), Path: c.attr("path"), Title: c.attr("title"), Pos: c.Pos}
		for _, u := range c.Children {
			if u.Name != "ui_contexts" {
				continue
			}
			for _, ctx := range u.Children {
				if ctx.Name == "ui_context" {
					link.UIContexts = append(link.UIContexts, UIContext{ID: ctx.attr("id"), Pos: ctx.Pos})
				}
			}
		}
		l.Links = append(l.Links, link)
	}
	return l
}

func openIDFrom(e *Element) *OpenID {
	o := &OpenID{Host: e.attr("host"), Port: e.attr("port"), Pos: e.Pos}
	for _, c := range e.Children {
		if c.Name == "links" {
			o.Links = linksFrom(c)
		}
	}
	return o
}

func samlFrom(e *Element) *SAML {
	s := &SAML{
		Name:           e.attr("name"),
		EntityID:       e.attr("entity-id"),
		BaseURL:        e.attr("base-url"),
		MetadataURL:    e.attr("metadata-url"),
		NameIDFormat:   e.attr("nameid-format"),
		IDPName:        e.attr("idp-name"),
		IDPEntityID:    e.attr("idp-entity-id"),
		IDPMetadataURL: e.attr("idp-metadata-url"),
		Pos:            e.Pos,
	}
	for _, c := range e.Children {
		switch c.Name {
		case "links":
			s.Links = linksFrom(c)
		case "attributes":
			for _, u := range c.Children {
				if u.Name != "user" {
					continue
				}
				user := SAMLUser{Type: u.attr("type"), Pos: u.Pos}
				for _, a := range u.Children {
					if a.Name == "attribute" {
						user.Attributes = append(user.Attributes, SAMLAttribute{
							Name: a.attr("name"), AttributeName: a.attr("attribute-name"),
							AttributeValue: a.attr("attribute-value"), Extension: a.attr("extension"), Pos: a.Pos,
						})
					}
				}
				s.Users = append(s.Users, user)
			}
		case "permissions":
			for _, p := range c.Children {
				if p.Name == "permission" {
					s.Permissions = append(s.Permissions, Permission{Name: p.attr("name"), Description: p.attr("description"), Value: p.attr("value"), Pos: p.Pos})
				}
			}
		case "inline_authentication":
			for _, uts := range c.Children {
				if uts.Name != "user_types" {
					continue
				}
				for _, ut := range uts.Children {
					if ut.Name == "user_type" {
						s.UserTypes = append(s.UserTypes, UserType{Name: ut.attr("name"), NewWindow: ut.attr("new-window"), Pos: ut.Pos})
					}
				}
			}
		}
	}
	return s
}

func autoInstallFrom(e *Element) *AutoInstall {
	a := &AutoInstall{Required: e.attr("required"), Pos: e.Pos}
	for _, c := range e.Children {
		f := &AutoFlag{Required: c.attr("required"), Pos: c.Pos}
		switch c.Name {
		case "autoenable":
			a.AutoEnable = f
		case "autoregister":
			a.AutoRegister = f
		case "autoredeploy":
			a.AutoRedeploy = f
		}
	}
	return a
}

func identityFrom(e *Element) *IdentityAttribute {
	ia := &IdentityAttribute{Pos: e.Pos}
	for _, c := range e.Children {
		if c.Name == "entity" {
			ia.Entities = append(ia.Entities, Entity{Name: c.attr("name"), Attribute: c.attr("attribute"), Pos: c.Pos})
		}
	}
	return ia
}
