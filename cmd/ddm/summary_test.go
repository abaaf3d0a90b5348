package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/internal/influxtest"
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
	const portsAnswer = `{"results":[{"statement_id":0,"series":[{"name":"xcvr_module","tags":{"port":"Ethernet1/1"},"columns":["time","temp","n"],"values":[["1970-01-01T00:00:00Z",41.5,10]]}]}]}`
	tests := []struct {
		name, failOn string
		wantErr      string
		wantOut      []string
	}{
		{"lanes", `"xcvr_lane"`, "summary: lane powers: query: 500", []string{"Ethernet1/1", "41.50", "none"}},
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
				case strings.Contains(q, `count("present") AS n FROM "xcvr_module" WHERE time`):
					fmt.Fprint(w, portsAnswer)
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
