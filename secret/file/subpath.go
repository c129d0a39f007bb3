package file

import (
	"bufio"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// dataDir is the symlink kubelet swaps to publish a new volume version.
const dataDir = "..data"

// warnSubPath logs when the file looks like a Kubernetes subPath mount, so
// kubelet's updates will never reach it: either the file is itself a mount
// point (how kubelet implements subPath: a bind mount of one file), or its
// directory is a kubelet volume (it has ..data) but the file is not a
// symlink into ..data. Plain files, and files that do not exist yet, are
// not judged.
func (d *Driver) warnSubPath() {
	if fileIsMountPoint(d.path) {
		d.log.Warn("subPath mount: will never update", "reason", "the file is a mount point",
			"hint", "mount the whole volume and reference the file inside it, so rotated values are seen")
		return
	}
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

// fileIsMountPoint reports whether path is listed as a mount point in
// /proc/self/mountinfo. Anywhere that file cannot be read, it says no.
func fileIsMountPoint(path string) bool {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return false
	}
	defer f.Close()
	return listedAsMountPoint(f, filepath.Clean(path))
}

// listedAsMountPoint scans mountinfo text (proc(5): the fifth field is the
// mount point, with space, tab, newline and backslash octal-escaped).
func listedAsMountPoint(mountinfo io.Reader, path string) bool {
	sc := bufio.NewScanner(mountinfo)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 && unescapeMount(fields[4]) == path {
			return true
		}
	}
	return false
}

var mountEscapes = strings.NewReplacer(`\040`, " ", `\011`, "\t", `\012`, "\n", `\134`, `\`)

func unescapeMount(s string) string { return mountEscapes.Replace(s) }
