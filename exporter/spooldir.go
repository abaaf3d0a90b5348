package exporter

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/ddm-agent/ddm/internal/smallfile"
)

// The files of a spool directory. ddm creates only these and removes only
// these (a segment once the server accepted all of it, or the size bound
// dropped it; a legacy segment once imported). It never removes a folder.
// The writer keeps two spools in the folder, one per lane (spoolLane):
// the batches' and the urgent points'.
const (
	spoolLockName = "ddm-spool.lock" // flock: one process per spool
	spoolHeadName = "ddm-spool.head" // where the unsent points start
	spoolSegPre   = "ddm-spool-"     // segments: ddm-spool-<first point index, 20 digits>.seg
	spoolSegSuf   = ".seg"

	urgentLockName = "ddm-urgent.lock" // the urgent lane's (WriteNow) spool
	urgentHeadName = "ddm-urgent.head"
	urgentSegPre   = "ddm-urgent-"
)

// spoolLane says which of the writer's spools a spool is, and so the names
// of its files.
type spoolLane int

const (
	laneBatch  spoolLane = iota // Write: batches, sent with the flush interval
	laneUrgent                  // WriteNow: events, sent at once by a sender of their own
)

func (l spoolLane) lockName() string {
	if l == laneUrgent {
		return urgentLockName
	}
	return spoolLockName
}

func (l spoolLane) headName() string {
	if l == laneUrgent {
		return urgentHeadName
	}
	return spoolHeadName
}

func (l spoolLane) segPrefix() string {
	if l == laneUrgent {
		return urgentSegPre
	}
	return spoolSegPre
}

// segFileName is the name of the lane's segment whose first point has
// index first.
func (l spoolLane) segFileName(first uint64) string {
	return fmt.Sprintf("%s%020d%s", l.segPrefix(), first, spoolSegSuf)
}

// parseSegFileName returns the first point index a segment's name holds,
// if name is a segment of the lane.
func (l spoolLane) parseSegFileName(name string) (uint64, bool) {
	s, ok := strings.CutPrefix(name, l.segPrefix())
	if !ok {
		return 0, false
	}
	s, ok = strings.CutSuffix(s, spoolSegSuf)
	if !ok || len(s) != 20 {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// segFileName and parseSegFileName name the batch lane's segments.
func segFileName(first uint64) string { return laneBatch.segFileName(first) }

func parseSegFileName(name string) (uint64, bool) { return laneBatch.parseSegFileName(name) }

// legacySegIndex recognises the segment files of the spool format before
// ddm's own (tidwall/wal: the first index in 20 digits, and the library's
// temporary .START and .END files). ddm imports them and then removes them.
func legacySegIndex(name string) (idx uint64, temp bool, ok bool) {
	base, suffix, _ := strings.Cut(name, ".")
	if len(base) != 20 {
		return 0, false, false
	}
	n, err := strconv.ParseUint(base, 10, 64)
	if err != nil {
		return 0, false, false
	}
	switch suffix {
	case "":
		return n, false, true
	case "START", "END", "TEMP":
		return n, true, true
	}
	return 0, false, false
}

// isSpoolFile reports whether name is one of the files a ddm spool holds.
func isSpoolFile(name string) bool {
	for _, l := range [...]spoolLane{laneBatch, laneUrgent} {
		if name == l.lockName() || name == l.headName() {
			return true
		}
		if _, ok := l.parseSegFileName(name); ok {
			return true
		}
	}
	_, _, ok := legacySegIndex(name)
	return ok
}

// ErrNotSpoolDir is wrapped by CheckSpoolDir's errors.
var ErrNotSpoolDir = errors.New("not a ddm spool directory")

// CheckSpoolDir checks that dir can be ddm's spool: a folder that does not
// exist yet (its nearest existing parent is a writable folder, so ddm can
// create it), or an existing writable folder that holds nothing but ddm's
// own spool files. It refuses anything else (a file, a device such as
// /dev/null, /proc, a folder with other content), because ddm removes the
// files of its spool as their points are delivered and must never touch
// another program's. `ddm run --check` calls it; so does NewInfluxWriter.
func CheckSpoolDir(dir string) error {
	if dir == "" {
		return fmt.Errorf("spool_dir is empty: %w", ErrNotSpoolDir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("spool_dir %s: %w", dir, err)
	}
	st, err := os.Stat(abs)
	if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
		return checkCreatable(abs)
	}
	if err != nil {
		return fmt.Errorf("spool_dir %s: %w", abs, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("spool_dir %s is not a directory (a %s): %w", abs, smallfile.Kind(st.Mode()), ErrNotSpoolDir)
	}
	if err := checkFS(abs); err != nil {
		return err
	}
	des, err := os.ReadDir(abs)
	if err != nil {
		return fmt.Errorf("spool_dir %s: %w", abs, err)
	}
	for _, de := range des {
		if !isSpoolFile(de.Name()) || !de.Type().IsRegular() {
			return fmt.Errorf("spool_dir %s holds %q, which ddm did not create: give ddm a folder of its own (empty, or used only as its spool): %w",
				abs, de.Name(), ErrNotSpoolDir)
		}
	}
	if err := unix.Access(abs, unix.W_OK|unix.X_OK); err != nil {
		return fmt.Errorf("spool_dir %s is not writable by this user: %w", abs, err)
	}
	return nil
}

// checkCreatable checks that the nearest existing parent of a missing dir is
// a writable folder.
func checkCreatable(abs string) error {
	p := abs
	for {
		parent := filepath.Dir(p)
		if parent == p {
			return fmt.Errorf("spool_dir %s: no existing parent folder: %w", abs, ErrNotSpoolDir)
		}
		p = parent
		st, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			continue
		}
		if err != nil {
			return fmt.Errorf("spool_dir %s: %w", abs, err)
		}
		if !st.IsDir() {
			return fmt.Errorf("spool_dir %s cannot be created: %s is not a directory (a %s): %w", abs, p, smallfile.Kind(st.Mode()), ErrNotSpoolDir)
		}
		if err := checkFS(p); err != nil {
			return err
		}
		if err := unix.Access(p, unix.W_OK|unix.X_OK); err != nil {
			return fmt.Errorf("spool_dir %s cannot be created: %s is not writable by this user: %w", abs, p, err)
		}
		return nil
	}
}

// checkFS refuses kernel pseudo-filesystems, where files are not storage.
func checkFS(p string) error {
	var sfs unix.Statfs_t
	if err := unix.Statfs(p, &sfs); err != nil {
		return nil // not knowable here; the writes will tell
	}
	switch sfs.Type {
	case unix.PROC_SUPER_MAGIC, unix.SYSFS_MAGIC, unix.CGROUP_SUPER_MAGIC, unix.CGROUP2_SUPER_MAGIC,
		unix.DEBUGFS_MAGIC, unix.SECURITYFS_MAGIC, unix.DEVPTS_SUPER_MAGIC:
		return fmt.Errorf("spool_dir %s is on a kernel pseudo-filesystem (%#x), not storage: %w", p, sfs.Type, ErrNotSpoolDir)
	}
	return nil
}
