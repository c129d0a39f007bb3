package sqlite

import (
	"errors"

	"modernc.org/sqlite"

	"github.com/hushmcp/hush/secret/driver"
)

// codedError keeps SQLite's error and adds a driver error code, so that
// errors.Is works and State can name an error class.
type codedError struct {
	err  error
	code error
}

func (e *codedError) Error() string   { return e.err.Error() }
func (e *codedError) Unwrap() []error { return []error{e.err, e.code} }

// withCode attaches the driver code matching SQLite's primary result code,
// if there is one.
func withCode(err error) error {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	var code error
	switch se.Code() & 0xff {
	case 14: // SQLITE_CANTOPEN
		code = driver.ErrNotFound
	case 3, 8, 23: // SQLITE_PERM, SQLITE_READONLY, SQLITE_AUTH
		code = driver.ErrPermission
	case 26: // SQLITE_NOTADB
		code = driver.ErrInvalid
	case 5, 6: // SQLITE_BUSY, SQLITE_LOCKED
		code = driver.ErrUnavailable
	default:
		return err
	}
	return &codedError{err: err, code: code}
}
