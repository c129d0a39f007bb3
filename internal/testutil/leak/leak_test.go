package leak

import (
	"encoding/base64"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
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

// Transport sends the token and records every header and body byte, so a
// leak check over what it saw can actually fail.
func TestTransportSendsTokenAndRecords(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Echo", r.Header.Get("Authorization"))
		io.WriteString(w, "body-bytes")
	}))
	defer srv.Close()
	seen := &Buffer{}
	resp, err := (&http.Client{Transport: Transport{Token: "tok-123", Seen: seen}}).Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if got := seen.String(); !strings.Contains(got, "X-Echo: Bearer tok-123") || !strings.Contains(got, "body-bytes") {
		t.Errorf("recorded %q", got)
	}
}
