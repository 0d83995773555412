// Package oraclesql runs PowerQuery SQL, written for PowerSchool's Oracle,
// on SQLite: Translate rewrites the constructs SQLite spells differently,
// and the package registers Oracle's common functions (DECODE, TO_CHAR,
// TO_DATE, ...) with the sqlite driver for every connection opened after
// the program starts.
//
// Supported is what PowerQueries commonly use; everything else is refused
// with an *UnsupportedError naming the construct, so a query never silently
// means something else than it does on PowerSchool.
package oraclesql

import (
	"fmt"
	"regexp"
	"strings"
)

// UnsupportedError names an Oracle construct the emulator cannot run.
type UnsupportedError struct {
	Construct string
	Hint      string
}

func (e *UnsupportedError) Error() string {
	msg := "query not supported by the emulator: " + e.Construct
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	return msg
}

// Statement is translated SQL whose named binds (:name) may still be
// expanded for array arguments.
type Statement struct {
	pieces []piece
	// Binds lists the bind names the SQL uses, lower-cased, each once, in
	// order of first use.
	Binds []string
}

type piece struct {
	text string
	bind string // set for a bind placeholder; text is then empty
}

// SQL renders the statement with every bind as a single :name placeholder.
func (s *Statement) SQL() string { return s.Expand(nil) }

// Expand renders the statement, replacing each bind whose name is in arrays
// with n placeholders :name_0, ..., :name_{n-1} (or NULL when n is 0, which
// matches nothing in an IN list), so `x in (:ids)` takes a list.
func (s *Statement) Expand(arrays map[string]int) string {
	var b strings.Builder
	for _, p := range s.pieces {
		if p.bind == "" {
			b.WriteString(p.text)
			continue
		}
		n, isArray := arrays[p.bind]
		switch {
		case !isArray:
			b.WriteString(":" + p.bind)
		case n == 0:
			b.WriteString("NULL")
		default:
			for i := 0; i < n; i++ {
				if i > 0 {
					b.WriteString(", ")
				}
				fmt.Fprintf(&b, ":%s_%d", p.bind, i)
			}
		}
	}
	return b.String()
}

// ArrayBindName is the name of the i-th element placeholder of an expanded
// array bind.
func ArrayBindName(name string, i int) string { return fmt.Sprintf("%s_%d", name, i) }

var (
	restrictedTable = regexp.MustCompile(`(?is)<@restricted_table\b[^>]*/>`)
)

// rewrites are Oracle identifiers spelled differently in SQLite; the
// replacement is used when the identifier is not followed by "(" (values)
// or when it is (functions), as marked.
var valueRewrites = map[string]string{
	"SYSDATE":      "datetime('now','localtime')",
	"SYSTIMESTAMP": "datetime('now','localtime')",
	"CURRENT_DATE": "date('now','localtime')",
}

var functionRewrites = map[string]string{
	"NVL": "IFNULL",
}

var unsupportedIdents = map[string]string{
	"ROWNUM":          "use page and pagesize to limit rows",
	"ROWID":           "select the table's DCID instead",
	"LEVEL":           "hierarchical queries are not available",
	"PRIOR":           "hierarchical queries are not available",
	"CONNECT_BY_ROOT": "hierarchical queries are not available",
	"LISTAGG":         "aggregate with GROUP BY in the client, or use a flat query",
	"PIVOT":           "write the pivot as CASE expressions",
	"UNPIVOT":         "write the unpivot as a UNION ALL",
}

// notRead are SQLite statements that are not queries; a PowerQuery may not
// contain them outside string literals and quoted identifiers.
var notRead = map[string]bool{"ATTACH": true, "DETACH": true, "PRAGMA": true, "VACUUM": true}

