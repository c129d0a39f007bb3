package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"modernc.org/sqlite"
)

// The read-only pool opens the file with mode=ro and PRAGMA query_only,
// which stop writes to the database file but not to other files: ATTACH
// opens (and creates) any file with the connection's read-write flags,
// VACUUM INTO writes a full copy wherever it is told (it attaches its
// target), and temporary tables, PRAGMA query_only=0 or a BEGIN left open
// change the pooled connection for later calls. SQLite's authorizer sees
// every such action when a statement is prepared, including the statements
// VACUUM runs internally, so read-only calls run under readOnlyPolicy.

// errNoAuthorizer means the driver no longer offers an authorizer; read-only
// calls fail rather than run without one.
var errNoAuthorizer = errors.New("sqlite driver offers no authorizer")

// readOnlyConn returns a connection of db with readOnlyPolicy installed. It
// is installed on every call, not once per connection: the driver's
// connection hook (sqlite.RegisterConnectionHook) applies to every SQLite
// connection in the process, and installing costs too little to measure
// next to a small SELECT, so no connection of the pool can ever serve a
// read-only call without it. The caller closes the connection.
func readOnlyConn(ctx context.Context, db *sql.DB) (*sql.Conn, error) {
	c, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	if err := c.Raw(installReadOnly); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// notAllowed says why SQLite refused a statement in a read-only call; its
// own text, "not authorized", would suggest a missing grant.
func notAllowed(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) && se.Code()&0xff == sqliteAuth {
		return fmt.Errorf("statement not allowed in a read-only call: %w", err)
	}
	return err
}

// sqliteAuth is SQLITE_AUTH, the result of a statement the authorizer denied.
const sqliteAuth = 23

func installReadOnly(driverConn any) error {
	r, ok := driverConn.(sqlite.AuthorizerRegisterer)
	if !ok {
		return errNoAuthorizer
	}
	return r.RegisterAuthorizer(readOnlyPolicy)
}

// readOnlyPolicy allows reading and denies everything else, including
// actions a later SQLite may add. Denied statements fail to prepare with
// SQLITE_AUTH ("not authorized"), before they run.
func readOnlyPolicy(action sqlite.AuthorizerActionCode, arg1, arg2, _, _ string) sqlite.AuthorizerReturnCode {
	switch action {
	case sqlite.AuthSelect, sqlite.AuthRead, sqlite.AuthFunction, sqlite.AuthRecursive:
		return sqlite.AuthorizerOK
	case sqlite.AuthPragma:
		if pragmaReads(arg1, arg2) {
			return sqlite.AuthorizerOK
		}
	}
	return sqlite.AuthorizerDeny
}

// pragmaReads reports whether PRAGMA name, with value (empty when none),
// only reads. A value sets most pragmas, so it is allowed only where it names
// a table or an index. Pragmas that run work (optimize, wal_checkpoint) or
// show file paths (database_list) are not listed.
func pragmaReads(name, value string) bool {
	name = strings.ToLower(name)
	if _, ok := schemaPragmas[name]; ok {
		return true
	}
	_, ok := infoPragmas[name]
	return ok && value == ""
}

// schemaPragmas describe a table or index, which their value names.
var schemaPragmas = set("table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo",
	"foreign_key_list", "foreign_key_check", "integrity_check", "quick_check")

// infoPragmas read a setting or a count when given no value.
var infoPragmas = set("user_version", "schema_version", "application_id", "encoding", "page_size", "page_count",
	"freelist_count", "data_version", "collation_list", "function_list", "module_list", "pragma_list",
	"compile_options", "foreign_keys", "query_only")

func set(names ...string) map[string]struct{} {
	m := make(map[string]struct{}, len(names))
	for _, n := range names {
		m[n] = struct{}{}
	}
	return m
}
