package outlook

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/exporter"
)

// Seeding from a hostile or broken InfluxDB fails with an error that says
// what went wrong, within its time, and leaves the tracker usable.
func TestSeedFromHostileServer(t *testing.T) {
	huge := strings.Repeat("x", 1<<20)
	// release ends the hanging handler before its server closes (Close
	// waits for the handlers).
	var release chan struct{}
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		want    string
	}{
		{"400 with a huge body", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			w.Write([]byte(huge))
		}, "400 Bad Request"},
		{"401", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"error":"authorization failed"}`, http.StatusUnauthorized)
		}, "authorization failed"},
		{"not JSON", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>proxy</html>")) }, "query: invalid character"},
		{"statement error", func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"results":[{"statement_id":0,"error":"database not found: ddm"}]}`))
		}, "database not found"},
		{"hangs", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}, "context deadline exceeded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			release = make(chan struct{})
			srv := httptest.NewServer(tc.handler)
			defer srv.Close()
			defer close(release)
			q, err := exporter.NewInfluxQuerier(exporter.InfluxConfig{URL: srv.URL, Bucket: "ddm/autogen"})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			tr := New()
			start := time.Now()
			n, err := tr.Seed(ctx, q, "sw1", []string{"Ethernet1/1"}, t0)
			if err == nil || n != 0 || !strings.Contains(err.Error(), tc.want) || len(err.Error()) > 600 {
				t.Errorf("seeded %d, error %.700v; want one naming %q, short", n, err, tc.want)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
			tr.Observe("Ethernet1/1", t0, nil) // still usable
		})
	}
}
