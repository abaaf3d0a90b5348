// Package influxtest starts a real InfluxDB 1.8 server (bin/influxd, built
// by `make bin/influxd`) on loopback for tests: data, meta and WAL in
// t.TempDir(), free ports for HTTP and the RPC bind address, reporting off,
// HTTP log off, Flux off unless the test asks for it (WithFlux). The server
// is stopped in t.Cleanup.
//
// Flux is off by default because it is what makes influxd slow to start:
// with it, a start costs about 4 s of CPU (9 s on a loaded 2-core machine)
// before /ping answers; without it, 0.05 s. Writes (/write and
// /api/v2/write) and InfluxQL are the same either way.
//
// The binary is $DDM_INFLUXD, or bin/influxd at the module root (the first
// directory up from the working directory that holds go.mod). A missing
// binary fails the test: CI installs it, and a test that skips proves
// nothing.
package influxtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
)

// Server is a running (or stopped) influxd.
type Server struct {
	t        testing.TB
	bin      string
	dir      string
	conf     string
	logPath  string
	httpAddr string
	rpcAddr  string
	db       string
	user     string
	pass     string
	opts     options

	mu  sync.Mutex
	cmd *exec.Cmd
	// exited is closed when the current process has been waited for.
	exited chan struct{}
}

type options struct {
	db          string
	auth        bool
	user, pass  string
	maxBodySize int
	flux        bool
	startup     time.Duration
}

// Option configures Start.
type Option func(*options)

// WithDatabase names the database Start creates (default "ddm").
func WithDatabase(name string) Option { return func(o *options) { o.db = name } }

// WithAuth turns authentication on and creates an admin user. Clients then
// use the token "user:pass".
func WithAuth(user, pass string) Option {
	return func(o *options) { o.auth, o.user, o.pass = true, user, pass }
}

// WithAuthNoUser turns authentication on without creating any user: every
// write is answered 401 until the test calls CreateAdmin.
func WithAuthNoUser() Option { return func(o *options) { o.auth, o.user, o.pass = true, "", "" } }

// WithMaxBodySize sets [http] max-body-size (bytes of decompressed body;
// larger writes are answered 413).
func WithMaxBodySize(n int) Option { return func(o *options) { o.maxBodySize = n } }

// WithFlux turns Flux on ([http] flux-enabled), for tests that query with
// Flux (QueryFlux). It makes the server about 4 s of CPU slower to start.
func WithFlux() Option { return func(o *options) { o.flux = true } }

// Binary returns the path of influxd, or an error saying how to build it.
func Binary() (string, error) {
	if p := os.Getenv("DDM_INFLUXD"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("DDM_INFLUXD=%s: %w", p, err)
		}
		return p, nil
	}
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	p := filepath.Join(root, "bin", "influxd")
	if _, err := os.Stat(p); err != nil {
		return "", fmt.Errorf("influxd not found at %s: run `make bin/influxd` (or set DDM_INFLUXD)", p)
	}
	return p, nil
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("influxtest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// freeAddr returns a loopback address with a port nobody listens on now.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("influxtest: free port: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// Start starts influxd and creates the database. It fails the test if the
// binary is missing or the server does not answer /ping within 60 s.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		t.Fatalf("influxtest: %v", err)
	}
	o := options{db: "ddm", startup: 60 * time.Second}
	for _, f := range opts {
		f(&o)
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir(), db: o.db, opts: o}
	s.logPath = filepath.Join(s.dir, "influxd.log")
	t.Cleanup(func() {
		s.Kill()
		if t.Failed() {
			if b, err := os.ReadFile(s.logPath); err == nil {
				if len(b) > 8000 {
					b = b[len(b)-8000:]
				}
				t.Logf("influxd log (tail):\n%s", b)
			}
		}
	})
	// Without an admin user, an auth-enabled 1.8 refuses CREATE DATABASE:
	// create it with auth off first, then restart with auth on.
	preAuth := o.auth && o.user == ""
	s.startFresh(t, o.auth && !preAuth)
	if o.user != "" {
		s.CreateAdmin(t, o.user, o.pass)
	}
	s.Exec(t, "CREATE DATABASE "+quoteIdent(s.db))
	if preAuth {
		s.Stop()
		if err := s.writeConfig(true); err != nil {
			t.Fatalf("influxtest: %v", err)
		}
		s.Restart(t)
	}
	return s
}

// startFresh picks ports and starts the server. A port picked free can be
// taken before influxd binds it (another test picking at the same time):
// it tries again with new ports.
func (s *Server) startFresh(t testing.TB, auth bool) {
	t.Helper()
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s.httpAddr, s.rpcAddr = freeAddr(t), freeAddr(t)
		if err := s.writeConfig(auth); err != nil {
			t.Fatalf("influxtest: %v", err)
		}
		if lastErr = s.start(); lastErr == nil {
			return
		}
		s.Kill()
	}
	t.Fatalf("influxtest: %v", lastErr)
}

