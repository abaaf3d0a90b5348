package statedir

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestDefault(t *testing.T) {
	usable := func(ok bool) func(string) bool { return func(string) bool { return ok } }
	cases := []struct {
		name     string
		env      map[string]string
		euid     int
		sysOK    bool
		want     string
		wantFrom string
	}{
		{"systemd service", map[string]string{"STATE_DIRECTORY": "/var/lib/ddm", "HOME": "/home/u"}, 998, false, "/var/lib/ddm", "$STATE_DIRECTORY"},
		{"systemd, several folders", map[string]string{"STATE_DIRECTORY": "/var/lib/ddm:/var/lib/other"}, 0, true, "/var/lib/ddm", "$STATE_DIRECTORY"},
		{"root", map[string]string{"HOME": "/root"}, 0, true, System, "root"},
		{"root, /var/lib read-only", map[string]string{"HOME": "/root"}, 0, false, "/root/.local/state/ddm", "$HOME"},
		{"user", map[string]string{"HOME": "/home/u"}, 1000, true, "/home/u/.local/state/ddm", "$HOME"},
		{"user with XDG_STATE_HOME", map[string]string{"HOME": "/home/u", "XDG_STATE_HOME": "/data/state"}, 1000, true, "/data/state/ddm", "$XDG_STATE_HOME"},
		{"relative XDG_STATE_HOME is ignored", map[string]string{"HOME": "/home/u", "XDG_STATE_HOME": "state"}, 1000, true, "/home/u/.local/state/ddm", "$HOME"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, from, err := Default(Env{Getenv: func(k string) string { return c.env[k] }, EUID: c.euid, Usable: usable(c.sysOK)})
			if err != nil || dir != c.want || from != c.wantFrom {
				t.Errorf("Default = %q, %q, %v; want %q, %q", dir, from, err, c.want, c.wantFrom)
			}
		})
	}
	_, _, err := Default(Env{Getenv: func(string) string { return "" }, EUID: 1000, Usable: usable(true)})
	if !errors.Is(err, ErrNone) {
		t.Errorf("no HOME: %v, want ErrNone", err)
	}
}

func TestUsable(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		path string
		want bool
	}{
		{dir, true},
		{filepath.Join(dir, "missing", "ddm"), true}, // created by ddm
		{file, false},                       // not a folder
		{filepath.Join(file, "ddm"), false}, // under a file
	}
	if os.Geteuid() != 0 {
		// Root may write anywhere; for a user /proc is not writable.
		cases = append(cases, struct {
			path string
			want bool
		}{"/proc/ddm", false})
	}
	for _, c := range cases {
		if got := Usable(c.path); got != c.want {
			t.Errorf("Usable(%s) = %v, want %v", c.path, got, c.want)
		}
	}
}
