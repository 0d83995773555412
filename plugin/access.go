package plugin

import (
	"encoding/json"
	"errors"
	"regexp"
	"strings"
)

// The wording of PowerSchool's 403 body for a field missing from
// access_request is not captured from a real server (reference §5, §9
// item 5), so FieldsFromError accepts the plausible forms: the
// {"message","errors":[{"resource","field","code"}]} shape, and text that
// names TABLE.FIELD after the word "field" or "column".

// maxErrorBody bounds what FieldsFromError looks at.
const maxErrorBody = 1 << 20

var (
	// fieldList finds "field(s)/column(s)" followed by TABLE.FIELD names.
	fieldList     = regexp.MustCompile(`(?i)\b(?:fields?|columns?)\b[\s:"'\[(]*((?:[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*["'\])]*(?:\s*(?:,|;|and)\s*["'\[(]*)?)+)`)
	tableDotField = regexp.MustCompile(`([A-Za-z_][A-Za-z0-9_]*)\.([A-Za-z_][A-Za-z0-9_]*)`)
	writeWords    = regexp.MustCompile(`(?i)\b(?:fullaccess|full access|write|update|insert|delete|modify|edit)\b`)
	identifier    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// FieldsFromError reads the body of a PowerSchool 403 and returns the
// <field> entries plugin.xml's <access_request> needs. Access is
// FullAccess when the text speaks of writing (update, insert, delete,
// FullAccess), else ViewOnly. Tables and fields are upper-cased, as in
// PowerSchool's data dictionary.
func FieldsFromError(body []byte) ([]Field, error) {
	if len(body) > maxErrorBody {
		body = body[:maxErrorBody]
	}
	text := strings.TrimSpace(string(body))
	if text == "" {
		return nil, errors.New("the error body is empty; save the full response body of the 403 and try again")
	}

	var found []Field
	add := func(table, field, context string) {
		if !identifier.MatchString(table) || !identifier.MatchString(field) {
			return
		}
		access := ViewOnly
		if writeWords.MatchString(context) {
			access = FullAccess
		}
		found = MergeFields(found, Field{Table: strings.ToUpper(table), Field: strings.ToUpper(field), Access: access})
	}
	scanText := func(s string) {
		for _, m := range fieldList.FindAllStringSubmatch(s, -1) {
			for _, tf := range tableDotField.FindAllStringSubmatch(m[1], -1) {
				add(tf[1], tf[2], s)
			}
		}
	}

	var doc any
	if json.Unmarshal(body, &doc) == nil {
		whole := string(body)
		walkJSON(doc, func(obj map[string]any) {
			table := firstString(obj, "resource", "table", "table_name", "tableName")
			field := firstString(obj, "field", "column", "field_name", "fieldName")
			if table == "" && strings.Contains(field, ".") {
				table, field, _ = strings.Cut(field, ".")
			}
			if table != "" && field != "" {
				add(table, field, whole)
			}
		}, scanText)
	} else {
		scanText(text)
	}
	if len(found) == 0 {
		return nil, errors.New(`no TABLE.FIELD names found in the error body; expected text such as "No access to the field STUDENTS.SSN" or JSON errors with "resource" and "field"`)
	}
	return found, nil
}

// walkJSON calls onObject for every object and onString for every string
// anywhere in v.
func walkJSON(v any, onObject func(map[string]any), onString func(string)) {
	switch t := v.(type) {
	case map[string]any:
		onObject(t)
		for _, c := range t {
			walkJSON(c, onObject, onString)
		}
	case []any:
		for _, c := range t {
			walkJSON(c, onObject, onString)
		}
	case string:
		onString(t)
	}
}

func firstString(obj map[string]any, keys ...string) string {
	for _, k := range keys {
		if s, ok := obj[k].(string); ok && strings.TrimSpace(s) != "" {
			return strings.TrimSpace(s)
		}
	}
	return ""
}

// AddFields merges fields into p's <access_request>, creating it when
// absent, and returns the entries that were added or raised to FullAccess.
func (p *Plugin) AddFields(fields ...Field) []Field {
	if p.AccessRequest == nil {
		p.AccessRequest = &AccessRequest{}
	}
	var changed []Field
	for _, f := range fields {
		before := len(p.AccessRequest.Fields)
		var prev string
		for _, h := range p.AccessRequest.Fields {
			if strings.EqualFold(h.Table, f.Table) && strings.EqualFold(h.Field, f.Field) {
				prev = h.Access
			}
		}
		p.AccessRequest.Fields = MergeFields(p.AccessRequest.Fields, f)
		if len(p.AccessRequest.Fields) > before || (prev == ViewOnly && f.Access == FullAccess) {
			changed = append(changed, f)
		}
	}
	return changed
}
