package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Secrets never leave ddm: the InfluxDB token is read from a file (or the
// environment), never taken on the command line (argv is world-readable
// in /proc), and appears in no output, no argv, no file ddm writes. The
// real binary is run for each claim. TLS verification by the writer
// itself (on by default, a CA file, insecure_skip_verify) is proved in
// exporter's TestTLS; TestSecurityTLSConfig here checks that the
// configuration file reaches it.

// secretRun is one run of the real binary.
type secretRun struct {
	stdout, stderr string
	cmdlines       []string // /proc/<pid>/cmdline, read while it ran
	environ        string
	exit           error
}

// safeBuffer is a bytes.Buffer the exec copier goroutine and the test may
// share.
type safeBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *safeBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *safeBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runWatched runs ddm with args and reads its /proc entries every 50 ms
// until it exits.
func runWatched(t *testing.T, env []string, args ...string) secretRun {
	t.Helper()
	cmd := exec.Command(ddmBinary(t), args...)
	var out, errb safeBuffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var r secretRun
	proc := fmt.Sprintf("/proc/%d/", cmd.Process.Pid)
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	timeout := time.After(30 * time.Second)
	for {
		if b, err := os.ReadFile(proc + "cmdline"); err == nil && len(b) > 0 {
			r.cmdlines = append(r.cmdlines, strings.ReplaceAll(string(b), "\x00", " "))
		}
		if b, err := os.ReadFile(proc + "environ"); err == nil && len(b) > 0 {
			r.environ = string(b)
		}
		select {
		case r.exit = <-done:
			r.stdout, r.stderr = out.String(), errb.String()
			return r
		case <-tick.C:
		case <-timeout:
			_ = cmd.Process.Kill()
			t.Fatalf("ddm %v did not exit within 30 s:\n%s", args, errb.String())
		}
	}
}

// newSecret returns a token nobody else would print.
func newSecret(t *testing.T) string {
	b := make([]byte, 12)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return "ddm-secret-" + hex.EncodeToString(b)
}

// grepDir returns the files under dir that contain s.
func grepDir(t *testing.T, dir, s string) []string {
	t.Helper()
	var hits []string
	_ = filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if b, err := os.ReadFile(path); err == nil && bytes.Contains(b, []byte(s)) {
			hits = append(hits, path)
		}
		return nil
	})
	return hits
}

// TestSecurityTokenNeverShown: `ddm run` with the token in a file, against
// a server that is not there and against one that answers 401 (so the
// token is sent, the request fails, and errors are logged): the token is
// in no output, not in the process's argv or environment while it runs,
// and in no file under the state directory; the 401 server received it,
// so the file was read and used.
func TestSecurityTokenNeverShown(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		url  func(t *testing.T, auths *[]string, mu *sync.Mutex) string
	}{
		{"nothing listens", func(*testing.T, *[]string, *sync.Mutex) string { return "http://127.0.0.1:1" }},
		{"server answers 401", func(t *testing.T, auths *[]string, mu *sync.Mutex) string {
			// 401 to the first requests (the writer logs the failures),
			// then accepted, so that the flush at exit is quick.
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				*auths = append(*auths, r.Header.Get("Authorization"))
				n := len(*auths)
				mu.Unlock()
				if n > 3 {
					w.WriteHeader(http.StatusNoContent)
					return
				}
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = io.WriteString(w, `{"code":"unauthorized","message":"authorization failed"}`)
			}))
			t.Cleanup(srv.Close)
			return srv.URL
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var auths []string
			var mu sync.Mutex
			url := tc.url(t, &auths, &mu)
			dir, platform := writePlatform(t)
			secret := newSecret(t)
			tokenFile := filepath.Join(dir, "token")
			if err := os.WriteFile(tokenFile, []byte(secret+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			r := runWatched(t, []string{"DDM_INFLUX_TOKEN="}, "run", "--emulate="+platform, "--influx-url", url, "--influx-bucket", "b",
				"--influx-token-file", tokenFile, "--interval", "250ms", "--vdm-interval", "500ms", "--state-dir", dir, "--duration", "2s")
			if r.exit != nil {
				t.Fatalf("ddm run: %v\n%s", r.exit, r.stderr)
			}
			if len(r.cmdlines) == 0 {
				t.Fatal("never read the process's cmdline while it ran")
			}
			for what, s := range map[string]string{"stdout": r.stdout, "stderr": r.stderr, "environ": r.environ, "cmdline": strings.Join(r.cmdlines, "\n")} {
				if strings.Contains(s, secret) {
					t.Errorf("the token is in %s:\n%s", what, s)
				}
			}
			if !strings.Contains(r.cmdlines[0], "--influx-token-file "+tokenFile) {
				t.Errorf("cmdline %q: not the process under test", r.cmdlines[0])
			}
			if hits := grepDir(t, dir, secret); len(hits) != 1 || hits[0] != tokenFile {
				t.Errorf("files holding the token: %v, want only %s", hits, tokenFile)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, a := range auths {
				if a != "Token "+secret {
					t.Errorf("Authorization %q: not the token of the file", a)
				}
			}
			t.Logf("%d cmdline reads while it ran, %d bytes of stderr, %d requests carrying the token: the token is nowhere else", len(r.cmdlines), len(r.stderr), len(auths))
			if strings.Contains(tc.name, "401") && len(auths) == 0 {
				t.Error("the 401 server saw no request: the token was never used")
			}
			// The failure is in the journal, at once.
			logged := `msg="influx: connection"`
			if strings.Contains(tc.name, "401") {
				logged = `msg="influx: HTTP 401"`
			}
			if !strings.Contains(r.stderr, logged) {
				t.Errorf("no %s line in the journal:\n%s", logged, r.stderr)
			}
		})
	}
}

