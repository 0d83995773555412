package plugin

import (
	"strings"
	"testing"
)

func TestValidateFullFile(t *testing.T) {
	p, err := Parse(readTestdata(t, "full.plugin.xml"))
	if err != nil {
		t.Fatal(err)
	}
	probs := p.Validate()
	if len(probs) != 1 || probs[0].Severity != SeverityWarning || probs[0].Line != 50 || probs[0].Column != 3 ||
		!strings.Contains(probs[0].Message, "vendor_extension") {
		t.Errorf("problems = %v, want one warning about <vendor_extension> at 50:3", probs)
	}
	if HasErrors(probs) {
		t.Error("HasErrors = true for warnings only")
	}
}
