package exporter

import (
	"context"
	"errors"
	"time"
)

// Sink receives points. Write never blocks on the network and never fails:
// what a sink cannot keep it counts (Stats). Close flushes within the
// context's deadline; Write after Close drops and counts the points.
type Sink interface {
	Write(points ...Point)
	Close(ctx context.Context) error
}

// Stats are a sink's counters. Counters are cumulative since the sink was
// made; the xcvr_agent process point (SinkPoint) carries them.
type Stats struct {
	// QueueDepth is the number of points in memory: waiting for the spool,
	// or held there (and still sent) while the disk refuses the spool.
	QueueDepth int
	// SpoolBytes and SpoolPoints are the size of the disk spool: points
	// written to disk and not yet accepted by the server.
	SpoolBytes  int64
	SpoolPoints int64
	// Written counts points handed to Write.
	Written int64
	// Sent counts points the destination accepted.
	Sent int64
	// Dropped counts points lost: the queue, the spool or (while the disk
	// refuses the spool) the memory bound was full (oldest first), or they
	// were written after Close.
	Dropped int64
	// Rejected counts points the server refused for good (a partial
	// write's dropped points, a point refused alone, what the isolation of
	// a refused batch could not resolve within its budget) and points
	// rejected locally for a known field type conflict.
	Rejected int64
	// Invalid counts points that could not be encoded (no fields, bad
	// names).
	Invalid int64
	// Corrupt counts spooled points lost to on-disk damage.
	Corrupt int64
	// NonFiniteFields counts NaN/Inf float fields dropped at point creation
	// (Point.NonFinite of the points written).
	NonFiniteFields int64
	// Requests counts write requests; Retries those that failed and were
	// retried; AuthErrors those answered 401 or 403.
	Requests   int64
	Retries    int64
	AuthErrors int64
	// LastError is the most recent error ("" when none), at LastErrorTime.
	LastError     string
	LastErrorTime time.Time
	// WriteLatency is the duration of the last accepted write request.
	WriteLatency time.Duration
}

// Multi writes every point to each of sinks, in order. Its Stats method
// (reach it with a type assertion to interface{ Stats() Stats }) returns
// those of the first sink that has Stats: put the primary sink first.
func Multi(sinks ...Sink) Sink { return multi(sinks) }

type multi []Sink

func (m multi) Write(points ...Point) {
	for _, s := range m {
		s.Write(points...)
	}
}

// Stats returns the Stats of the first sink that has them.
func (m multi) Stats() Stats {
	for _, s := range m {
		if st, ok := s.(interface{ Stats() Stats }); ok {
			return st.Stats()
		}
	}
	return Stats{}
}

// Close closes every sink (concurrently, so that each gets the whole
// deadline) and joins their errors.
func (m multi) Close(ctx context.Context) error {
	errs := make([]error, len(m))
	done := make(chan struct{})
	for i, s := range m {
		go func() {
			errs[i] = s.Close(ctx)
			done <- struct{}{}
		}()
	}
	for range m {
		<-done
	}
	return errors.Join(errs...)
}

var (
	_ Sink = (*InfluxWriter)(nil)
	_ Sink = (*LineProtocolWriter)(nil)
	_ Sink = (*PromSink)(nil)
)
