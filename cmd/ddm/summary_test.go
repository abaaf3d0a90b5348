package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/internal/influxtest"
	"github.com/ddm-agent/ddm/schema"
	"github.com/ddm-agent/ddm/winstat"
)

// summaryLines is what ddm run writes for one port, in brief: a module
// sample, a lane sample, its identity and an alarm transition.
func summaryLines(now time.Time) string {
	ns := now.UnixNano()
	return fmt.Sprintf(`xcvr_module,host=h,port=Ethernet1/1 temperature_c=41.5,present=true %d
xcvr_lane,host=h,port=Ethernet1/1,lane=1 rx_power_dbm=-1.25,tx_power_dbm=0.5 %d
xcvr_info,host=h,port=Ethernet1/1 part_number="PN-TEST" %d
xcvr_alarm,host=h,port=Ethernet1/1,rule=hot,severity=major,state=firing transition=true,value=81,threshold=80,summary="Ethernet1/1 hot" %d
`, ns, ns, ns, ns)
}

func writeLP(t *testing.T, srv *influxtest.Server, lp string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/write?"+url.Values{"db": {srv.Database()}}.Encode(), strings.NewReader(lp))
	req.Header.Set("Authorization", "Token "+srv.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("write: %s", resp.Status)
	}
}

// TestSummaryAuth: against InfluxDB with authentication on, ddm summary
// reads the token where ddm run does (--influx-token-file, else
// DDM_INFLUX_TOKEN) and sends it; without a token it fails and says so,
// instead of printing an empty summary.
func TestSummaryAuth(t *testing.T) {
	srv := influxtest.Start(t, influxtest.WithAuth("admin", "s3cret"))
	writeLP(t, srv, summaryLines(time.Now()))
	tokenFile := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(tokenFile, []byte(srv.Token()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	base := []string{"summary", "--influx-url", srv.URL(), "--influx-bucket", srv.Bucket(), "--since", "10m"}
	tests := []struct {
		name     string
		env      string // DDM_INFLUX_TOKEN
		args     []string
		wantCode int
		want     []string // in stdout
		wantErr  string   // in stderr
	}{
		{"token file", "", []string{"--influx-token-file", tokenFile}, exitOK,
			[]string{"Ethernet1/1", "PN-TEST", "41.50", "-1.25", "FIRING", "Ethernet1/1 hot"}, ""},
		{"environment", srv.Token(), nil, exitOK, []string{"Ethernet1/1", "PN-TEST", "Ethernet1/1 hot"}, ""},
		{"no token", "", nil, exitError, nil, "401"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("DDM_INFLUX_TOKEN", tt.env)
			code, out, errs := runDDM(t, "", append(base, tt.args...)...)
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out, errs)
			}
			for _, w := range tt.want {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			if tt.wantErr != "" && !strings.Contains(errs, tt.wantErr) {
				t.Errorf("stderr %q, want %q", errs, tt.wantErr)
			}
		})
	}
}

// TestSummaryQueryErrors: a server that fails one query (here any query on
// one measurement) makes ddm summary name that query on stderr and exit 1,
// while what did arrive is still printed.
func TestSummaryQueryErrors(t *testing.T) {
	const portsAnswer = `{"results":[{"statement_id":0,"series":[{"name":"xcvr_module","tags":{"port":"Ethernet1/1"},"columns":["time","n","w"],"values":[["1970-01-01T00:00:00Z",10,null]]}]}]}`
	const tempAnswer = `{"results":[{"statement_id":0,"series":[{"name":"xcvr_module","tags":{"port":"Ethernet1/1"},"columns":["time","temp"],"values":[["1970-01-01T00:00:00Z",41.5]]}]}]}`
	tests := []struct {
		name, failOn string
		wantErr      string
		wantOut      []string
	}{
		{"lanes", `"xcvr_lane"`, "summary: lane powers: query: 500", []string{"Ethernet1/1", "41.50", "none"}},
		{"temperatures", `last("temp")`, "summary: temperatures: query: 500", []string{"Ethernet1/1", "none"}},
		{"vdm", `"xcvr_vdm"`, "summary: pre-FEC BER: query: 500", []string{"Ethernet1/1"}},
		{"info", `"xcvr_info"`, "summary: part numbers: query: 500", []string{"Ethernet1/1"}},
		{"absent", `"present"=false`, "summary: absent samples: query: 500", []string{"Ethernet1/1"}},
		{"alarms", `"xcvr_alarm"`, "summary: alarm state changes: query: 500", []string{"Ethernet1/1", "unknown: the query failed"}},
		{"in the answer", `"xcvr_lane"`, "summary: lane powers: query: 200 and an error", []string{"Ethernet1/1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				q := r.URL.Query().Get("q")
				switch {
				case strings.Contains(q, tt.failOn) && tt.name == "in the answer":
					fmt.Fprint(w, `{"results":[{"statement_id":0,"error":"200 and an error"}]}`)
				case strings.Contains(q, tt.failOn):
					http.Error(w, `{"error":"boom"}`, http.StatusInternalServerError)
				case strings.Contains(q, `count("present") AS n, sum("window_samples") AS w FROM "xcvr_module" WHERE time`):
					fmt.Fprint(w, portsAnswer)
				case strings.Contains(q, `last("temp") AS temp FROM`):
					fmt.Fprint(w, tempAnswer)
				default:
					fmt.Fprint(w, `{"results":[{"statement_id":0}]}`)
				}
			}))
			defer srv.Close()
			t.Setenv("DDM_INFLUX_TOKEN", "")
			code, out, errs := runDDM(t, "", "summary", "--influx-url", srv.URL)
			if code != exitError {
				t.Errorf("exit %d, want %d", code, exitError)
			}
			if !strings.Contains(errs, tt.wantErr) {
				t.Errorf("stderr %q, want %q", errs, tt.wantErr)
			}
			for _, w := range tt.wantOut {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
		})
	}
}

