package file

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// dataDir is the symlink kubelet swaps to publish a new volume version.
const dataDir = "..data"

// warnSubPath logs when the file looks like a Kubernetes subPath mount: its
// directory is a kubelet volume (it has ..data) but the file is not a
// symlink into ..data, so kubelet's updates will never reach it. Plain files
// outside kubelet volumes, and files that do not exist yet, are not judged.
func (d *Driver) warnSubPath() {
	if _, err := os.Lstat(filepath.Join(d.dir, dataDir)); err != nil {
		return
	}
	fi, err := os.Lstat(d.path)
	if err != nil || d.linksIntoData(fi) {
		return
	}
	d.log.Warn("subPath mount: will never update",
		"hint", "mount the whole volume and reference the file inside it, so rotated values are seen")
}

// linksIntoData reports whether the file is a symlink whose target lies
// under the directory's ..data, as kubelet's visible names are.
func (d *Driver) linksIntoData(fi fs.FileInfo) bool {
	if fi.Mode()&fs.ModeSymlink == 0 {
		return false
	}
	target, err := os.Readlink(d.path)
	if err != nil {
		return false
	}
	if !filepath.IsAbs(target) {
		target = filepath.Join(d.dir, target)
	}
	data := filepath.Join(d.dir, dataDir) + string(filepath.Separator)
	return strings.HasPrefix(filepath.Clean(target), data)
}