func (s *Server) writeConfig(auth bool) error {
	body := s.opts.maxBodySize
	if body == 0 {
		body = 25000000
	}
	conf := fmt.Sprintf(`reporting-disabled = true
bind-address = %q

[meta]
  dir = %q
  retention-autocreate = true
  logging-enabled = false

[data]
  dir = %q
  wal-dir = %q
  query-log-enabled = false
  wal-fsync-delay = "0s"

[monitor]
  store-enabled = false

[subscriber]
  enabled = false

[continuous_queries]
  enabled = false
  log-enabled = false

[http]
  enabled = true
  bind-address = %q
  auth-enabled = %t
  log-enabled = false
  suppress-write-log = true
  flux-enabled = %t
  flux-log-enabled = false
  pprof-enabled = false
  max-body-size = %d

[logging]
  level = "warn"
  suppress-logo = true
`, s.rpcAddr, filepath.Join(s.dir, "meta"), filepath.Join(s.dir, "data"), filepath.Join(s.dir, "wal"), s.httpAddr, auth, s.opts.flux, body)
	s.conf = filepath.Join(s.dir, "influxd.conf")
	return os.WriteFile(s.conf, []byte(conf), 0o600)
}

func (s *Server) start() error {
	s.mu.Lock()
	if s.cmd != nil {
		s.mu.Unlock()
		return errors.New("already running")
	}
	logf, err := os.OpenFile(s.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		s.mu.Unlock()
		return err
	}
	cmd := exec.Command(s.bin, "run", "-config", s.conf)
	cmd.Stdout, cmd.Stderr = logf, logf
	// The server dies with the test binary: a package that go test kills
	// at its -timeout runs no t.Cleanup, and its servers went on using the
	// CPU the next packages needed.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	// GOGC=400: influxd (Flux above all) allocates much per query; fewer
	// collections cut its CPU per query by a fifth to a quarter, which on
	// 2 cores is test time. The heap of a test server stays small.
	cmd.Env = append(os.Environ(), "INFLUXDB_HTTP_LOG_ENABLED=false", "GOGC=400")
	if err := cmd.Start(); err != nil {
		s.mu.Unlock()
		logf.Close()
		return fmt.Errorf("start %s: %w", s.bin, err)
	}
	exited := make(chan struct{})
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(exited)
	}()

	deadline := time.Now().Add(s.opts.startup)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			s.mu.Lock()
			s.cmd = nil
			s.mu.Unlock()
			return fmt.Errorf("influxd exited during startup (see %s)", s.logPath)
		default:
		}
		resp, err := http.Get(s.URL() + "/ping")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusNoContent {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("influxd did not answer /ping on %s within %v", s.httpAddr, s.opts.startup)
}

// URL is the server's base URL (http://127.0.0.1:port).
func (s *Server) URL() string { return "http://" + s.httpAddr }

// Database is the database Start created.
func (s *Server) Database() string { return s.db }

// Token is the token clients use ("user:pass", or "" without auth).
func (s *Server) Token() string {
	if s.user == "" {
		return ""
	}
	return s.user + ":" + s.pass
}

// Stop stops the server (SIGTERM, then SIGKILL after 15 s) and waits for it.
func (s *Server) Stop() { s.signal(syscall.SIGTERM, 15*time.Second) }

// Kill kills the server with SIGKILL and waits for it.
func (s *Server) Kill() { s.signal(syscall.SIGKILL, 0) }

func (s *Server) signal(sig syscall.Signal, grace time.Duration) {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(sig)
	if grace > 0 {
		select {
		case <-exited:
			return
		case <-time.After(grace):
			_ = cmd.Process.Kill()
		}
	}
	<-exited
}

// Restart starts a stopped server again with the same directories and
// ports (the data written before is still there).
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	var err error
	for attempt := 0; attempt < 20; attempt++ {
		if err = s.start(); err == nil {
			return
		}
		// The port may still be in TIME_WAIT or briefly taken: retry.
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("influxtest: restart: %v", err)
}

// Running reports whether the server process is up.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cmd != nil
}

// CreateAdmin creates an admin user (on a server started WithAuthNoUser,
// this is what makes writes with "user:pass" succeed).
func (s *Server) CreateAdmin(t testing.TB, user, pass string) {
	t.Helper()
	s.user, s.pass = user, pass
	s.Exec(t, fmt.Sprintf("CREATE USER %s WITH PASSWORD '%s' WITH ALL PRIVILEGES",
		quoteIdent(user), strings.ReplaceAll(pass, "'", `\'`)))
}

