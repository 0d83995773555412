package plugin

import (
	"bytes"
	"encoding/xml"
	"errors"
)

// Marshal writes p as plugin.xml in the form PowerSchool accepts: the
// plugin namespace, xsi:schemaLocation, known elements in a fixed order,
// then any unknown elements Parse kept. Empty optional attributes are
// omitted. Marshal does not validate; call Validate first.
func Marshal(p *Plugin) ([]byte, error) {
	if p == nil {
		return nil, errors.New("plugin: Marshal of a nil *Plugin")
	}
	root := &Element{Name: "plugin"}
	root.Attrs = []xml.Attr{
		xattr("xmlns", Namespace),
		xattr("xmlns:xsi", xsiNS),
		xattr("xsi:schemaLocation", SchemaLocation),
	}
	// name is required, so it is written even when empty: Validate on the
	// output then reports it rather than the attribute silently vanishing.
	root.Attrs = append(root.Attrs, xattr("name", p.Name))
	root.Attrs = append(root.Attrs, attrs(
		"version", p.Version, "description", p.Description,
		"class", p.Class, "deletable", p.Deletable)...)

	if p.Publisher != nil {
		pub := &Element{Name: "publisher", Attrs: []xml.Attr{xattr("name", p.Publisher.Name)}}
		if c := p.Publisher.Contact; c != nil {
			contact := &Element{Name: "contact", Attrs: []xml.Attr{xattr("email", c.Email)}}
			contact.Attrs = append(contact.Attrs, attrs("phone", c.Phone)...)
			pub.Children = append(pub.Children, contact)
		}
		root.Children = append(root.Children, pub)
	}
	if o := p.OAuth; o != nil {
		e := &Element{Name: "oauth", Attrs: attrs(
			"accessLevelV1Api", o.AccessLevelV1API, "account_token", o.AccountToken,
			"base-url", o.BaseURL, "redirect-uri", o.RedirectURI,
			"allow-client-credential", o.AllowClientCredential, "allow-auth-code", o.AllowAuthCode)}
		if o.Consumer != nil {
			e.Children = append(e.Children, &Element{Name: "consumer", Children: []*Element{{Name: "url", Text: o.Consumer.URL}}})
		}
		for _, persona := range o.AllowPersonas {
			e.Children = append(e.Children, &Element{Name: "allow-persona", Text: persona})
		}
		root.Children = append(root.Children, e)
	}
	if a := p.AccessRequest; a != nil {
		e := &Element{Name: "access_request"}
		for _, f := range a.Fields {
			e.Children = append(e.Children, &Element{Name: "field", Attrs: []xml.Attr{
				xattr("table", f.Table), xattr("field", f.Field), xattr("access", f.Access)}})
		}
		root.Children = append(root.Children, e)
	}
	if c := p.CDNRequest; c != nil {
		e := &Element{Name: "cdn_request"}
		for _, cdn := range c.CDNs {
			e.Children = append(e.Children, &Element{Name: "cdn", Attrs: []xml.Attr{xattr("name", cdn.Name)}})
		}
		root.Children = append(root.Children, e)
	}
	if r := p.Registration; r != nil {
		e := &Element{Name: "registration", Attrs: []xml.Attr{xattr("url", r.URL)}}
		if r.CallbackData != "" {
			e.Children = append(e.Children, &Element{Name: "callback-data", Text: r.CallbackData})
		}
		for _, prm := range r.Parameters {
			e.Children = append(e.Children, &Element{Name: "parameter", Attrs: attrs("name", prm.Name), Text: prm.Value})
		}
		root.Children = append(root.Children, e)
	}
	if p.Links != nil {
		root.Children = append(root.Children, linksElement(p.Links))
	}
	if o := p.OpenID; o != nil {
		e := &Element{Name: "openid", Attrs: []xml.Attr{xattr("host", o.Host)}}
		e.Attrs = append(e.Attrs, attrs("port", o.Port)...)
		if o.Links != nil {
			e.Children = append(e.Children, linksElement(o.Links))
		}
		root.Children = append(root.Children, e)
	}
	if s := p.SAML; s != nil {
		root.Children = append(root.Children, samlElement(s))
	}
	if a := p.AutoInstall; a != nil {
		e := &Element{Name: "autoinstall", Attrs: attrs("required", a.Required)}
		for _, f := range []struct {
			name string
			flag *AutoFlag
		}{{"autoenable", a.AutoEnable}, {"autoregister", a.AutoRegister}, {"autoredeploy", a.AutoRedeploy}} {
			if f.flag != nil {
				e.Children = append(e.Children, &Element{Name: f.name, Attrs: attrs("required", f.flag.Required)})
			}
		}
		root.Children = append(root.Children, e)
	}
	if ia := p.IdentityAttribute; ia != nil {
		e := &Element{Name: "identityAttribute"}
		for _, ent := range ia.Entities {
			e.Children = append(e.Children, &Element{Name: "entity", Attrs: []xml.Attr{xattr("name", ent.Name), xattr("attribute", ent.Attribute)}})
		}
		root.Children = append(root.Children, e)
	}
	root.Children = append(root.Children, p.Unknown...)

	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	if err := encodeTree(&buf, root); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}

