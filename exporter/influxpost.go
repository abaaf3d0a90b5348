package exporter

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// writeURL is the write endpoint under the client's API URL, as the client
// library's own write service builds it: org and bucket, and nanosecond
// timestamps (the spool keeps lines with nanosecond timestamps whatever
// the Precision, see InfluxConfig).
func writeURL(apiURL, org, bucket string) (string, error) {
	u, err := url.Parse(apiURL)
	if err == nil {
		u, err = u.Parse("write")
	}
	if err != nil {
		return "", fmt.Errorf("influx: write URL from %q: %w", apiURL, err)
	}
	q := u.Query()
	q.Set("org", org)
	q.Set("bucket", bucket)
	q.Set("precision", "ns")
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// requestBuffers are the sender's reused memory for one request at a time:
// the body and its compressed form, and one gzip writer. The client
// library's own write path makes a new gzip writer for every request
// (about 800 kB of compressor state at the default level, the heap swing
// and most of the garbage collector's and scavenger's work in a profile of
// the agent), a goroutine and a pipe, and copies the body once more from a
// string. Each lane has its own, used by its sender goroutine alone, so
// these need no lock.
type requestBuffers struct {
	body      []byte
	bodyBound reuseBound
	gz        *gzip.Writer
	zbuf      bytes.Buffer
}

// gzipLevel trades a few percent of a larger body on loopback or a LAN
// for about a third of the compression's CPU of the default level; line
// protocol of telemetry still compresses about tenfold.
const gzipLevel = gzip.BestSpeed

// compress returns body gzipped, in memory reused by the next call.
func (r *requestBuffers) compress(body []byte) ([]byte, error) {
	r.zbuf.Reset()
	if r.gz == nil {
		gz, err := gzip.NewWriterLevel(&r.zbuf, gzipLevel)
		if err != nil {
			return nil, err
		}
		r.gz = gz
	} else {
		r.gz.Reset(&r.zbuf)
	}
	if _, err := r.gz.Write(body); err != nil {
		return nil, err
	}
	if err := r.gz.Close(); err != nil {
		return nil, err
	}
	return r.zbuf.Bytes(), nil
}

// send posts one body of lines. The error is the library's *http.Error for
// an answer outside 2xx (status, Retry-After, the server's message), as
// the library's blocking write API returns it.
func (w *InfluxWriter) send(ctx context.Context, req *requestBuffers, body []byte) error {
	gzipped := !w.cfg.DisableGzip
	if gzipped {
		z, err := req.compress(body)
		if err != nil {
			return fmt.Errorf("influx: compressing the request: %w", err)
		}
		body = z
	}
	perr := w.svc.DoPostRequest(ctx, w.writeURL, bytes.NewReader(body), func(req *http.Request) {
		if gzipped {
			req.Header.Set("Content-Encoding", "gzip")
		}
	}, func(resp *http.Response) error {
		return resp.Body.Close()
	})
	if perr != nil {
		return perr
	}
	return nil
}
