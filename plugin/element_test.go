package plugin

import (
	"bytes"
	"strings"
	"testing"
)

// Text split into many pieces by comments and CDATA sections is joined in
// linear time; it used to be re-copied for every piece.
func TestParseTreeSplitText(t *testing.T) {
	const pieces = 100000
	var doc bytes.Buffer
	doc.WriteString("<queries><sql>")
	for i := range pieces {
		if i%2 == 0 {
			doc.WriteString("x<!---->")
		} else {
			doc.WriteString("<![CDATA[y]]>")
		}
	}
	doc.WriteString("</sql></queries>")
	root, err := parseTree(doc.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	got := root.Children[0].Text
	if len(got) != pieces || !strings.HasPrefix(got, "xyxy") {
		t.Fatalf("joined text is %d bytes (%.20q), want %d", len(got), got, pieces)
	}
}

func TestParseTreeTextCap(t *testing.T) {
	doc := "<plugin><x>" + strings.Repeat("a<!---->", 1000) + "</x><y>" + strings.Repeat("b", MaxText) + "</y></plugin>"
	_, err := parseTree([]byte(doc))
	if err == nil || !strings.Contains(err.Error(), "bytes of text") {
		t.Fatalf("a document with more than %d bytes of text: %v", MaxText, err)
	}
}

// BenchmarkParseTreeSplitText parses 1 MiB of text split by comments.
func BenchmarkParseTreeSplitText(b *testing.B) {
	doc := []byte("<queries><sql>" + strings.Repeat("x<!---->", 1<<17) + "</sql></queries>")
	b.SetBytes(int64(len(doc)))
	for b.Loop() {
		if _, err := parseTree(doc); err != nil {
			b.Fatal(err)
		}
	}
}
