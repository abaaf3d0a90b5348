package main

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
)

// serveMetrics serves srv on ln until srv is shut down. Any other end (the
// listener failed) is logged as an error: Prometheus would otherwise find
// the target down with nothing in the journal to say why.
func serveMetrics(srv *http.Server, ln net.Listener, log *slog.Logger) {
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("prometheus: /metrics is no longer served", "listen", ln.Addr().String(), "err", err)
	}
}
