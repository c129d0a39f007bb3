package postgres

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// Tool errors promise never to repeat an argument's value, but pgx quotes
// the Go value of an argument it cannot encode: "failed to encode args[1]:
// unable to encode <the value> into binary format for int2 (OID 21): ...".
// hideArgs replaces such an error with one that names the parameter only.
//
// Server errors keep their text, including input they quote (`invalid
// input syntax for type integer: "abc"`): it is a database message about
// the statement, which the model needs to correct its call.

// encodeArgsPrefix starts the error pgx returns for an argument it cannot
// encode (pgx.ExtendedQueryBuilder.Build); the number is the argument's
// index.
const encodeArgsPrefix = "failed to encode args["

// paramError is an argument pgx could not encode for its parameter. It
// holds the position only: pgx's text holds the value.
type paramError struct{ pos int } // $pos; 0 if pgx did not say

func (e *paramError) Error() string {
	if e.pos == 0 {
		return "a parameter cannot be converted to the type the statement expects"
	}
	return fmt.Sprintf("parameter $%d: cannot be converted to the type the statement expects", e.pos)
}

// hideArgs returns err, or a paramError in its place when err is pgx's
// failure to encode an argument. A server error is never one, whatever it
// quotes.
func hideArgs(err error) error {
	var pgErr *pgconn.PgError
	if err == nil || errors.As(err, &pgErr) {
		return err
	}
	if pos, ok := encodeFailure(err); ok {
		return &paramError{pos: pos}
	}
	return err
}

// encodeFailure finds pgx's encoding error in err's chain and returns the
// argument's position ($N), or 0 when the index cannot be read.
func encodeFailure(err error) (int, bool) {
	for e := err; e != nil; e = errors.Unwrap(e) {
		rest, ok := strings.CutPrefix(e.Error(), encodeArgsPrefix)
		if !ok {
			continue
		}
		digits, _, _ := strings.Cut(rest, "]")
		if i, err := strconv.Atoi(digits); err == nil && i >= 0 {
			return i + 1, true
		}
		return 0, true
	}
	return 0, false
}
