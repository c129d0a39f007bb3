package file

import (
	"strings"
	"testing"
)

// A kubelet subPath mount shows up in mountinfo as a bind mount of the file.
func TestListedAsMountPoint(t *testing.T) {
	info := `22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
1456 1440 0:52 /..2026_11_26_01_02_03.1/password /run/secrets/db/password ro,relatime - tmpfs tmpfs rw
1457 1440 0:53 / /run/secrets/with\040space/token ro,relatime - tmpfs tmpfs rw
`
	cases := map[string]bool{
		"/run/secrets/db/password":       true,
		"/run/secrets/with space/token":  true,
		"/run/secrets/db":                false,
		"/run/secrets/db/password.extra": false,
	}
	for path, want := range cases {
		if got := listedAsMountPoint(strings.NewReader(info), path); got != want {
			t.Errorf("listedAsMountPoint(%q) = %v, want %v", path, got, want)
		}
	}
}
