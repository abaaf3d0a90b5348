package main

import (
	"os/exec"
	"runtime/debug"
	"strings"
	"testing"
)

func TestBuildVersionString(t *testing.T) {
	vcs := func(rev, time, modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev},
			{Key: "vcs.time", Value: time}, {Key: "vcs.modified", Value: modified}}
	}
	for _, tc := range []struct {
		name        string
		bi          debug.BuildInfo
		line, short string
	}{
		{"release", debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "v1.2.0"}},
			"ddm v1.2.0, built with go1.26.0", "v1.2.0"},
		{"checkout", debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"},
			Settings: vcs("397a8a3c1f2e4b5d6e7f8091a2b3c4d5e6f70819", "2026-05-01T10:00:00Z", "false")},
			"ddm (devel), commit 397a8a3c1f2e of 2026-05-01T10:00:00Z, built with go1.26.0", "(devel)-397a8a3c1f2e"},
		{"modified checkout", debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"},
			Settings: vcs("397a8a3c1f2e4b5d6e7f8091a2b3c4d5e6f70819", "2026-05-01T10:00:00Z", "true")},
			"ddm (devel), commit 397a8a3c1f2e (modified) of 2026-05-01T10:00:00Z, built with go1.26.0", "(devel)-397a8a3c1f2e+dirty"},
		{"no VCS stamp", debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}},
			"ddm (devel), built with go1.26.0", "(devel)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			v := parseBuildInfo(&tc.bi)
			if got := v.String(); got != tc.line {
				t.Errorf("String() = %q, want %q", got, tc.line)
			}
			if got := v.short(); got != tc.short {
				t.Errorf("short() = %q, want %q", got, tc.short)
			}
		})
	}
}

// TestVersionCommand: the real binary prints what its build information
// says (as `go version -m` reads it), not a placeholder.
func TestVersionCommand(t *testing.T) {
	bin := ddmBinary(t)
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	m, err := exec.Command("go", "version", "-m", bin).Output()
	if err != nil {
		t.Fatal(err)
	}
	// go version -m: "FILE: go1.26.0", then the build information indented
	// by a tab.
	first, rest, _ := strings.Cut(string(m), "\n")
	bi, err := debug.ParseBuildInfo(strings.ReplaceAll("\n"+rest, "\n\t", "\n"))
	if err != nil || bi.Main.Path == "" {
		t.Fatalf("go version -m: %v\n%s", err, m)
	}
	_, bi.GoVersion, _ = strings.Cut(first, ": ")
	want := parseBuildInfo(bi).String()
	if got := strings.TrimSpace(string(out)); got != want || strings.Contains(got, " dev") {
		t.Errorf("ddm version = %q, want %q", got, want)
	}
}
