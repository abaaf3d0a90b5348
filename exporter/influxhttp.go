package exporter

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"time"
)

// maxAnswerBytes bounds what the writer reads of any answer's body, error
// bodies included. InfluxDB's answers to a write are empty (204) or a short
// JSON error (its message is also in the X-Influxdb-Error header); a server
// or proxy that answers with megabytes must not make the agent read them:
// the client library reads an error body whole (io.ReadAll, or a JSON
// decoder) and then drains it.
const maxAnswerBytes = 64 << 10

// maxAnswerHeaderBytes bounds an answer's header block.
const maxAnswerHeaderBytes = 64 << 10

// newHTTPClient is the writer's HTTP client: the library's defaults (proxy
// from the environment, 5 s dial and TLS handshake, idle connections kept)
// with every answer's body and header bounded.
func newHTTPClient(tc *tls.Config, timeout time.Duration) *http.Client {
	return newBoundedClient(tc, timeout, maxAnswerBytes)
}

// newBoundedClient is newHTTPClient with answers bounded at limit bytes
// (a query's answer is larger than a write's).
func newBoundedClient(tc *tls.Config, timeout time.Duration, limit int64) *http.Client {
	return &http.Client{
		Timeout: timeout,
		Transport: boundedTransport{base: &http.Transport{
			Proxy:                  http.ProxyFromEnvironment,
			DialContext:            (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			TLSHandshakeTimeout:    5 * time.Second,
			TLSClientConfig:        tc,
			MaxIdleConns:           4,
			MaxIdleConnsPerHost:    4,
			IdleConnTimeout:        90 * time.Second,
			MaxResponseHeaderBytes: maxAnswerHeaderBytes,
			ForceAttemptHTTP2:      true,
		}, limit: limit},
	}
}

// boundedTransport hands out answers whose body ends after limit bytes.
type boundedTransport struct {
	base  http.RoundTripper
	limit int64
}

func (t boundedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if resp != nil && resp.Body != nil {
		resp.Body = &boundedBody{rc: resp.Body, left: t.limit}
	}
	return resp, err
}

// boundedBody reads at most left bytes, then reports the end of the body.
// Closing it before the real end makes the transport drop the connection
// rather than read the rest.
type boundedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *boundedBody) Close() error { return b.rc.Close() }
