package file

import (
	"errors"
	"io/fs"
	"strings"
	"syscall"
	"testing"

	"github.com/hushmcp/hush/secret/driver"
)

// The process may run as root, where file permissions cannot be provoked,
// so the mapping of OS errors to codes is checked directly.
func TestClassify(t *testing.T) {
	cases := []struct {
		errno syscall.Errno
		code  error
	}{
		{syscall.ENOENT, driver.ErrNotFound},
		{syscall.ENOTDIR, driver.ErrNotFound},
		{syscall.EACCES, driver.ErrPermission},
		{syscall.EPERM, driver.ErrPermission},
		{syscall.ELOOP, driver.ErrInvalid},
		{syscall.ENAMETOOLONG, driver.ErrInvalid},
		{syscall.EIO, driver.ErrUnavailable},
	}
	for _, c := range cases {
		err := classify("/run/token", &fs.PathError{Op: "open", Path: "/run/token", Err: c.errno})
		if !errors.Is(err, c.code) || !strings.Contains(err.Error(), `"/run/token"`) {
			t.Errorf("%v: got %v; want %v naming the path", c.errno, err, c.code)
		}
		if strings.Count(err.Error(), "/run/token") != 1 {
			t.Errorf("%v: %q names the path more than once", c.errno, err)
		}
	}
}
