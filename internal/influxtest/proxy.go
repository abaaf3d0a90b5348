package influxtest

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Write is one write request a Proxy passed on: its lines (gunzipped,
// without their newlines), when it arrived, and, once the server answered,
// the status and when.
type Write struct {
	Lines  [][]byte
	Start  time.Time
	End    time.Time
	Status int
}

// ProxyHooks let a test see, and hold, the write requests a Proxy passes.
type ProxyHooks struct {
	// Before is called with each write request before it is passed on. It
	// may block, to play a server that hangs on that request, until ctx
	// (the client's request) is done.
	Before func(ctx context.Context, w *Write)
	// After is called with each write request the server answered.
	After func(w *Write)
}

// StartProxy starts an HTTP server in front of target (a server's URL)
// that passes every request on and shows the test the write requests
// (/write, /api/v2/write), so a test can measure or hold what a client
// sends a real InfluxDB. It is closed in t.Cleanup.
func StartProxy(t testing.TB, target string, hooks ProxyHooks) *httptest.Server {
	target = strings.TrimSuffix(target, "/")
	client := &http.Client{}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		start := time.Now()
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadGateway)
			return
		}
		var w *Write
		if strings.HasSuffix(r.URL.Path, "/write") {
			lines, err := requestLines(body, r.Header.Get("Content-Encoding") == "gzip")
			if err != nil {
				http.Error(rw, err.Error(), http.StatusBadRequest)
				return
			}
			w = &Write{Lines: lines, Start: start}
			if hooks.Before != nil {
				hooks.Before(r.Context(), w)
			}
		}
		out, err := http.NewRequestWithContext(r.Context(), r.Method, target+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadGateway)
			return
		}
		out.Header = r.Header.Clone()
		resp, err := client.Do(out)
		if err != nil {
			http.Error(rw, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		answer, _ := io.ReadAll(resp.Body)
		if w != nil && hooks.After != nil {
			w.End, w.Status = time.Now(), resp.StatusCode
			hooks.After(w)
		}
		for k, v := range resp.Header {
			rw.Header()[k] = v
		}
		rw.WriteHeader(resp.StatusCode)
		_, _ = rw.Write(answer)
	}))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		client.CloseIdleConnections() // its keep-alive connections to the server end with the test
	})
	return srv
}

// requestLines returns the lines of a write request's body.
func requestLines(body []byte, gzipped bool) ([][]byte, error) {
	if gzipped {
		zr, err := gzip.NewReader(bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		if body, err = io.ReadAll(zr); err != nil {
			return nil, err
		}
	}
	var lines [][]byte
	for _, l := range bytes.Split(body, []byte{'\n'}) {
		if len(l) > 0 {
			lines = append(lines, l)
		}
	}
	return lines, nil
}
