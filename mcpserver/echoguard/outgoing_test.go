package echoguard

import "testing"

func TestRedactJSONSecretAsNumber(t *testing.T) {
	// A numeric secret matched in JSON text leaves a bare placeholder, which
	// is not JSON; the value-by-value path must take over.
	r := newRedactor("7319046528")
	got := RedactJSON(r, map[string]any{"pin": 7319046528, "note": "pin 7319046528", "n": 5})
	want := `{"n":5,"note":"pin [REDACTED]","pin":"[REDACTED]"}`
	if string(got) != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
