package main

import (
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/internal/influxtest"
)

// killLossBound is what docs/RELIABILITY.md says a SIGKILL can lose with
// InfluxDB up, timed from the reads (points carry their read time): the
// points handed to the writer in the spooler's 50 ms coalescing window and
// the disk write under way, and the points the agent had read but not yet
// handed over, so the last point before a kill is at most about an
// interval and 50 ms older than the kill. From outside, a process the
// loaded machine did not schedule for a while (no reads, nothing to lose)
// looks the same as a loss, so the bound leaves 500 ms for that; a lost
// batch in flight (a second of points at the default flush interval) or a
// lost queue would still exceed it.
const killLossBound = 500 * time.Millisecond

// TestRunSIGKILLMidWrite kills the real binary three times while it writes
// to a real InfluxDB: twice the moment InfluxDB has taken a write request
// and before ddm hears the answer (the batch is in InfluxDB but still at
// the spool's head), once at a random moment (the spooler may be
// mid-record, the sender mid-request). Each time a new process is
// started on the same state folder, and a last one is stopped with
// SIGTERM. Then, for every port, InfluxDB holds a point every interval
// from the first read to the last, except while no process ran: nothing
// read more than an interval and the loss bound before a kill is missing,
// and the batches re-sent after the kills are one point each (same series,
// same timestamp), not duplicates.
func TestRunSIGKILLMidWrite(t *testing.T) {
	t.Parallel()
	srv := influxtest.Start(t)
	target, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	// A proxy in front of InfluxDB that can kill ddm once InfluxDB has
	// answered a write request and before the answer goes back.
	var victim atomic.Pointer[ddmProc]
	kills := make(chan time.Time, 1)
	rp := httputil.NewSingleHostReverseProxy(target)
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/write") {
			if p := victim.Swap(nil); p != nil {
				rec := httptest.NewRecorder()
				rp.ServeHTTP(rec, r)
				p.cmd.Process.Kill()
				kills <- time.Now()
				t.Logf("killed after InfluxDB answered %d to a write request", rec.Code)
				return
			}
		}
		rp.ServeHTTP(w, r)
	}))
	defer proxy.Close()

	dir, platform := writePlatform(t)
	interval := 200 * time.Millisecond
	args := []string{"run", "--emulate=" + platform, "--influx-url", proxy.URL, "--influx-bucket", srv.Bucket(),
		"--interval", interval.String(), "--vdm-interval", "1s", "--state-dir", dir}

	type outage struct{ killed, restarted time.Time }
	var outages []outage
	for round := range 3 {
		p := startDDM(t, args...)
		if round > 0 {
			outages[round-1].restarted = time.Now()
		}
		// Running and delivering: a point read after this start is in InfluxDB.
		started := time.Now()
		influxtest.Wait(t, 30*time.Second, "points of this process in InfluxDB", func() bool {
			ts := laneTimes(t, srv, "p1")
			return len(ts) > 0 && ts[len(ts)-1].After(started)
		})
		var killed time.Time
		if round%2 == 0 {
			victim.Store(p)
			select {
			case killed = <-kills:
			case <-time.After(30 * time.Second):
				t.Fatal("no write request within 30 s")
			}
			p.cmd.Wait()
		} else {
			time.Sleep(time.Duration(rand.N(1000)) * time.Millisecond)
			p.stop(t, syscall.SIGKILL)
			killed = time.Now()
		}
		outages = append(outages, outage{killed: killed})
		time.Sleep(100 * time.Millisecond)
	}
	p := startDDM(t, args...)
	outages[len(outages)-1].restarted = time.Now()
	last := time.Now()
	influxtest.Wait(t, 30*time.Second, "points read a second after the last start", func() bool {
		ts := laneTimes(t, srv, "p3")
		return len(ts) > 0 && ts[len(ts)-1].After(last.Add(time.Second))
	})
	p.stop(t, syscall.SIGTERM)

	for _, port := range []string{"p1", "p2", "p3"} {
		ts := laneTimes(t, srv, port)
		if len(ts) < 20 {
			t.Fatalf("%s: only %d points", port, len(ts))
		}
		var worst time.Duration
		for i := 1; i < len(ts); i++ {
			gap := ts[i].Sub(ts[i-1])
			across := -1
			for k, o := range outages {
				if !ts[i-1].After(o.killed) && !ts[i].Before(o.restarted) {
					across = k
				}
			}
			if across < 0 {
				if gap > 3*interval {
					t.Errorf("%s: %v without a point between %v and %v, while a process ran", port, gap,
						ts[i-1].Format("15:04:05.000"), ts[i].Format("15:04:05.000"))
				}
				continue
			}
			// The last point before the kill: what is missing after it is
			// what the kill lost.
			lost := outages[across].killed.Sub(ts[i-1])
			worst = max(worst, lost)
			if lost > interval+killLossBound {
				t.Errorf("%s: kill %d at %v, last point before it read at %v (%v before): points lost", port, across+1,
					outages[across].killed.Format("15:04:05.000"), ts[i-1].Format("15:04:05.000"), lost)
			}
		}
		t.Logf("%s: %d points; the last point before a kill was read at most %v before it (interval %v)", port, len(ts), worst, interval)
	}
}
