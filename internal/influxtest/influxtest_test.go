package influxtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
)

func write(t *testing.T, s *Server, lines ...string) error {
	t.Helper()
	c := influxdb2.NewClient(s.URL(), s.Token())
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.WriteAPIBlocking("", s.Bucket()).WriteRecord(ctx, lines...)
}

func TestStartQueryRestart(t *testing.T) {
	t.Parallel()
	s := Start(t)
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") {
		t.Fatalf("URL %s is not loopback", s.URL())
	}
	if err := write(t, s, "m,host=a f=1.5,i=2i,s=\"x\",b=true 1000000000", "m,host=a f=2.5,i=3i,s=\"y\",b=false 2000000000"); err != nil {
		t.Fatal(err)
	}
	rows := s.Query(t, `SELECT * FROM m`)
	if len(rows) != 2 {
		t.Fatalf("rows %v", rows)
	}
	if got := rows[0].Time(); !got.Equal(time.Unix(1, 0)) {
		t.Errorf("time %v", got)
	}
	if f, _ := rows[1].Float("f"); f != 2.5 {
		t.Errorf("f = %v", f)
	}
	want := map[string]string{"f": "float", "i": "integer", "s": "string", "b": "boolean"}
	got := s.FieldTypes(t, "m")
	for k, v := range want {
		if got[k] != v {
			t.Errorf("field %s type %q, want %q", k, got[k], v)
		}
	}
	if n := s.Count(t, "f", "m", ""); n != 2 {
		t.Errorf("count %d", n)
	}

	// Flux is off unless asked for (TestFlux), and says so.
	if _, err := s.QueryFluxErr(`from(bucket: "` + s.Bucket() + `") |> range(start: 0)`); err == nil || !strings.Contains(err.Error(), "WithFlux") {
		t.Errorf("Flux on a server started without it: %v", err)
	}

	// Several statements in one request: each answered in its place, a
	// failing one with its own error, the ones after it still answered.
	series, errs, err := s.QueryBatch([]string{`SELECT count(f) FROM m`, `SELECT f FROM m WHERE host = 'none'`, `SELECT last(f) FROM m`})
	if err != nil || len(series) != 3 || errs[0] != nil || errs[1] != nil || errs[2] != nil {
		t.Fatalf("batch: %v %v %v", series, errs, err)
	}
	if len(series[0]) != 1 || series[0][0].Values[0][1] != json.Number("2") || len(series[1]) != 0 ||
		len(series[2]) != 1 || series[2][0].Values[0][1] != json.Number("2.5") {
		t.Errorf("batch answers %v", series)
	}
	series, errs, err = s.QueryBatch([]string{`SELECT count(f) FROM m`, `SELECT nonsense(f) FROM m`, `SELECT f FROM m`})
	if err != nil || errs[0] != nil || errs[1] == nil || !strings.Contains(errs[1].Error(), "nonsense") || errs[2] != nil {
		t.Errorf("batch with a failing statement: %v %v", errs, err)
	} else if len(series[2]) != 1 || len(series[2][0].Values) != 2 {
		t.Errorf("the statement after a failing one: %v", series[2])
	}
	if _, _, err := s.QueryBatch([]string{`SELECT f FROM m WHERE s = 'a;b'`}); err == nil {
		t.Error("a statement with ; was batched")
	}

	// Stop and Restart keep the data and the port.
	url := s.URL()
	s.Stop()
	if s.Running() {
		t.Fatal("running after Stop")
	}
	if _, err := http.Get(url + "/ping"); err == nil {
		t.Fatal("ping answered after Stop")
	}
	s.Restart(t)
	if s.URL() != url {
		t.Fatalf("URL changed: %s -> %s", url, s.URL())
	}
	if n := s.Count(t, "f", "m", ""); n != 2 {
		t.Errorf("count after restart %d", n)
	}

	// Kill is SIGKILL: the WAL keeps what was acknowledged.
	if err := write(t, s, "m,host=b f=3 3000000000"); err != nil {
		t.Fatal(err)
	}
	s.Kill()
	s.Restart(t)
	if n := s.Count(t, "f", "m", ""); n != 3 {
		t.Errorf("count after kill %d", n)
	}
}

