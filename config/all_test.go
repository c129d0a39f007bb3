package config

import (
	"os"
	"strings"
	"testing"
)

// canary is a fake credential. It appears in test configs where a careless
// loader would echo it, and must never appear in any message.
const canary = "canary-pw-7f3a9c-NOT-REAL"

func TestEveryMistakeReportedAtOnce(t *testing.T) {
	const f = "testdata/mistakes.yaml"
	_, err := Load(f, testKinds)
	if err == nil {
		t.Fatal("Load succeeded, want errors")
	}
	got := splitErrors(t, err)
	assertNoCanary(t, got)
	pwHint := "contains a literal password; use ${secret:NAME} instead, e.g. postgres://app:${secret:DB_PASSWORD}@host/db, " +
		"or make the whole value ${secret:DATABASE_URL}"
	want := []string{
		"4:9: server.name must not be empty",
		`5:14: server.transport: unknown value "carrier-pigeon" (valid: stdio, http)`,
		"6:11: server.listen: want host:port, e.g. 127.0.0.1:8080",
		`7:17: server.call_timeout: invalid duration "5 seconds" (want e.g. 500ms, 30s, 2m)`,
		"8:19: server.shutdown_grace: want a duration such as 30s, got integer",
		"9:14: server.stateless: want true or false, got string",
		"10:19: server.max_body_bytes: must be at least 1",
		`11:15: server.auth_token: secret "MISSING_TOKEN" is not declared under secrets:`,
		`12:3: server: unknown key "colour" ` + validServer,
		"17:5: secrets.DB_PASSWORD: min_length is greater than max_length",
		"19:3: secrets: name (unprintable) must match [A-Za-z_][A-Za-z0-9_]*",
		"22:11: secrets.TLS_CA.from: malformed reference (want scheme://...) (e.g. env://NAME or file:///path)",
		"24:13: secrets.TLS_CA.format: unknown value (valid: url, pem-public-key, base64, json)",
		"25:3: secrets.JSON_CREDS.from is required",
		"27:5: secrets.JSON_CREDS: strict needs fields (the only fields allowed)",
		`28:3: secrets: duplicate key "DB_PASSWORD" (first at line 15)`,
		"29:32: secrets.PASTED: unknown key (not shown) " + validSecret,
		`34:11: sources.main.kind: unknown value "oracle" (valid: http, nats, postgres, redis, sqlite, webhook)`,
		"35:10: sources.main.dsn: " + pwHint,
		"36:3: sources.cache.dsn is required",
		"38:16: sources.cache.max_conns: want an integer, got string",
		"44:10: sources.kv.dsn: " + pwHint,
		`45:3: sources: duplicate key "main" (first at line 33)`,
		`51:11: tools.find.kind: unknown value "graphql" (valid: http, notify, publish, redis, sql)`,
		`52:13: tools.find.source: unknown source "nowhere" (declared: cache, keyed, kv, main)`,
		`56:14: tools.find.timeout: invalid duration "soon" (want e.g. 500ms, 30s, 2m)`,
		"57:3: tools.count.description is required",
		`59:16: tools.count.statement: the statement has 2 placeholders but 1 parameter declared`,
		`67:25: tools.params.parameters[0].type: unknown value "text" (valid: string, integer, number, boolean)`,
		`68:16: tools.params.parameters[1]: duplicate parameter name "a" (first at line 67)`,
		"68:43: tools.params.parameters[1].default: want an integer, got string",
		"69:43: tools.params.parameters[2].enum[1]: want a number, got string",
		`69:47: tools.params.parameters[2]: unknown key "nullable" ` + validParam,
		"70:56: tools.params.parameters[3]: default must be one of \"x\", \"y\"",
		"70:59: tools.params.parameters[3]: min is greater than max",
		"71:16: tools.params.read_only: want true or false, got string",
		"72:3: tools: name (unprintable) must match [A-Za-z0-9_-]{1,64}",
		`76:3: tools: name "health_check" is reserved for the built-in tool`,
		"82:18: tools.leaky.description: ${secret:...} is only allowed in credential templates (such as a source's dsn) and server.auth_token",
	}
	for i := range want {
		want[i] = f + ":" + want[i]
	}
	diffLists(t, "errors", got, want)
}

func TestCanaryNeverInErrors(t *testing.T) {
	docs := [][]byte{
		y("secrets:", "  A: {from: "+canary+"}"),
		y("secrets:", "  A: {from: \"vault://app:"+canary+"@vault/x\"}"),
		y("secrets:", "  A: {from: \"env://A\", prefix: ["+canary+"]}"),
		y("secrets:", "  A: "+canary),
		y("secrets:", "  A: {from: env://A, format: "+canary+"}"),
		y("secrets:", "  A: {from: env://A, "+canary+"}"),
		y("secrets:", "  A: {from: env://A, "+canary+": x, "+canary+": y}"),
		y("secrets:", "  A: {from: env://A, required: "+canary+", min_length: "+canary+"}"),
		y("secrets:", "  A: {from: env://A, format: url, schemes: [\""+canary+" x\"]}"),
		y("secrets:", "  A:", "    from: env://A", "    "+canary),
		y("secrets:", "  A: {from: \""+canary+"}"),
		y("secrets:", "  A: {from: \""+canary+"\\q\"}"),
		y("sources:", "  db: {kind: postgres, dsn: \"postgres://u:"+canary+"@h/db\"}"),
		y("sources:", "  db: {kind: postgres, dsn: \"postgres://u:"+canary+"@h/${secret:X}\"}"),
		y("sources:", "  db: {kind: postgres, dsn: \"host=h password="+canary+"\"}"),
		y("sources:", "  db: {kind: postgres, dsn: \"host=h password='"+canary+"'\"}"),
		y("sources:", "  db: {kind: postgres, dsn: \"postgres://h/db?sslpassword="+canary+"\"}"),
		y("sources:", "  db: {kind: postgres, dsn: \"${secret:"+canary+"\"}"),
		y("sources:", "  db: {kind: postgres, dsn: [\""+canary+"\"]}"),
		y("server: {transport: http, auth_token: " + canary + "}"),
		y("server: {transport: http, auth_token: \"Bearer " + canary + "\"}"),
		y("server: {transport: http, auth_token: \"${secret:" + canary + "}\"}"),
		y("server: {transport: http, auth_token: \"${secret:T}" + canary + "\"}"),
	}
	for i, data := range docs {
		_, err := Parse("t.yaml", data, testKinds)
		if err == nil {
			t.Errorf("doc %d: Parse succeeded, want an error", i)
			continue
		}
		assertNoCanary(t, splitErrors(t, err))
	}
}

// assertNoCanary fails for any message holding the canary or a piece of it.
// It reports positions only, so a failure does not print the canary.
func assertNoCanary(t *testing.T, msgs []string) {
	t.Helper()
	for _, m := range msgs {
		for _, piece := range []string{canary, "7f3a9c", "NOT-REAL", "not-real"} {
			if strings.Contains(m, piece) {
				pos, _, _ := strings.Cut(m, ": ")
				t.Errorf("message at %s contains the canary", pos)
			}
		}
	}
}

func TestMistakesFileHasCanaries(t *testing.T) {
	data, err := os.ReadFile("testdata/mistakes.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// Guards the canary test above: it proves nothing if the input lost them.
	if n := strings.Count(string(data), canary); n < 4 {
		t.Fatalf("testdata/mistakes.yaml holds %d canaries, want at least 4", n)
	}
}
