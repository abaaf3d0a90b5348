package exporter

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/internal/influxtest"
)

func TestPing(t *testing.T) {
	srv := influxtest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if v, err := Ping(ctx, InfluxConfig{URL: srv.URL()}); err != nil || v == "" {
		t.Errorf("real InfluxDB: version %q, %v", v, err)
	}
	hostile := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/hang/ping":
			<-r.Context().Done()
		default:
			w.WriteHeader(http.StatusNotFound)
			w.Write(make([]byte, 1<<20))
		}
	}))
	defer hostile.Close()
	if _, err := Ping(ctx, InfluxConfig{URL: hostile.URL}); err == nil || !strings.Contains(err.Error(), "404 Not Found: not an InfluxDB server?") {
		t.Errorf("404: %v", err)
	}
	short, cancel2 := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel2()
	if _, err := Ping(short, InfluxConfig{URL: hostile.URL + "/hang"}); err == nil {
		t.Error("a server that never answers: no error")
	}
}