func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

// Series is one series of an InfluxQL result.
type Series struct {
	Name    string            `json:"name"`
	Tags    map[string]string `json:"tags"`
	Columns []string          `json:"columns"`
	Values  [][]any           `json:"values"`
}

// Row is one row of an InfluxQL result: the series' measurement and tags
// (from GROUP BY) and each column's value. Times are int64 nanoseconds;
// numbers are json.Number (Int64 or Float64 them); strings and booleans as
// JSON has them.
type Row struct {
	Measurement string
	Tags        map[string]string
	Values      map[string]any
}

// Time returns the row's time column as a time.Time.
func (r Row) Time() time.Time {
	if n, ok := r.Values["time"].(json.Number); ok {
		if i, err := n.Int64(); err == nil {
			return time.Unix(0, i)
		}
	}
	return time.Time{}
}

// Float returns a numeric column as float64.
func (r Row) Float(col string) (float64, bool) {
	n, ok := r.Values[col].(json.Number)
	if !ok {
		return 0, false
	}
	f, err := n.Float64()
	return f, err == nil
}

// Int returns a numeric column as int64.
func (r Row) Int(col string) (int64, bool) {
	n, ok := r.Values[col].(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

// Query runs an InfluxQL query on the database (times in ns) and returns
// its rows. A query error fails the test.
func (s *Server) Query(t testing.TB, influxql string) []Row {
	t.Helper()
	series, err := s.QueryErr(influxql)
	if err != nil {
		t.Fatalf("influxtest: query %q: %v", influxql, err)
	}
	var rows []Row
	for _, se := range series {
		for _, v := range se.Values {
			r := Row{Measurement: se.Name, Tags: se.Tags, Values: map[string]any{}}
			for i, c := range se.Columns {
				if i < len(v) {
					r.Values[c] = v[i]
				}
			}
			rows = append(rows, r)
		}
	}
	return rows
}

// QueryErr runs an InfluxQL query and returns its series, or the error.
func (s *Server) QueryErr(influxql string) ([]Series, error) {
	return s.query(http.MethodGet, influxql)
}

// Exec runs an InfluxQL statement that changes something (CREATE, DROP)
// with POST. An error fails the test.
func (s *Server) Exec(t testing.TB, influxql string) {
	t.Helper()
	if _, err := s.query(http.MethodPost, influxql); err != nil {
		t.Fatalf("influxtest: %q: %v", influxql, err)
	}
}

func (s *Server) query(method, q string) ([]Series, error) {
	results, err := s.statements(method, q)
	if err != nil {
		return nil, err
	}
	var series []Series
	for _, r := range results {
		if r.Error != "" {
			return nil, errors.New(r.Error)
		}
		series = append(series, r.Series...)
	}
	return series, nil
}

// QueryBatch runs several InfluxQL SELECT statements in one request (the
// server runs them in order and answers each apart), so that a test that
// runs thousands of queries does not pay a round trip for each. It
// returns each statement's series and error, in the order given.
// InfluxDB stops at the first statement that fails and answers it and the
// rest with "not executed" or not at all: those are run again one by one,
// so that each error is the statement's own.
func (s *Server) QueryBatch(statements []string) ([][]Series, []error, error) {
	if len(statements) == 0 {
		return nil, nil, nil
	}
	for i, st := range statements {
		// A statement's own ";" would split it in two and shift every
		// answer after it.
		if strings.Contains(st, ";") {
			return nil, nil, fmt.Errorf("influxtest: statement %d contains \";\": run it with QueryErr", i)
		}
	}
	results, err := s.statements(http.MethodPost, strings.Join(statements, ";\n"))
	if err != nil {
		return nil, nil, err
	}
	series := make([][]Series, len(statements))
	errs := make([]error, len(statements))
	answered := make([]bool, len(statements))
	for _, r := range results {
		if r.StatementID < 0 || r.StatementID >= len(statements) || answered[r.StatementID] {
			return nil, nil, fmt.Errorf("influxtest: answer for statement %d of %d", r.StatementID, len(statements))
		}
		answered[r.StatementID] = true
		series[r.StatementID] = r.Series
		if r.Error != "" {
			errs[r.StatementID] = errors.New(r.Error)
		}
	}
	for i, st := range statements {
		if !answered[i] || errs[i] != nil {
			series[i], errs[i] = s.query(http.MethodGet, st)
		}
	}
	return series, errs, nil
}

// statementResult is one statement's part of a /query answer.
type statementResult struct {
	StatementID int      `json:"statement_id"`
	Series      []Series `json:"series"`
	Error       string   `json:"error"`
}

// statements sends q (one statement or several separated by ";") and
// returns the answer of each.
func (s *Server) statements(method, q string) ([]statementResult, error) {
	v := url.Values{"q": {q}, "db": {s.db}, "epoch": {"ns"}}
	var req *http.Request
	var err error
	if method == http.MethodGet {
		req, err = http.NewRequest(method, s.URL()+"/query?"+v.Encode(), nil)
	} else {
		req, err = http.NewRequest(method, s.URL()+"/query", strings.NewReader(v.Encode()))
		if req != nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	}
	if err != nil {
		return nil, err
	}
	if s.user != "" {
		req.SetBasicAuth(s.user, s.pass)
	}
	ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
	defer cancel()
	resp, err := http.DefaultClient.Do(req.WithContext(ctx))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var out struct {
		Results []statementResult `json:"results"`
		Error   string            `json:"error"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&out); err != nil {
		return nil, fmt.Errorf("HTTP %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	if out.Error != "" {
		return nil, errors.New(out.Error)
	}
	return out.Results, nil
}

// Count returns SELECT count(field) FROM measurement [WHERE ...] as an
// int (0 when there are no points).
func (s *Server) Count(t testing.TB, field, measurement, where string) int64 {
	t.Helper()
	q := fmt.Sprintf("SELECT count(%s) FROM %s", quoteIdent(field), quoteIdent(measurement))
	if where != "" {
		q += " WHERE " + where
	}
	rows := s.Query(t, q)
	if len(rows) == 0 {
		return 0
	}
	n, _ := rows[0].Int("count")
	return n
}

// FieldTypes returns SHOW FIELD KEYS of a measurement: field -> type
// (float, integer, string, boolean).
func (s *Server) FieldTypes(t testing.TB, measurement string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range s.Query(t, "SHOW FIELD KEYS FROM "+quoteIdent(measurement)) {
		k, _ := r.Values["fieldKey"].(string)
		v, _ := r.Values["fieldType"].(string)
		out[k] = v
	}
	return out
}

// TagKeys returns SHOW TAG KEYS of a measurement.
func (s *Server) TagKeys(t testing.TB, measurement string) []string {
	t.Helper()
	var keys []string
	for _, r := range s.Query(t, "SHOW TAG KEYS FROM "+quoteIdent(measurement)) {
		if k, ok := r.Values["tagKey"].(string); ok {
			keys = append(keys, k)
		}
	}
	return keys
}

// QueryFlux runs a Flux query through the client's QueryAPI (InfluxDB
// 1.8: org "", token "user:pass" or "", bucket "db/rp" in from()) and
// returns each record's values. The server must have been started
// WithFlux.
func (s *Server) QueryFlux(t testing.TB, flux string) []map[string]any {
	t.Helper()
	out, err := s.QueryFluxErr(flux)
	if err != nil {
		t.Fatalf("influxtest: flux %q: %v", flux, err)
	}
	return out
}

// QueryFluxErr is QueryFlux that returns the error instead of failing the
// test (for queries run on other goroutines than the test's).
func (s *Server) QueryFluxErr(flux string) ([]map[string]any, error) {
	if !s.opts.flux {
		return nil, errors.New("influxtest: Flux is off on this server: start it WithFlux()")
	}
	// The client library's own request timeout (20 s) would end a slow
	// query before queryTimeout does.
	c := influxdb2.NewClientWithOptions(s.URL(), s.Token(),
		influxdb2.DefaultOptions().SetHTTPRequestTimeout(uint(queryTimeout/time.Second)))
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), queryTimeout)
	defer cancel()
	res, err := c.QueryAPI("").Query(ctx, flux)
	if err != nil {
		return nil, err
	}
	defer res.Close()
	var out []map[string]any
	for res.Next() {
		out = append(out, res.Record().Values())
	}
	return out, res.Err()
}

// queryTimeout bounds one test query. It guards against a hung server, not
// a slow one: on a loaded 2-core machine a Flux query over the Grafana
// scenario's data took more than 20 s while InfluxDB answered the rule
// queries beside it, and a query cut short fails the test for the machine's
// load, not for a wrong query.
const queryTimeout = 2 * time.Minute

// Bucket is the 1.8 bucket name of the database and its default retention
// policy ("db/autogen"), for writes and Flux from().
func (s *Server) Bucket() string { return s.db + "/autogen" }

// Wait polls cond every 50 ms until it returns true or timeout passes,
// then fails the test with msg. It is how tests wait for data to land
// (never a fixed sleep).
func Wait(t testing.TB, timeout time.Duration, msg string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if cond() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v: %s", timeout, msg)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
