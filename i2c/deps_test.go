package i2c_test

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestNoDecoderImport: the I²C package moves bytes and knows no module
// standard. What it needs of one (where the VDM freeze bit is, which
// identifiers have no page select) it is given as plain values, so it
// must not import the decoder, directly or through another package, on
// any platform it builds for.
func TestNoDecoderImport(t *testing.T) {
	forbidden := []string{"github.com/ddm-agent/ddm/cmis", "github.com/ddm-agent/ddm/modread", "github.com/ddm-agent/ddm/agent"}
	for _, goos := range []string{"linux", "darwin", "windows"} {
		cmd := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", ".")
		cmd.Env = append(cmd.Environ(), "GOOS="+goos)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("GOOS=%s go list -deps: %v\n%s", goos, err, out)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 5 {
			t.Fatalf("GOOS=%s: go list -deps gave %q: too few to be the real list", goos, deps)
		}
		for _, d := range deps {
			for _, f := range forbidden {
				if d == f || strings.HasPrefix(d, f+"/") {
					t.Errorf("GOOS=%s: i2c depends on %s", goos, d)
				}
			}
		}
	}
}

// TestNewTransportCannotBypassTheGuard: a transport written outside this
// package cannot be a Memory by implementing its methods, even one named
// guarded: the interface is sealed, so the only way to a Memory is
// NewGuard over a Link. testdata/bypass tries and must not compile.
func TestNewTransportCannotBypassTheGuard(t *testing.T) {
	out, err := exec.Command("go", "build", "-o", os.DevNull, "./testdata/bypass").CombinedOutput()
	if err == nil {
		t.Fatal("testdata/bypass compiled: a type outside i2c is a Memory without a Guard")
	}
	if !strings.Contains(string(out), "guarded") {
		t.Fatalf("testdata/bypass failed for another reason than the seal:\n%s", out)
	}
	t.Logf("refused as it should be: %s", strings.TrimSpace(string(out)))
}