func linksElement(l *Links) *Element {
	e := &Element{Name: "links"}
	for _, link := range l.Links {
		le := &Element{Name: "link", Attrs: []xml.Attr{xattr("display-text", link.DisplayText)}}
		le.Attrs = append(le.Attrs, attrs("path", link.Path, "title", link.Title)...)
		ctxs := &Element{Name: "ui_contexts"}
		for _, c := range link.UIContexts {
			ctxs.Children = append(ctxs.Children, &Element{Name: "ui_context", Attrs: []xml.Attr{xattr("id", c.ID)}})
		}
		le.Children = append(le.Children, ctxs)
		e.Children = append(e.Children, le)
	}
	return e
}

func samlElement(s *SAML) *Element {
	e := &Element{Name: "saml", Attrs: []xml.Attr{xattr("name", s.Name)}}
	e.Attrs = append(e.Attrs, attrs(
		"entity-id", s.EntityID, "base-url", s.BaseURL, "metadata-url", s.MetadataURL,
		"nameid-format", s.NameIDFormat, "idp-name", s.IDPName,
		"idp-entity-id", s.IDPEntityID, "idp-metadata-url", s.IDPMetadataURL)...)
	if s.Links != nil {
		e.Children = append(e.Children, linksElement(s.Links))
	}
	if len(s.Users) > 0 {
		attrsEl := &Element{Name: "attributes"}
		for _, u := range s.Users {
			ue := &Element{Name: "user", Attrs: []xml.Attr{xattr("type", u.Type)}}
			for _, a := range u.Attributes {
				ue.Children = append(ue.Children, &Element{Name: "attribute", Attrs: append([]xml.Attr{xattr("name", a.Name)},
					attrs("attribute-name", a.AttributeName, "attribute-value", a.AttributeValue, "extension", a.Extension)...)})
			}
			attrsEl.Children = append(attrsEl.Children, ue)
		}
		e.Children = append(e.Children, attrsEl)
	}
	if len(s.Permissions) > 0 {
		perms := &Element{Name: "permissions"}
		for _, p := range s.Permissions {
			perms.Children = append(perms.Children, &Element{Name: "permission", Attrs: []xml.Attr{
				xattr("name", p.Name), xattr("description", p.Description), xattr("value", p.Value)}})
		}
		e.Children = append(e.Children, perms)
	}
	if len(s.UserTypes) > 0 {
		uts := &Element{Name: "user_types"}
		for _, ut := range s.UserTypes {
			uts.Children = append(uts.Children, &Element{Name: "user_type", Attrs: append([]xml.Attr{xattr("name", ut.Name)}, attrs("new-window", ut.NewWindow)...)})
		}
		e.Children = append(e.Children, &Element{Name: "inline_authentication", Children: []*Element{uts}})
	}
	return e
}

func xattr(name, value string) xml.Attr { return xml.Attr{Name: xml.Name{Local: name}, Value: value} }

// attrs builds attributes from name/value pairs, skipping empty values.
func attrs(pairs ...string) []xml.Attr {
	var out []xml.Attr
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i+1] != "" {
			out = append(out, xattr(pairs[i], pairs[i+1]))
		}
	}
	return out
}
