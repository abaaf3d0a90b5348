package main

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestServeMetricsLogsFailure: a listener that fails ends the /metrics
// server with an error in the log; a shutdown ends it quietly.
func TestServeMetricsLogsFailure(t *testing.T) {
	tests := []struct {
		name    string
		end     func(srv *http.Server, ln net.Listener)
		wantLog string
	}{
		{"listener fails", func(_ *http.Server, ln net.Listener) { ln.Close() }, "/metrics is no longer served"},
		{"shutdown", func(srv *http.Server, _ net.Listener) { srv.Shutdown(context.Background()) }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			var logBuf bytes.Buffer
			srv := &http.Server{Handler: http.NotFoundHandler(), ReadHeaderTimeout: time.Second}
			done := make(chan struct{})
			go func() {
				serveMetrics(srv, ln, slog.New(slog.NewTextHandler(&logBuf, nil)))
				close(done)
			}()
			// The server answers before it is ended.
			if resp, err := http.Get("http://" + ln.Addr().String() + "/"); err != nil {
				t.Fatal(err)
			} else {
				resp.Body.Close()
			}
			tt.end(srv, ln)
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("serveMetrics did not return")
			}
			got := logBuf.String()
			if tt.wantLog == "" && got != "" || tt.wantLog != "" && !strings.Contains(got, tt.wantLog) {
				t.Errorf("log %q, want %q", got, tt.wantLog)
			}
		})
	}
}
