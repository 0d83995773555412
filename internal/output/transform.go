package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"text/template"

	"github.com/itchyny/gojq"
)

// A transform writer prints what a --jq expression or a --template makes of
// each record, as gh does: one record at a time, so a long pull streams.

// CompileJQ parses a --jq expression.
func CompileJQ(expr string) (*gojq.Code, error) {
	q, err := gojq.Parse(expr)
	if err != nil {
		return nil, fmt.Errorf("invalid --jq expression %q: %v", expr, err)
	}
	code, err := gojq.Compile(q)
	if err != nil {
		return nil, fmt.Errorf("invalid --jq expression %q: %v", expr, err)
	}
	return code, nil
}

// CompileTemplate parses a --template (Go text/template syntax).
func CompileTemplate(text string) (*template.Template, error) {
	t, err := template.New("--template").Option("missingkey=zero").Funcs(templateFuncs).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("invalid --template: %v", strings.TrimPrefix(err.Error(), "template: "))
	}
	return t, nil
}

var templateFuncs = template.FuncMap{
	// json renders a value as compact JSON.
	"json": func(v any) (string, error) {
		b, err := gojq.Marshal(v)
		return string(b), err
	},
	// join joins a list with sep.
	"join": func(sep string, v []any) string {
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = fmt.Sprint(e)
		}
		return strings.Join(parts, sep)
	},
	"upper": strings.ToUpper,
	"lower": strings.ToLower,
}

// decode turns a record into the generic value jq and templates work on,
// numbers kept exactly.
func decode(rec any) (any, error) {
	raw, err := toRaw(rec)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("record is not valid JSON: %w", err)
	}
	return v, nil
}

type jqWriter struct {
	w    *recordBuffer
	code *gojq.Code
	n    int
}

// Write prints each result of the expression on its own line: strings as
// they are, anything else as compact JSON.
func (j *jqWriter) Write(rec any) error {
	v, err := decode(rec)
	if err != nil {
		return err
	}
	iter := j.code.Run(v)
	for {
		out, ok := iter.Next()
		if !ok {
			break
		}
		if err, ok := out.(error); ok {
			var halt *gojq.HaltError
			if errors.As(err, &halt) && halt.Value() == nil {
				break
			}
			return fmt.Errorf("--jq: record %d: %v", j.n+1, err)
		}
		if s, ok := out.(string); ok {
			j.w.WriteString(s)
		} else {
			b, err := gojq.Marshal(out)
			if err != nil {
				return fmt.Errorf("--jq: record %d: %v", j.n+1, err)
			}
			j.w.Write(b)
		}
		j.w.WriteByte('\n')
	}
	j.n++
	return j.w.endRecord()
}

func (j *jqWriter) Close() error { return j.w.Flush() }
func (j *jqWriter) Abort() error { return j.w.flushWhole() }
func (j *jqWriter) Count() int   { return j.n }

type templateWriter struct {
	w    *recordBuffer
	tmpl *template.Template
	n    int
}

// Write runs the template on one record, ending the output with a newline
// when the template did not.
func (t *templateWriter) Write(rec any) error {
	v, err := decode(rec)
	if err != nil {
		return err
	}
	var b strings.Builder
	if err := t.tmpl.Execute(&b, v); err != nil {
		return fmt.Errorf("--template: record %d: %v", t.n+1, strings.TrimPrefix(err.Error(), "template: "))
	}
	s := b.String()
	t.w.WriteString(s)
	if s != "" && !strings.HasSuffix(s, "\n") {
		t.w.WriteByte('\n')
	}
	t.n++
	return t.w.endRecord()
}

func (t *templateWriter) Close() error { return t.w.Flush() }
func (t *templateWriter) Abort() error { return t.w.flushWhole() }
func (t *templateWriter) Count() int   { return t.n }
