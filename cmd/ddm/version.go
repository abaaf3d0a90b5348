package main

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
)

// buildVersion is what the binary knows of its build: the module version
// ("v1.2.0" when installed with go install ...@v1.2.0, "(devel)" when
// built from a checkout), the commit, its time and whether the tree had
// local changes (stamped by go build from the VCS), and the Go version.
type buildVersion struct {
	Module   string
	Revision string
	Time     string
	Modified bool
	Go       string
}

// readBuildVersion reads the running binary's build information.
func readBuildVersion() buildVersion {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return buildVersion{Module: "unknown"}
	}
	return parseBuildInfo(bi)
}

func parseBuildInfo(bi *debug.BuildInfo) buildVersion {
	v := buildVersion{Module: bi.Main.Version, Go: bi.GoVersion}
	if v.Module == "" {
		v.Module = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Revision = s.Value
		case "vcs.time":
			v.Time = s.Value
		case "vcs.modified":
			v.Modified = s.Value == "true"
		}
	}
	return v
}

// short names the build in one word for dump headers: the module version,
// and for a build from a checkout the commit ("(devel)-397a8a3c1f2e+dirty").
func (v buildVersion) short() string {
	if v.Module != "(devel)" || v.Revision == "" {
		return v.Module
	}
	s := v.Module + "-" + shortRevision(v.Revision)
	if v.Modified {
		s += "+dirty"
	}
	return s
}

// String is the line `ddm version` prints.
func (v buildVersion) String() string {
	parts := []string{"ddm " + v.Module}
	if v.Revision != "" {
		c := "commit " + shortRevision(v.Revision)
		if v.Modified {
			c += " (modified)"
		}
		if v.Time != "" {
			c += " of " + v.Time
		}
		parts = append(parts, c)
	}
	if v.Go != "" {
		parts = append(parts, "built with "+v.Go)
	}
	return strings.Join(parts, ", ")
}

func shortRevision(r string) string {
	if len(r) > 12 {
		return r[:12]
	}
	return r
}

func cmdVersion(_ context.Context, e env, args []string) int {
	fs := newFlags(e, "version")
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: ddm version\n\nPrints the module version, the commit it was built from (and whether the tree was modified), and the Go version.\n")
	}
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		errorf(e, "version: unexpected arguments %v", fs.Args())
		return exitUsage
	}
	fmt.Fprintln(e.stdout, readBuildVersion())
	return exitOK
}