// TestSecurityTokenFileMode: a token file that group or others can read
// draws a warning naming the file; a 0600 one does not.
func TestSecurityTokenFileMode(t *testing.T) {
	t.Parallel()
	accept := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(accept.Close)
	for _, tc := range []struct {
		mode os.FileMode
		warn bool
	}{{0o644, true}, {0o640, true}, {0o604, true}, {0o600, false}, {0o400, false}} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			t.Parallel()
			dir, platform := writePlatform(t)
			tokenFile := filepath.Join(dir, "influx.token")
			if err := os.WriteFile(tokenFile, []byte(newSecret(t)), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(tokenFile, tc.mode); err != nil {
				t.Fatal(err)
			}
			r := runWatched(t, nil, "run", "--emulate="+platform, "--influx-url", accept.URL, "--influx-bucket", "b",
				"--influx-token-file", tokenFile, "--state-dir", dir, "--duration", "500ms")
			if r.exit != nil {
				t.Fatalf("ddm run: %v\n%s", r.exit, r.stderr)
			}
			warned := strings.Contains(r.stderr, "influx token file "+tokenFile+" is readable by group or others")
			if warned != tc.warn {
				t.Errorf("mode %v: warned %v, want %v; stderr:\n%s", tc.mode, warned, tc.warn, r.stderr)
			}
		})
	}
}

// TestSecurityNoTokenFlag: there is no flag that takes the token itself;
// trying one is a usage error that does not echo the value.
func TestSecurityNoTokenFlag(t *testing.T) {
	t.Parallel()
	_, platform := writePlatform(t)
	secret := newSecret(t)
	for _, args := range [][]string{
		{"run", "--emulate=" + platform, "--influx-url", "http://127.0.0.1:1", "--influx-bucket", "b", "--influx-token", secret},
		{"run", "--emulate=" + platform, "--influx-url", "http://127.0.0.1:1", "--influx-bucket", "b", "--influx-token=" + secret},
		{"run", "--emulate=" + platform, "--token", secret},
	} {
		cmd := exec.Command(ddmBinary(t), args...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		ee, ok := err.(*exec.ExitError)
		if !ok || ee.ExitCode() != exitUsage {
			t.Errorf("%v: %v, want exit %d", args[len(args)-2:], err, exitUsage)
		}
		if !strings.Contains(errb.String(), "unknown flag") {
			t.Errorf("%v: stderr %q, want an unknown flag error", args[len(args)-2:], errb.String())
		}
		if strings.Contains(out.String()+errb.String(), secret) {
			t.Errorf("%v: the value is echoed:\n%s", args[len(args)-2:], errb.String())
		}
	}
	// The flags of every command: none takes a token.
	for _, c := range []string{"run", "dump", "decode"} {
		cmd := exec.Command(ddmBinary(t), c, "--help")
		b, _ := cmd.CombinedOutput()
		for _, line := range strings.Split(string(b), "\n") {
			f := strings.Fields(line)
			if len(f) > 0 && strings.HasPrefix(f[0], "--") && strings.Contains(strings.ToLower(f[0]), "token") && f[0] != "--influx-token-file" {
				t.Errorf("ddm %s has a token flag: %s", c, line)
			}
		}
	}
}

// TestSecurityTLSConfig: `ddm run` against an HTTPS InfluxDB with a
// self-signed certificate: with no CA configured no write request gets
// through (the handshake fails: the writer verifies); with the CA file,
// or with insecure_skip_verify, points arrive.
func TestSecurityTLSConfig(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		extra    func(ca string) string
		delivers bool
	}{
		{"verification on by default", func(string) string { return "" }, false},
		{"ca_file", func(ca string) string { return "  ca_file: " + ca + "\n" }, true},
		{"insecure_skip_verify", func(string) string { return "  insecure_skip_verify: true\n" }, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var writes, handshakeErrs atomic.Int64
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/api/v2/write" {
					writes.Add(1)
				}
				w.WriteHeader(http.StatusNoContent)
			}))
			srv.Config.ErrorLog = log.New(writerFunc(func(p []byte) (int, error) {
				if bytes.Contains(p, []byte("TLS handshake error")) {
					handshakeErrs.Add(1)
				}
				return len(p), nil
			}), "", 0)
			srv.StartTLS()
			t.Cleanup(srv.Close)
			dir, platform := writePlatform(t)
			ca := filepath.Join(dir, "ca.pem")
			if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}), 0o600); err != nil {
				t.Fatal(err)
			}
			cfg := filepath.Join(dir, "ddm.yaml")
			text := fmt.Sprintf("emulate: %s\ninterval: 250ms\nvdm_interval: 1s\ninflux:\n  url: %s\n  bucket: ddm/autogen\n  spool_dir: %s\n%s",
				platform, srv.URL, filepath.Join(dir, "spool"), tc.extra(ca))
			if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			r := runWatched(t, []string{"DDM_INFLUX_TOKEN="}, "run", "--config", cfg, "--duration", "2500ms")
			if r.exit != nil {
				t.Fatalf("ddm run: %v\n%s", r.exit, r.stderr)
			}
			w, h := writes.Load(), handshakeErrs.Load()
			if tc.delivers && w == 0 {
				t.Errorf("no write request reached the server; stderr:\n%s", r.stderr)
			}
			if !tc.delivers && (w != 0 || h == 0) {
				t.Errorf("%d write requests reached the server, %d handshakes refused: want none and some", w, h)
			}
			t.Logf("%d write requests delivered, %d TLS handshakes refused", w, h)
		})
	}
}

type writerFunc func(p []byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
