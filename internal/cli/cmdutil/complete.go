package cmdutil

import (
	"encoding"
	"encoding/json"
	"reflect"
	"slices"
	"strings"

	"github.com/spf13/cobra"
)

// FieldNames lists the --fields paths of a record type from its JSON
// tags: nested objects joined with dots (name.last_name), embedded structs
// flattened, values that encode themselves (times, flexible numbers) and
// lists kept whole. Completion offers them; records may hold more.
func FieldNames(t reflect.Type) []string {
	var out []string
	addFields(t, "", &out, 0)
	return out
}

var (
	jsonMarshaler = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

// leaf reports whether t is written as one JSON value: not a struct, or
// a struct that encodes itself.
func leaf(t reflect.Type) bool {
	if t.Kind() != reflect.Struct {
		return true
	}
	for _, i := range []reflect.Type{jsonMarshaler, textMarshaler} {
		if t.Implements(i) || reflect.PointerTo(t).Implements(i) {
			return true
		}
	}
	return false
}

func addFields(t reflect.Type, prefix string, out *[]string, depth int) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if depth > 4 || t.Kind() != reflect.Struct {
		return
	}
	for i := range t.NumField() {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" || (!sf.IsExported() && !sf.Anonymous) {
			continue
		}
		name, _, _ := strings.Cut(tag, ",")
		ft := sf.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if sf.Anonymous && name == "" {
			addFields(ft, prefix, out, depth+1)
			continue
		}
		if name == "" {
			name = sf.Name
		}
		if prefix != "" {
			name = prefix + "." + name
		}
		if leaf(ft) {
			*out = append(*out, name)
			continue
		}
		addFields(ft, name, out, depth+1)
	}
}

// CompleteFieldList completes a comma-separated --fields value: the part
// after the last comma from names, the fields already given kept.
func CompleteFieldList(names []string) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		done, partial := "", toComplete
		if i := strings.LastIndexByte(toComplete, ','); i >= 0 {
			done, partial = toComplete[:i+1], toComplete[i+1:]
		}
		given := strings.Split(done, ",")
		var out []string
		for _, n := range names {
			if strings.HasPrefix(n, partial) && !slices.Contains(given, n) {
				out = append(out, done+n)
			}
		}
		return out, cobra.ShellCompDirectiveNoFileComp | cobra.ShellCompDirectiveNoSpace
	}
}

// CompleteEnvNames completes --env and commands taking an environment name.
func (f *Factory) CompleteEnvNames(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	cfg, err := f.Config()
	if err != nil || cfg == nil {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return cfg.Names(), cobra.ShellCompDirectiveNoFileComp
}
