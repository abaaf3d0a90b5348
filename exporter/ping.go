package exporter

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Ping asks the server at cfg.URL whether it is up: GET /ping, which
// InfluxDB 1.8, 2.x and 3 answer with 204 without authentication. It uses
// cfg's TLS settings and returns the server's version as it reports it
// ("" when it does not). ctx bounds the call; `ddm run --check` gives it a
// few seconds.
func Ping(ctx context.Context, cfg InfluxConfig) (version string, err error) {
	tc, err := cfg.tlsConfig()
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimSuffix(cfg.URL, "/")+"/ping", nil)
	if err != nil {
		return "", err
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: tc, Proxy: http.ProxyFromEnvironment}}
	defer client.CloseIdleConnections()
	resp, err := client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	// The answer is empty; whatever a stranger sends is not read whole.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode/100 != 2 {
		return "", fmt.Errorf("GET /ping answered %s: not an InfluxDB server?", resp.Status)
	}
	return resp.Header.Get("X-Influxdb-Version"), nil
}
