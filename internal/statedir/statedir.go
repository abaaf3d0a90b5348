// Package statedir chooses the folder where ddm keeps its state (the
// InfluxDB spool and the saved alarm state) when none is given, the way a
// user expects whoever runs it:
//
//  1. $STATE_DIRECTORY, set by systemd for a unit with StateDirectory=
//     (the first entry when it lists several);
//  2. /var/lib/ddm for root, when it is usable (it exists and is writable,
//     or it can be created);
//  3. otherwise a folder of the user's own: $XDG_STATE_HOME/ddm (an
//     absolute path, per the XDG base directory specification) or
//     ~/.local/state/ddm.
//
// A user who is not root never gets /var/lib/ddm: it belongs to the
// service, and ddm run would fail on it with "permission denied".
package statedir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// System is the folder of the system service.
const System = "/var/lib/ddm"

// Env is what the choice depends on.
type Env struct {
	Getenv func(string) string
	EUID   int
	// Usable reports whether a folder can hold the state: it exists and
	// this user may write it, or it can be created.
	Usable func(dir string) bool
}

// Process is the running process's environment.
func Process() Env {
	return Env{Getenv: os.Getenv, EUID: os.Geteuid(), Usable: Usable}
}

// ErrNone is returned when no folder can be chosen (no $HOME).
var ErrNone = errors.New("no state folder")

// Default returns the state folder and where the choice came from (for
// messages: "$STATE_DIRECTORY", "root", "$XDG_STATE_HOME", "$HOME").
func Default(e Env) (dir, from string, err error) {
	if d := e.Getenv("STATE_DIRECTORY"); d != "" {
		if first := filepath.SplitList(d)[0]; first != "" {
			return first, "$STATE_DIRECTORY", nil
		}
	}
	if e.EUID == 0 && e.Usable(System) {
		return System, "root", nil
	}
	if x := e.Getenv("XDG_STATE_HOME"); filepath.IsAbs(x) {
		return filepath.Join(x, "ddm"), "$XDG_STATE_HOME", nil
	}
	if h := e.Getenv("HOME"); filepath.IsAbs(h) {
		return filepath.Join(h, ".local", "state", "ddm"), "$HOME", nil
	}
	return "", "", fmt.Errorf("%w: no $STATE_DIRECTORY, $XDG_STATE_HOME or $HOME; name one with --state-dir DIR", ErrNone)
}

// Usable reports whether dir is a writable folder, or missing with a
// writable folder as its nearest existing parent (ddm creates it).
func Usable(dir string) bool {
	for p := filepath.Clean(dir); ; p = filepath.Dir(p) {
		st, err := os.Stat(p)
		if err == nil {
			return st.IsDir() && unix.Access(p, unix.W_OK|unix.X_OK) == nil
		}
		if !errors.Is(err, os.ErrNotExist) || p == filepath.Dir(p) {
			return false
		}
	}
}
