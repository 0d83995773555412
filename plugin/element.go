package plugin

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Pos is a position in an XML document: 1-based line and column of the
// element's opening '<'. The zero Pos means "not from a parsed document".
type Pos struct {
	Line, Column int
}

func (p Pos) String() string { return fmt.Sprintf("%d:%d", p.Line, p.Column) }

// Element is a generic XML element. Parse keeps elements it does not
// model as Elements so that Marshal can write them back unchanged.
type Element struct {
	Name     string // local name
	Space    string // namespace URI, as resolved by the parser
	Attrs    []xml.Attr
	Children []*Element
	Text     string // concatenated character data directly inside the element
	Pos      Pos
}

// Attr returns the value of the attribute with the given local name.
func (e *Element) Attr(name string) (string, bool) {
	for _, a := range e.Attrs {
		if a.Name.Local == name && a.Name.Space == "" {
			return a.Value, true
		}
	}
	return "", false
}

func (e *Element) attr(name string) string {
	v, _ := e.Attr(name)
	return v
}

// SyntaxError is malformed XML, with the position where the parser stopped.
type SyntaxError struct {
	Line, Column int
	Msg          string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
}

// Limits that keep a hostile document from exhausting memory, stack or
// time.
const (
	maxDepth    = 64
	maxElements = 200000
	// MaxText caps the character data of one plugin.xml or named-query
	// file: far more than any real SQL or description needs.
	MaxText = 4 << 20
)

// parseTree reads one XML document into an Element tree, recording the
// position of each element. It refuses DTDs (no entity expansion tricks),
// a missing root, and content after the root.
func parseTree(data []byte) (*Element, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	var (
		root  *Element
		stack []*Element
		text  []*strings.Builder // text of each open element, parallel to stack
		count int
		total int // bytes of character data so far
	)
	fail := func(line, col int, format string, args ...any) error {
		return &SyntaxError{Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
	}
	for {
		line, col := d.InputPos()
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			l, c := d.InputPos()
			msg := err.Error()
			var se *xml.SyntaxError
			if errors.As(err, &se) {
				msg = se.Msg
				if se.Line > l {
					l = se.Line
				}
			}
			return nil, fail(l, c, "malformed XML: %s", msg)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if root != nil && len(stack) == 0 {
				return nil, fail(line, col, "a second root element <%s> after the document's root; an XML file has exactly one root", t.Name.Local)
			}
			if len(stack) >= maxDepth {
				return nil, fail(line, col, "elements nested more than %d deep", maxDepth)
			}
			count++
			if count > maxElements {
				return nil, fail(line, col, "more than %d elements", maxElements)
			}
			e := &Element{Name: t.Name.Local, Space: t.Name.Space, Attrs: t.Copy().Attr, Pos: Pos{line, col}}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				parent.Children = append(parent.Children, e)
			} else {
				root = e
			}
			stack = append(stack, e)
			text = append(text, &strings.Builder{})
		case xml.EndElement:
			// Indentation between child elements is not content.
			e := stack[len(stack)-1]
			if b := text[len(text)-1]; strings.TrimSpace(b.String()) != "" {
				e.Text = b.String()
			}
			stack, text = stack[:len(stack)-1], text[:len(text)-1]
		case xml.CharData:
			if len(stack) > 0 {
				// Text split by comments or CDATA sections arrives in
				// pieces; a builder keeps joining them linear.
				total += len(t)
				if total > MaxText {
					return nil, fail(line, col, "more than %d bytes of text; a plugin file this large is not a plugin, so split it or remove the bulk", MaxText)
				}
				text[len(text)-1].Write(t)
			} else if len(bytes.TrimSpace(t)) > 0 {
				return nil, fail(line, col, "text outside the root element")
			}
		case xml.Directive:
			if bytes.HasPrefix(bytes.TrimSpace(t), []byte("DOCTYPE")) {
				return nil, fail(line, col, "DOCTYPE declarations are not allowed in plugin files")
			}
		}
	}
	if root == nil {
		return nil, fail(1, 1, "no root element: the document is empty")
	}
	return root, nil
}

// encodeTree writes e with two-space indentation.
func encodeTree(w io.Writer, e *Element) error {
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := encodeElement(enc, e); err != nil {
		return err
	}
	return enc.Close()
}

func encodeElement(enc *xml.Encoder, e *Element) error {
	start := xml.StartElement{Name: xml.Name{Local: e.Name}}
	for _, a := range e.Attrs {
		start.Attr = append(start.Attr, xml.Attr{Name: xml.Name{Local: flatName(a.Name)}, Value: a.Value})
	}
	if err := enc.EncodeToken(start); err != nil {
		return err
	}
	if strings.TrimSpace(e.Text) != "" && len(e.Children) == 0 {
		if err := enc.EncodeToken(xml.CharData(e.Text)); err != nil {
			return err
		}
	}
	for _, c := range e.Children {
		if err := encodeElement(enc, c); err != nil {
			return err
		}
	}
	return enc.EncodeToken(start.End())
}

// xsiNS is the XML Schema instance namespace (xsi:schemaLocation).
const xsiNS = "http://www.w3.org/2001/XMLSchema-instance"

// flatName turns a resolved attribute name back into prefix:local form,
// so the encoder writes it as written rather than inventing prefixes.
func flatName(n xml.Name) string {
	switch n.Space {
	case "":
		return n.Local
	case "xmlns":
		return "xmlns:" + n.Local
	case xsiNS:
		return "xsi:" + n.Local
	default:
		return n.Local
	}
}