func TestFlux(t *testing.T) {
	t.Parallel()
	s := Start(t, WithFlux())
	if err := write(t, s, "m,host=a f=1.5 1000000000", "m,host=a f=2.5 2000000000"); err != nil {
		t.Fatal(err)
	}
	flux := s.QueryFlux(t, `from(bucket: "`+s.Bucket()+`") |> range(start: 0) |> filter(fn: (r) => r._measurement == "m" and r._field == "f")`)
	if len(flux) != 2 || flux[0]["_value"] != 1.5 {
		t.Errorf("flux %v", flux)
	}
}

func TestAuthNoUser(t *testing.T) {
	t.Parallel()
	s := Start(t, WithAuthNoUser())
	s.user, s.pass = "ddm", "secret"
	err := write(t, s, "m f=1 1000000000")
	// 1.8 answers 403 ("user is required to write to database") when the
	// token's user does not exist yet, 401 for a wrong password.
	if err == nil || !strings.Contains(err.Error(), "401") && !strings.Contains(err.Error(), "403") {
		t.Fatalf("write without a user: %v, want 401 or 403", err)
	}
	s.CreateAdmin(t, "ddm", "secret")
	if err := write(t, s, "m f=1 1000000000"); err != nil {
		t.Fatalf("write after CreateAdmin: %v", err)
	}
	if n := s.Count(t, "f", "m", ""); n != 1 {
		t.Errorf("count %d", n)
	}
}

func TestBinaryMissing(t *testing.T) {
	t.Setenv("DDM_INFLUXD", "/nonexistent/influxd")
	if _, err := Binary(); err == nil || !strings.Contains(err.Error(), "DDM_INFLUXD") {
		t.Fatalf("err %v", err)
	}
	t.Setenv("DDM_INFLUXD", "")
	t.Chdir(t.TempDir())
	_, err := Binary()
	if err == nil {
		t.Fatal("no error outside the module")
	}
}

func TestBinaryMessage(t *testing.T) {
	dir := t.TempDir()
	if err := writeFile(dir+"/go.mod", "module x\n"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DDM_INFLUXD", "")
	t.Chdir(dir)
	_, err := Binary()
	if err == nil || !strings.Contains(err.Error(), "make bin/influxd") {
		t.Fatalf("err %v, want a hint to run make bin/influxd", err)
	}
}

func writeFile(path, s string) error { return os.WriteFile(path, []byte(s), 0o600) }

// TestServerDiesWithTestBinary: a test binary that ends without its
// cleanups (go test's -timeout panics it) leaves no influxd running.
func TestServerDiesWithTestBinary(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperStartAndExit$", "-test.count=1")
	cmd.Env = append(os.Environ(), "DDM_INFLUXTEST_HELPER=1")
	out, err := cmd.Output()
	var pid int
	var dir string
	if _, serr := fmt.Sscanf(string(out), "PID %d DIR %s", &pid, &dir); serr != nil {
		t.Fatalf("helper: %v, %q", err, out)
	}
	Wait(t, 10*time.Second, fmt.Sprintf("influxd %d gone", pid), func() bool {
		return syscall.Kill(pid, 0) == syscall.ESRCH
	})
	// The helper's t.TempDir, which its cleanups did not remove.
	if err := os.RemoveAll(filepath.Dir(dir)); err != nil {
		t.Error(err)
	}
}

// TestHelperStartAndExit is not a test: run by TestServerDiesWithTestBinary
// as a child process, it starts a server, says its process id and exits
// at once, its cleanups not run.
func TestHelperStartAndExit(t *testing.T) {
	if os.Getenv("DDM_INFLUXTEST_HELPER") != "1" {
		return
	}
	s := Start(t)
	fmt.Printf("PID %d DIR %s\n", s.cmd.Process.Pid, s.dir)
	os.Exit(0)
}
