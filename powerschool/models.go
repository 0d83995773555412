package powerschool

import "encoding/json"

// Shared building blocks of /ws/v1 records. Every block decodes from ""
// (PowerSchool's empty expansion) as well as from an object; a block pointer
// that is non-nil but zero means "expanded, but empty". Fields the models do
// not name are in the record's Raw JSON.

// Name is a person's name.
type Name struct {
	FirstName  string `json:"first_name,omitempty"`
	MiddleName string `json:"middle_name,omitempty"`
	LastName   string `json:"last_name,omitempty"`
}

func (n *Name) UnmarshalJSON(b []byte) error { type plain Name; return unmarshalBlock(b, (*plain)(n)) }

// Address is a postal address.
type Address struct {
	Street        string     `json:"street,omitempty"`
	City          string     `json:"city,omitempty"`
	StateProvince string     `json:"state_province,omitempty"`
	PostalCode    FlexString `json:"postal_code,omitempty"`
	GridLocation  string     `json:"grid_location,omitempty"`
}

func (a *Address) UnmarshalJSON(b []byte) error {
	type plain Address
	return unmarshalBlock(b, (*plain)(a))
}

// Addresses is the "addresses" expansion.
type Addresses struct {
	Physical *Address `json:"physical,omitempty"`
	Mailing  *Address `json:"mailing,omitempty"`
	Home     *Address `json:"home,omitempty"`
}

func (a *Addresses) UnmarshalJSON(b []byte) error {
	type plain Addresses
	return unmarshalBlock(b, (*plain)(a))
}

// ExtensionData is "_extension_data": the extension tables asked for with
// ListOptions.Extensions. "_table_extension" is an object for one table and an
// array for several; both decode into Tables.
type ExtensionData struct {
	Tables List[ExtensionTable] `json:"_table_extension"`
}

func (e *ExtensionData) UnmarshalJSON(b []byte) error {
	type plain ExtensionData
	return unmarshalBlock(b, (*plain)(e))
}

// ExtensionTable is one extension table's fields for a record.
type ExtensionTable struct {
	RecordFound *FlexBool            `json:"recordFound,omitempty"`
	Name        string               `json:"name"`
	Fields      List[ExtensionField] `json:"_field"`
}

func (t *ExtensionTable) UnmarshalJSON(b []byte) error {
	type plain ExtensionTable
	return unmarshalBlock(b, (*plain)(t))
}

// ExtensionField is one field of an extension table.
type ExtensionField struct {
	Name  string     `json:"name"`
	Type  string     `json:"type,omitempty"`
	Value FlexString `json:"value"`
}

// Value returns the value of field in extension table (names compare
// case-insensitively, as PowerSchool's do).
func (e *ExtensionData) Value(table, field string) (string, bool) {
	if e == nil {
		return "", false
	}
	for _, t := range e.Tables {
		if !equalFold(t.Name, table) {
			continue
		}
		for _, f := range t.Fields {
			if equalFold(f.Name, field) {
				return string(f.Value), true
			}
		}
	}
	return "", false
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// Record keeps a model's JSON as sent; embedded in every top-level model.
type Record struct {
	// Raw is the record's JSON exactly as PowerSchool sent it, for fields the
	// model does not name.
	Raw json.RawMessage `json:"-"`
}

func (r *Record) setRaw(b json.RawMessage) { r.Raw = b }
