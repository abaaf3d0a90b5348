package influxtest

import (
	"context"
	"sync"
	"testing"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
)

// TestProxy: writes through the proxy reach the server; the hooks see each
// write request's lines (the client gzips them) before it is passed on and
// the server's answer after.
func TestProxy(t *testing.T) {
	t.Parallel()
	s := Start(t)
	var mu sync.Mutex
	var before, after []*Write
	px := StartProxy(t, s.URL(), ProxyHooks{
		Before: func(_ context.Context, w *Write) { mu.Lock(); before = append(before, w); mu.Unlock() },
		After:  func(w *Write) { mu.Lock(); after = append(after, w); mu.Unlock() },
	})
	c := influxdb2.NewClientWithOptions(px.URL, s.Token(), influxdb2.DefaultOptions().SetUseGZip(true))
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.WriteAPIBlocking("", s.Bucket()).WriteRecord(ctx, "m,host=a f=1 1000000000", "m,host=a f=2 2000000000"); err != nil {
		t.Fatal(err)
	}
	if rows := s.Query(t, `SELECT * FROM m`); len(rows) != 2 {
		t.Fatalf("the server holds %d points, want 2", len(rows))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(before) != 1 || len(after) != 1 || before[0] != after[0] {
		t.Fatalf("hooks saw %d requests before, %d after; want the one write request", len(before), len(after))
	}
	w := after[0]
	if len(w.Lines) != 2 || string(w.Lines[1]) != "m,host=a f=2 2000000000" || w.Status != 204 || w.End.Before(w.Start) {
		t.Errorf("the write seen: %q, status %d, %v to %v", w.Lines, w.Status, w.Start, w.End)
	}
}
