package leak

import (
	"encoding/base64"
	"testing"
)

func TestFindEachForm(t *testing.T) {
	const s = "canary a/b+c&d<e>\"f-NOT-REAL"
	for name, form := range Forms(s) {
		if got := Find("prefix "+form+" suffix", s); got == "" {
			t.Errorf("%s form not found", name)
		}
	}
	if got := Find("nothing here", s); got != "" {
		t.Errorf("Find reported %s in clean text", got)
	}
	if got := Find(base64.StdEncoding.EncodeToString([]byte(s)), s); got != "base64" && got != "base64-raw" {
		t.Errorf("base64 form reported as %q", got)
	}
}
