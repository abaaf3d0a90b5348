package exporter

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestHugeAnswerBodiesAreBounded: a server answering every write with a
// 256 MB body (500 with text, 500 with JSON, 400 with text) makes the
// writer read at most maxAnswerBytes of it: the server manages to send no
// more than what loopback's socket buffers hold before the writer hangs
// up, and the writer's allocations stay far below the body's size. (The
// client library reads an error body whole; before the bound a 300 MB
// body took the agent from 60 MB to 2.5 GB.) The points stay spooled and
// are delivered once the server answers normally.
func TestHugeAnswerBodiesAreBounded(t *testing.T) {
	const bodySize = 256 << 20
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	for _, tc := range []struct {
		name, ctype string
		status      int
	}{
		{"500 text", "text/plain", http.StatusInternalServerError},
		{"500 json", "application/json", http.StatusInternalServerError},
		{"400 text", "text/plain", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sentBytes, hostile atomic.Int64
			var healthy atomic.Bool
			f := &fakeInflux{}
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if healthy.Load() {
					f.handle(w, r)
					return
				}
				hostile.Add(1)
				w.Header().Set("Content-Type", tc.ctype)
				w.WriteHeader(tc.status)
				if tc.ctype == "application/json" {
					n, _ := w.Write([]byte(`{"code":"internal error","message":"`))
					sentBytes.Add(int64(n))
				}
				for sent := 0; sent < bodySize; sent += len(chunk) {
					n, err := w.Write(chunk)
					sentBytes.Add(int64(n))
					if err != nil {
						return // the writer hung up
					}
				}
			}))
			t.Cleanup(srv.Close)
			cfg := testConfig(t, srv.URL)
			cfg.Timeout = 5 * time.Second
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			w := newWriter(t, cfg)
			w.Write(seqPoints(0, 50)...)
			st := waitStats(t, w, 20*time.Second, "two hostile answers", func(s Stats) bool { return s.Retries >= 2 })
			runtime.ReadMemStats(&after)
			alloc := after.TotalAlloc - before.TotalAlloc
			if got := sentBytes.Load(); got > 48<<20 {
				t.Errorf("the server sent %d MB of its answers: the writer read them", got>>20)
			}
			if alloc > 64<<20 {
				t.Errorf("the writer allocated %d MB for %d answers", alloc>>20, hostile.Load())
			}
			if !strings.Contains(st.LastError, "HTTP") || st.SpoolPoints != 50 || st.Sent != 0 {
				t.Errorf("after hostile answers: %+v", st)
			}
			if len(st.LastError) > 2*maxAnswerBytes {
				t.Errorf("LastError is %d bytes", len(st.LastError))
			}
			healthy.Store(true)
			waitStats(t, w, 20*time.Second, "delivered", func(s Stats) bool { return s.Sent == 50 && s.SpoolPoints == 0 })
			t.Logf("%d answers of %d MB (%s, %d): the server got %d KB out before the writer hung up; %d MB allocated; 50 points delivered after",
				hostile.Load(), bodySize>>20, tc.ctype, tc.status, sentBytes.Load()>>10, alloc>>20)
		})
	}
}