// collectSink keeps what is written to it.
type collectSink struct{ points []exporter.Point }

func (c *collectSink) Write(points ...exporter.Point)  { c.points = append(c.points, points...) }
func (c *collectSink) Close(ctx context.Context) error { return nil }

// summaryModule is one read of a port for TestSummaryReduced.
func summaryModule(port string, i int) *cmis.Module {
	dbm := func(v float64) *float64 { return &v }
	mw := func(v float64) *float64 { w := math.Pow(10, v/10); return &w }
	// Constant within each 10 s window: the summary's temperature is the
	// last read at full rate, the last window's mean with --reduce.
	temp := 40 + 0.2*float64(i/10)
	m := &cmis.Module{PartNumber: "PN-" + port, SerialNumber: "SN-" + port, TemperatureC: &temp, ModuleState: "ModuleReady", ModuleStateCode: 3}
	for lane := 1; lane <= 4; lane++ {
		rx, tx := -1.0-0.1*float64(lane), 0.5
		if port == "Ethernet1/1" && lane == 3 && i == 123 {
			rx = -7.25 // one read, inside a window whose mean hides it
		}
		l := cmis.Lane{Lane: lane, RxPowerMW: mw(rx), RxPowerDBM: dbm(rx), TxPowerMW: mw(tx), TxPowerDBM: dbm(tx)}
		if port == "Ethernet1/2" && lane == 2 && i == 77 {
			zero := 0.0 // a dark read: 0 mW has no dBm
			l.RxPowerMW, l.RxPowerDBM = &zero, nil
		}
		m.Lanes = append(m.Lanes, l)
		ber := 1e-9
		if port == "Ethernet1/1" && lane == 2 && i == 201 {
			ber = 3.5e-5
		}
		m.VDM = append(m.VDM, cmis.VDMValue{TypeID: 15, Observable: "pre_fec_ber_media", Lane: lane, Value: ber, Unit: "ratio"})
	}
	return m
}

// TestSummaryReduced: the same 5 minutes of reads of two ports, written
// at full rate into one database and through the reduced export
// (winstat, 10 s windows) into another, make the same summary with the
// real binary: samples (the reads folded into the windows, and an empty
// cage's), absences, the last temperature, the lowest powers (a one-read
// dip the window's mean hides, a dark read that has no dBm) and the
// highest pre-FEC BER.
func TestSummaryReduced(t *testing.T) {
	srv := influxtest.Start(t)
	srv.Exec(t, `CREATE DATABASE "reduced"`)
	full := &collectSink{}
	out := &collectSink{}
	reduced, err := winstat.New(out, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-6 * time.Minute).Truncate(10 * time.Second)
	for i := range 300 {
		at := start.Add(time.Duration(i) * time.Second)
		for _, port := range []string{"Ethernet1/1", "Ethernet1/2"} {
			src := exporter.Source{Host: "h", Port: port, Time: at}
			var pts []exporter.Point
			switch {
			case port == "Ethernet1/2" && i >= 150:
				pts = exporter.AbsentPoints(src)
			default:
				m := summaryModule(port, i)
				pts = append(exporter.ModulePoints(src, m), exporter.VDMPoints(src, m)...)
				if i == 0 {
					pts = append(pts, exporter.InfoPoints(src, m)...)
				}
			}
			full.Write(pts...)
			reduced.Write(pts...)
		}
	}
	if err := reduced.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	post := func(db string, pts []exporter.Point) {
		var b strings.Builder
		for _, p := range pts {
			line, err := p.LineProtocol()
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString(line + "\n")
		}
		req, _ := http.NewRequest(http.MethodPost, srv.URL()+"/write?"+url.Values{"db": {db}, "precision": {"ns"}}.Encode(), strings.NewReader(b.String()))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("write %s: %s %s", db, resp.Status, body)
		}
	}
	post(srv.Database(), full.points)
	post("reduced", out.points)
	if n := srv.Count(t, schema.RxPowerMW, schema.XcvrLane, ""); n == 0 {
		t.Fatal("no full-rate points")
	}

	summary := func(db string) string {
		cmd := exec.Command(ddmBinary(t), "summary", "--influx-url", srv.URL(), "--influx-bucket", db, "--since", "15m")
		cmd.Env = append(os.Environ(), "DDM_INFLUX_TOKEN=")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("ddm summary --influx-bucket %s: %v\n%s%s", db, err, stdout.String(), stderr.String())
		}
		// The header names the database.
		_, table, _ := strings.Cut(stdout.String(), "\n")
		return table
	}
	got, want := summary("reduced"), summary(srv.Database())
	for _, w := range []string{"PN-Ethernet1/1", "300", "150", "45.80", "-7.25", "0.50", "3.50e-05"} {
		if !strings.Contains(want, w) {
			t.Fatalf("the full-rate summary lacks %q:\n%s", w, want)
		}
	}
	if got != want {
		t.Errorf("summary of the reduced data:\n%s\nof the same reads at full rate:\n%s", got, want)
	}
}
