package source

import "errors"

// ErrClosed is returned by calls on a closed source.
var ErrClosed = errors.New("source closed")
