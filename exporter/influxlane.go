package exporter

import (
	"time"
)

// lane is one way from the writer to the server: a queue that Write (or
// WriteNow) fills, a spool, a spooler goroutine that moves the queue into
// the spool and a sender goroutine that delivers the spool in order. The
// writer has two, each with its own spool files in SpoolDir:
//
//   - the batch lane (Write): the spooler gathers a burst of writes into
//     one record (one fsync), the sender sends a full batch at once and a
//     partial one at the flush interval;
//   - the urgent lane (WriteNow: flag events, alarm transitions): the
//     spooler writes at once and the sender sends as soon as a record is
//     written, while the spooler has the disk make it durable (fsync).
//
// The senders are independent: an event does not wait behind a batch of
// thousands of points in flight on a slow or hung server request (before
// the lanes it did, and under load that was most of its latency). Each
// lane keeps every guarantee of the writer: its spool on disk through an
// outage, delivered in order and once, its own backoff, drained by Close.
type lane struct {
	w      *InfluxWriter
	kind   spoolLane
	spool  *spool
	req    requestBuffers // the sender's
	domain string         // the failure log's domain of its requests
	other  *lane          // the writer's other lane

	// queue holds the encoded lines Write gave the lane (under w.qmu).
	queue lineQueue

	qNotify     chan struct{} // queue grew
	spoolNotify chan struct{} // spool grew
	// reclaim asks the batch lane's spooler to apply its spool's bounds
	// again: the urgent spool grew into them. (The urgent spooler does not
	// do it itself: it would wait for the batch spool's lock, held through
	// a batch's fsync or a read of a large batch.)
	reclaim chan struct{}
	// recovered is told by the other lane when a request of it succeeded
	// after failures: the server is back, so a retry waits no longer.
	recovered   chan struct{}
	spoolerDone chan struct{}
	senderDone  chan struct{}
}

func newLane(w *InfluxWriter, kind spoolLane) *lane {
	l := &lane{
		w: w, kind: kind, domain: "influx",
		qNotify:     make(chan struct{}, 1),
		spoolNotify: make(chan struct{}, 1),
		reclaim:     make(chan struct{}, 1),
		recovered:   make(chan struct{}, 1),
		spoolerDone: make(chan struct{}),
		senderDone:  make(chan struct{}),
	}
	if kind == laneUrgent {
		// Its failures and recovery are logged apart: one lane may fail
		// while the other goes through (a batch too slow for the time-out).
		l.domain = "influx urgent lane"
	}
	return l
}

func (l *lane) urgent() bool { return l.kind == laneUrgent }

// spooler moves the lane's queue into its spool, one record (and one
// fsync) per BatchSize points. On the batch lane it waits up to 50 ms (or
// a quarter of FlushInterval) after the first Write of a burst for more,
// so a burst is one disk write; on the urgent lane it does not wait, and
// syncs each record after the sender was told of it. The spool never
// refuses: what the disk does not take it keeps in memory.
func (l *lane) spooler() {
	w := l.w
	defer close(l.spoolerDone)
	stop := w.stopSpooler
	coalesce := min(50*time.Millisecond, w.cfg.FlushInterval/4)
	if l.urgent() {
		coalesce = 0
	}
	retryDisk := time.NewTicker(time.Second)
	defer retryDisk.Stop()
	// Two queues take turns: Write fills one while the spooler writes the
	// other to the spool, so the lines are encoded once into memory that
	// is reused, not into a queue grown afresh for every burst.
	var (
		spare lineQueue
		bound reuseBound
	)
	for {
		w.qmu.Lock()
		q := l.queue
		l.queue = spare
		w.qmu.Unlock()
		for i := 0; i < len(q.ends); i += w.cfg.BatchSize {
			start := 0
			if i > 0 {
				start = q.ends[i-1]
			}
			j := min(i+w.cfg.BatchSize, len(q.ends))
			_ = l.spool.append(q.buf[start:q.ends[j-1]], j-i) // failures reach diskEvent
		}
		if len(q.ends) > 0 {
			notify(l.spoolNotify)
			if l.urgent() {
				// The batch spool keeps within what the urgent one leaves
				// of the bounds.
				notify(l.other.reclaim)
				// The sender reads and sends the records while the disk
				// makes them durable (spoolOptions.syncLater).
				l.spool.sync()
			}
		}
		spare = q.reuse(&bound)
		if stop == nil {
			return // closing: the queue is drained
		}
		select {
		case <-l.qNotify:
			if coalesce > 0 {
				// Gather what else arrives in the next moment into the
				// same disk write: one fsync per burst, not per Write.
				t := time.NewTimer(coalesce)
				select {
				case <-t.C:
				case <-stop:
					t.Stop()
					stop = nil
				}
			}
		case <-l.reclaim:
			l.spool.enforce()
		case <-retryDisk.C:
			l.spool.retryDisk()
		case <-stop:
			stop = nil
		}
	}
}

// sender sends batches from the lane's spool head: on the batch lane a
// full batch at once and a partial one when the flush interval ticks; on
// the urgent lane whatever is there, at once; everything when closing.
// After a failure it waits for its backoff timer (new points do not
// trigger a retry) and then sends the unresolved rest of the same batch;
// a success of the other lane after failures (the server is back) ends
// the wait.
func (l *lane) sender() {
	w := l.w
	defer close(l.senderDone)
	var tick <-chan time.Time
	if !l.urgent() {
		t := time.NewTicker(w.cfg.FlushInterval)
		defer t.Stop()
		tick = t.C
	}
	var (
		pending        *pendingBatch
		lines          [][]byte // the lines of each batch in turn, reused
		retry          <-chan time.Time
		failures       int
		flushDue       bool
		closing        bool
		spoolerStopped bool
		flushReq       = w.flushReq
		spoolerDone    = l.spoolerDone
	)
	defer func() {
		if pending != nil {
			l.spool.ack(pending.batch, false)
		}
	}()
	for {
		n := l.spool.len()
		if n == 0 && pending == nil {
			if closing && spoolerStopped {
				return
			}
			flushDue = false
		}
		if retry == nil && pending == nil && n > 0 && (l.urgent() || n >= w.cfg.BatchSize || flushDue || closing) {
			if b := l.spool.peek(w.cfg.BatchSize); b != nil {
				lines = splitLinesInto(lines[:0], b.payload)
				pending = &pendingBatch{batch: b, lines: lines, total: len(lines)}
			}
		}
		if retry == nil && pending != nil {
			err := w.deliver(l, pending)
			if err == nil {
				l.spool.ack(pending.batch, true)
				pending = nil
				if failures > 0 {
					notify(l.other.recovered)
				}
				failures = 0
				continue
			}
			if w.sendCtx.Err() != nil {
				return
			}
			failures++
			w.retries.Add(1)
			retry = time.After(w.backoff(failures, err))
			continue
		}
		select {
		case <-l.spoolNotify:
		case <-tick:
			flushDue = true
		case <-retry:
			retry, flushDue = nil, true
		case <-l.recovered:
			if retry != nil {
				retry, flushDue = nil, true
			}
		case <-flushReq:
			// Close: try at once, then keep going until empty or the deadline.
			closing, retry, flushReq = true, nil, nil
		case <-spoolerDone:
			spoolerStopped, spoolerDone = true, nil
		case <-w.quit:
			return
		}
	}
}