// Translate rewrites Oracle SQL for SQLite. Binds keep their names,
// lower-cased (Oracle binds are case-insensitive; SQLite's are not).
func Translate(src string) (*Statement, error) {
	src = restrictedTable.ReplaceAllString(src, "1=1")
	toks, err := tokenize(src)
	if err != nil {
		return nil, err
	}
	st := &Statement{}
	seen := map[string]bool{}
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			st.pieces = append(st.pieces, piece{text: text.String()})
			text.Reset()
		}
	}
	// prev and next return the nearest significant tokens around i.
	prev := func(i int) *token {
		for j := i - 1; j >= 0; j-- {
			if toks[j].kind != tSpace {
				return &toks[j]
			}
		}
		return nil
	}
	next := func(i int) *token {
		for j := i + 1; j < len(toks); j++ {
			if toks[j].kind != tSpace {
				return &toks[j]
			}
		}
		return nil
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch t.kind {
		case tBind:
			name := strings.ToLower(t.text[1:])
			flush()
			st.pieces = append(st.pieces, piece{bind: name})
			if !seen[name] {
				seen[name] = true
				st.Binds = append(st.Binds, name)
			}
			continue
		case tPunct:
			if t.text == ";" && next(i) != nil {
				return nil, &UnsupportedError{Construct: "more than one statement", Hint: "a PowerQuery is one SELECT; remove the \";\" and what follows it"}
			}
			if n := next(i); (t.text == "~" && n != nil && (n.text == "(" || n.text == "[")) || (t.text == "<" && n != nil && n.text == "@") {
				return nil, &UnsupportedError{Construct: "a PS-HTML tag in the SQL", Hint: "PowerSchool allows PS-HTML only in an arg's default"}
			}
			if t.text == "(" {
				if n := next(i); n != nil && n.text == "+" {
					return nil, &UnsupportedError{Construct: "the (+) outer join", Hint: "write LEFT JOIN ... ON instead"}
				}
			}
		case tWord:
			up := strings.ToUpper(t.text)
			n := next(i)
			isCall := n != nil && n.text == "("
			if notRead[up] {
				return nil, &UnsupportedError{Construct: up, Hint: "a PowerQuery only reads; it cannot attach databases, run pragmas or vacuum"}
			}
			if hint, bad := unsupportedIdents[up]; bad {
				return nil, &UnsupportedError{Construct: up, Hint: hint}
			}
			if up == "CONNECT" && n != nil && strings.EqualFold(n.text, "BY") {
				return nil, &UnsupportedError{Construct: "CONNECT BY", Hint: "hierarchical queries are not available"}
			}
			if r, ok := valueRewrites[up]; ok && !isCall {
				text.WriteString(r)
				continue
			}
			if r, ok := functionRewrites[up]; ok && isCall {
				text.WriteString(r)
				continue
			}
			if up == "MINUS" {
				text.WriteString("EXCEPT")
				continue
			}
			if up == "DUAL" {
				if p := prev(i); p != nil && strings.EqualFold(p.text, "FROM") {
					text.WriteString("(SELECT 'X' AS DUMMY)")
					continue
				}
			}
			// DATE '2024-01-31' and TIMESTAMP '...' literals: SQLite keeps
			// dates as text, so the literal alone is the value.
			if (up == "DATE" || up == "TIMESTAMP") && n != nil && n.kind == tString {
				continue
			}
		}
		text.WriteString(t.text)
	}
	flush()
	return st, nil
}

type tokenKind int

const (
	tSpace  tokenKind = iota // white space and comments
	tWord                    // identifiers and keywords
	tNumber                  // numeric literals
	tString                  // '...' literals
	tQuoted                  // "..." identifiers
	tBind                    // :name
	tPunct                   // anything else, one character at a time
)

type token struct {
	kind tokenKind
	text string
}

func isWordStart(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= 0x80
}

func isWordPart(c byte) bool {
	return isWordStart(c) || c >= '0' && c <= '9' || c == '$' || c == '#'
}

func tokenize(s string) ([]token, error) {
	var out []token
	for i := 0; i < len(s); {
		c := s[i]
		start := i
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			for i < len(s) && strings.IndexByte(" \t\n\r\f", s[i]) >= 0 {
				i++
			}
			out = append(out, token{tSpace, s[start:i]})
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			end := strings.IndexByte(s[i:], '\n')
			if end < 0 {
				i = len(s)
			} else {
				i += end
			}
			out = append(out, token{tSpace, " "})
		case c == '/' && i+1 < len(s) && s[i+1] == '*':
			end := strings.Index(s[i+2:], "*/")
			if end < 0 {
				return nil, fmt.Errorf("the SQL has an unterminated /* comment")
			}
			i += end + 4
			out = append(out, token{tSpace, " "})
		case c == '\'' || c == '"':
			i++
			for {
				j := strings.IndexByte(s[i:], c)
				if j < 0 {
					what := "string literal"
					if c == '"' {
						what = "quoted identifier"
					}
					return nil, fmt.Errorf("the SQL has an unterminated %s starting at byte %d", what, start)
				}
				i += j + 1
				if i < len(s) && s[i] == c { // doubled quote is an escaped quote
					i++
					continue
				}
				break
			}
			kind := tString
			if c == '"' {
				kind = tQuoted
			}
			out = append(out, token{kind, s[start:i]})
		case c == ':' && i+1 < len(s) && isWordStart(s[i+1]):
			i++
			for i < len(s) && isWordPart(s[i]) {
				i++
			}
			out = append(out, token{tBind, s[start:i]})
		case isWordStart(c):
			for i < len(s) && isWordPart(s[i]) {
				i++
			}
			out = append(out, token{tWord, s[start:i]})
		case c >= '0' && c <= '9':
			for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
				i++
			}
			out = append(out, token{tNumber, s[start:i]})
		default:
			i++
			out = append(out, token{tPunct, s[start:i]})
		}
	}
	return out, nil
}
