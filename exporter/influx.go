package exporter

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"github.com/ddm-agent/ddm/internal/failurelog"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	http2 "github.com/influxdata/influxdb-client-go/v2/api/http"
)

// InfluxConfig configures an InfluxWriter. Zero values mean the defaults.
type InfluxConfig struct {
	// URL of the server: http://host:8086 or https://...
	URL string
	// Org is ignored by InfluxDB 1.8 (leave it empty).
	Org string
	// Bucket: InfluxDB 2/3 bucket, or for 1.8 "database/retention-policy"
	// or "database".
	Bucket string

	// Token is "user:password" (or "" without auth) for 1.8, the API token
	// for 2.x. It never comes from the command line (argv is world-readable
	// in /proc): callers read it with config.Token, the one reader of token
	// files and variables (regular file, size cap, no blocking open). It is
	// never logged; InfluxConfig's String and LogValue redact it.
	Token string

	// TLS: CAFile adds a CA to the system pool; CertFile and KeyFile are a
	// client certificate. Server verification is on unless
	// InsecureSkipVerify.
	CAFile             string
	CertFile           string
	KeyFile            string
	InsecureSkipVerify bool

	// BatchSize is the most points per write request; default 5000.
	BatchSize int
	// FlushInterval is how long a point may wait for a full batch; default 1s.
	FlushInterval time.Duration
	// DisableGzip turns off gzip of request bodies (on by default).
	DisableGzip bool
	// Precision truncates timestamps; default time.Millisecond. Lines are
	// spooled and sent with nanosecond timestamps (precision=ns), so a
	// spool written under one Precision replays correctly under another.
	Precision time.Duration
	// Timeout bounds one write request; default 10s.
	Timeout time.Duration
	// RetryInterval is the first retry delay, doubled per failure up to
	// MaxRetryInterval (jittered); defaults 1s and 30s.
	RetryInterval    time.Duration
	MaxRetryInterval time.Duration

	// SpoolDir holds the disk spool (required). SpoolMaxBytes bounds it
	// (default 1 GiB; beyond it the oldest points are dropped and counted).
	SpoolDir      string
	SpoolMaxBytes int64
	// QueueSize bounds the in-memory queue between Write and the spool, in
	// points; default 100000 (beyond it the oldest are dropped and counted).
	QueueSize int
	// MemoryMaxBytes bounds the points held in memory while the disk
	// refuses the spool (they are still sent); default 16 MiB, beyond it
	// the oldest of them are dropped and counted.
	MemoryMaxBytes int64

	// Logger receives failures, recoveries, drops and spool damage;
	// default slog.Default().
	Logger *slog.Logger
	// LogEvery is the most often a failure that goes on is summarised in
	// the log (the first of each kind is logged at once); default 1 min.
	LogEvery time.Duration

	segmentSize int64                // tests: spool segment size
	fsync       func(*os.File) error // tests: replaces the spools' fdatasync
}

// String describes the configuration with the token redacted.
func (c InfluxConfig) String() string {
	tok := ""
	if c.Token != "" {
		tok = "<redacted>"
	}
	return fmt.Sprintf("InfluxConfig{URL:%s Org:%q Bucket:%q Token:%s SpoolDir:%q}",
		c.URL, c.Org, c.Bucket, tok, c.SpoolDir)
}

// LogValue keeps the token out of structured logs.
func (c InfluxConfig) LogValue() slog.Value {
	return slog.StringValue(c.String())
}

func (c *InfluxConfig) defaults() {
	if c.BatchSize <= 0 {
		c.BatchSize = 5000
	}
	if c.FlushInterval <= 0 {
		c.FlushInterval = time.Second
	}
	if c.Precision <= 0 {
		c.Precision = time.Millisecond
	}
	if c.Timeout <= 0 {
		c.Timeout = 10 * time.Second
	}
	if c.RetryInterval <= 0 {
		c.RetryInterval = time.Second
	}
	if c.MaxRetryInterval <= 0 {
		c.MaxRetryInterval = 30 * time.Second
	}
	if c.MaxRetryInterval < c.RetryInterval {
		c.MaxRetryInterval = c.RetryInterval
	}
	if c.SpoolMaxBytes == 0 {
		c.SpoolMaxBytes = DefaultSpoolMaxBytes
	}
	if c.QueueSize <= 0 {
		c.QueueSize = 100000
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.LogEvery <= 0 {
		c.LogEvery = time.Minute
	}
}

func (c *InfluxConfig) tlsConfig() (*tls.Config, error) {
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.InsecureSkipVerify}
	if c.CAFile != "" {
		pem, err := os.ReadFile(c.CAFile)
		if err != nil {
			return nil, fmt.Errorf("influx CA file: %w", err)
		}
		pool, err := x509.SystemCertPool()
		if err != nil || pool == nil {
			pool = x509.NewCertPool()
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("influx CA file %s: no certificate found", c.CAFile)
		}
		tc.RootCAs = pool
	}
	if c.CertFile != "" || c.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(c.CertFile, c.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("influx client certificate: %w", err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// DefaultSpoolMaxBytes bounds the spool when InfluxConfig (and the
// configuration file) leave SpoolMaxBytes out.
const DefaultSpoolMaxBytes = 1 << 30

// CheckToken refuses a token that cannot go in an HTTP header (a line
// break or another control character, e.g. from a token file with an
// extra line): the HTTP client would refuse every request, sending none.
// The error never includes the token. The configuration checks the token
// it reads with it, so a token ddm starts with is one the writer takes.
func CheckToken(token string) error {
	for i, r := range token {
		if unicode.IsControl(r) {
			return fmt.Errorf("the token holds a control character at byte %d (%U; a token file must hold the token alone on one line)", i, r)
		}
	}
	return nil
}

// InfluxWriter is the InfluxDB sink. Write encodes the points into a
// bounded in-memory queue and returns; a spooler goroutine moves the queue
// into the spool as records of at most BatchSize points (to disk, or kept
// in memory while the disk refuses); a sender goroutine takes batches of
// whole records from the spool's head, posts them (gzipped at a fast
// level, in memory it reuses) through the client library's HTTP service,
// and has the spool remove a batch only once the server resolved every
// point of it. Each request's error comes back to the sender: there is no
// error channel to drain. WriteNow (urgent.go) takes a second such lane,
// with a spool and a sender of its own (see lane), so an event never
// waits behind a batch in flight.
//
// Error policy, by the server's answer:
//   - 2xx: the batch is resolved.
//   - a partial write (InfluxDB 1.8 and 2.x answer 400 or 422 "partial
//     write: ... dropped=N": the server wrote the other points): resolved in
//     that one request: N rejected, the rest sent. A field type conflict
//     the answer names (measurement, field, the server's type) is
//     remembered: later points whose field has another type are rejected
//     locally, counted and logged, never sent.
//   - 413 (too large) and a 400 or 422 about the points that is not a
//     partial write (the server took none): the batch is split, first by
//     measurement (so one measurement never holds back the others), then in
//     halves, until the refused points stand alone and are rejected. A 413
//     teaches the writer the size that passes, for the next batches. The
//     isolation of one batch may cost at most 2·log2(n)+8 requests; what it
//     has not resolved by then is rejected and counted, so a server that
//     refuses everything cannot stall the newest points.
//   - connection error, timeout, 404 (database not found), 408, 429, 5xx,
//     401, 403 (counted in AuthErrors: the token may be fixed on the
//     server), a 400 about the request (a wrong bucket), any other status:
//     retried, the unresolved rest of the batch, after a capped exponential
//     backoff driven by a timer (Retry-After is honoured up to
//     MaxRetryInterval). Nothing is dropped.
//
// Every failure is logged: the first of each kind at once, then a summary
// at most every LogEvery while it lasts, and the recovery (see failurelog.Log);
// so are drops, rejections and spool damage.
//
// Points keep the timestamps they were made with. A crash (SIGKILL, power)
// loses only what is in memory: the queue (the last ~50 ms of Writes) and,
// while the disk refuses the spool, the points held in memory instead
// (bounded by MemoryMaxBytes; on a full disk WriteNow's points are written
// in place of the batch lane's oldest segment, dropped and counted, and
// are held in memory only when the batch lane has nothing left on disk); a crash of the machine (power) also the
// urgent points whose record the disk was still syncing, which may have
// been sent meanwhile (milliseconds: the urgent lane sends while it
// syncs). What reached the disk is replayed by the next InfluxWriter on
// the same SpoolDir (and a batch the server took just before the crash is
// sent again, which InfluxDB absorbs: same series and timestamp, same
// point). One process at a time may use a spool directory
// (flock on SpoolDir/ddm-spool.lock and ddm-urgent.lock). SpoolMaxBytes
// and MemoryMaxBytes bound both lanes together: the batch lane keeps
// within what the urgent lane leaves (events before samples).
type InfluxWriter struct {
	cfg    InfluxConfig
	client influxdb2.Client
	// svc posts the requests (the library's authorisation, user agent and
	// error parsing); writeURL is its write endpoint. The body is built
	// and compressed here, in buffers each lane's sender reuses (see post).
	svc      http2.Service
	writeURL string
	// batch takes Write's points, urgent WriteNow's.
	batch, urgent *lane
	logger        *slog.Logger
	fails         *failurelog.Log
	conflicts     *conflictSet
	precision     time.Duration
	// httpClient is ours (bounded answers): the library does not close
	// its idle connections.
	httpClient *http.Client
	// maxBody is the largest request body (bytes) to send, 0 for no limit
	// until a 413 teaches one.
	maxBody atomic.Int64
	sizeOK  atomic.Int64 // requests near maxBody accepted since it was set

	// qmu guards both lanes' queues.
	qmu      sync.Mutex
	qDropped int64
	closed   bool

	stopSpooler chan struct{} // Close: drain the queues and stop
	flushReq    chan struct{} // Close: send everything, then stop
	quit        chan struct{} // Close deadline: stop now
	sendCtx     context.Context
	cancelSend  context.CancelFunc
	closeOnce   sync.Once
	closeErr    error

	written, sent, rejected, invalid, nonFinite atomic.Int64
	requests, retries, authErrors               atomic.Int64
	latency                                     atomic.Int64

	emu       sync.Mutex
	lastErr   string
	lastErrAt time.Time
}

// lineQueue holds encoded lines back to back, each ending in '\n'.
type lineQueue struct {
	buf  []byte
	ends []int // offset after each line's '\n'
}

// reuse empties q for the next use, keeping its memory as bound says.
func (q lineQueue) reuse(bound *reuseBound) lineQueue {
	if !bound.keep(len(q.buf), cap(q.buf)) {
		return lineQueue{}
	}
	return lineQueue{buf: q.buf[:0], ends: q.ends[:0]}
}

// NewInfluxWriter opens (or replays) the spool and starts the writer.
func NewInfluxWriter(cfg InfluxConfig) (*InfluxWriter, error) {
	cfg.defaults()
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("influx: URL %q: want http(s)://host:port", cfg.URL)
	}
	if cfg.Bucket == "" {
		return nil, errors.New("influx: no bucket (InfluxDB 1.8: database/retention-policy)")
	}
	if cfg.SpoolDir == "" {
		return nil, errors.New("influx: no spool directory")
	}
	token := cfg.Token
	if err := CheckToken(token); err != nil {
		return nil, fmt.Errorf("influx token: %w", err)
	}
	tc, err := cfg.tlsConfig()
	if err != nil {
		return nil, err
	}
	w := &InfluxWriter{
		cfg:         cfg,
		logger:      cfg.Logger,
		fails:       failurelog.New(cfg.Logger, cfg.LogEvery),
		conflicts:   newConflictSet(),
		precision:   cfg.Precision,
		stopSpooler: make(chan struct{}),
		flushReq:    make(chan struct{}),
		quit:        make(chan struct{}),
	}
	w.batch, w.urgent = newLane(w, laneBatch), newLane(w, laneUrgent)
	w.batch.other, w.urgent.other = w.urgent, w.batch
	so := spoolOptions{
		dir: cfg.SpoolDir, lane: laneUrgent, maxBytes: cfg.SpoolMaxBytes, memMaxBytes: cfg.MemoryMaxBytes, segmentSize: cfg.segmentSize,
		syncLater: true, fsync: cfg.fsync, logger: cfg.Logger, onDisk: w.diskEvent, onDrop: w.dropEvent,
		// A full disk: the batch lane's oldest segment makes room for the
		// events (the batch spool is open before any record is written).
		makeRoom: func() bool { return w.batch.spool != nil && w.batch.spool.makeRoom() },
	}
	if w.urgent.spool, err = openSpool(so); err != nil {
		return nil, err
	}
	so.lane, so.shared, so.syncLater, so.makeRoom = laneBatch, w.urgent.spool.held, false, nil
	if w.batch.spool, err = openSpool(so); err != nil {
		_ = w.urgent.spool.close()
		return nil, err
	}
	// The per-request context bounds each write to Timeout; the client's
	// own time-out is a backstop a second later.
	w.httpClient = newHTTPClient(tc, cfg.Timeout+time.Second)
	opts := influxdb2.DefaultOptions().
		SetUseGZip(!cfg.DisableGzip).
		SetPrecision(time.Nanosecond).
		SetHTTPClient(w.httpClient).
		SetLogLevel(0).
		SetApplicationName("ddm")
	w.client = influxdb2.NewClientWithOptions(cfg.URL, token, opts)
	w.svc = w.client.HTTPService()
	if w.writeURL, err = writeURL(w.svc.ServerAPIURL(), cfg.Org, cfg.Bucket); err != nil {
		for _, l := range w.lanes() {
			_ = l.spool.close()
		}
		return nil, err
	}
	w.sendCtx, w.cancelSend = context.WithCancel(context.Background())
	for _, l := range w.lanes() {
		go l.spooler()
		go l.sender()
	}
	return w, nil
}

// lanes are the writer's lanes, the urgent one first.
func (w *InfluxWriter) lanes() [2]*lane { return [2]*lane{w.urgent, w.batch} }

// diskEvent logs the spool's disk failures and its recovery.
func (w *InfluxWriter) diskEvent(err error) {
	if err == nil {
		w.fails.OK("spool", "writing to disk again; the points held in memory meanwhile are on disk now", "dir", w.batch.spool.dir)
		return
	}
	w.setErr(fmt.Errorf("spool write: %w", err))
	w.fails.Fail(slog.LevelError, "spool", failurelog.ErrnoKind(err), err.Error(),
		"effect", "points stay in memory (bounded by MemoryMaxBytes) and are still sent; the disk is tried again every second",
		"dir", w.batch.spool.dir)
}

// dropEvent logs points the bounds dropped.
func (w *InfluxWriter) dropEvent(why string, points int64) {
	w.setErr(fmt.Errorf("%d points dropped: %s", points, why))
	w.fails.Fail(slog.LevelWarn, "dropped", why, fmt.Sprintf("%d points dropped", points), "points", points)
}

func notify(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Write encodes the points and queues them; it never blocks on I/O. When
// the queue is full the oldest queued points are dropped and counted.
func (w *InfluxWriter) Write(points ...Point) { w.write(w.batch, points) }

// write encodes the points into the queue of lane l.
func (w *InfluxWriter) write(l *lane, points []Point) {
	if len(points) == 0 {
		return
	}
	now := time.Now()
	var invalid []error
	var dropped int
	w.qmu.Lock()
	if w.closed {
		w.qDropped += int64(len(points))
		w.written.Add(int64(len(points)))
		w.qmu.Unlock()
		return
	}
	q := &l.queue
	for i := range points {
		p := &points[i]
		w.written.Add(1)
		w.nonFinite.Add(int64(p.NonFinite))
		if p.Time.IsZero() {
			pt := *p
			pt.Time = now
			p = &pt
		}
		b, err := appendLine(q.buf, p, w.precision)
		if err != nil {
			w.invalid.Add(1)
			invalid = append(invalid, err)
			continue
		}
		q.buf = append(b, '\n')
		q.ends = append(q.ends, len(q.buf))
	}
	if over := len(q.ends) - w.cfg.QueueSize; over > 0 {
		cut := q.ends[over-1]
		q.buf = q.buf[:copy(q.buf, q.buf[cut:])]
		q.ends = q.ends[:copy(q.ends, q.ends[over:])]
		for i := range q.ends {
			q.ends[i] -= cut
		}
		w.qDropped += int64(over)
		dropped = over
	}
	w.qmu.Unlock()
	for _, err := range invalid {
		w.setErr(fmt.Errorf("invalid point: %w", err))
		w.fails.Fail(slog.LevelWarn, "invalid", "point cannot be encoded", err.Error())
	}
	if dropped > 0 {
		w.dropEvent("queue full (QueueSize): oldest points dropped", int64(dropped))
	}
	notify(l.qNotify)
}

// backoff is the delay before the next attempt after failures consecutive
// failures: RetryInterval·2^(failures-1), capped, jittered to [d/2, d];
// a Retry-After from the server is used instead, within the cap.
func (w *InfluxWriter) backoff(failures int, err error) time.Duration {
	var he *http2.Error
	if errors.As(err, &he) && he.RetryAfter > 0 {
		return min(time.Duration(he.RetryAfter)*time.Second, w.cfg.MaxRetryInterval)
	}
	d := w.cfg.RetryInterval
	for i := 1; i < failures && d < w.cfg.MaxRetryInterval; i++ {
		d *= 2
	}
	return jitter(min(d, w.cfg.MaxRetryInterval))
}

func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	return d/2 + rand.N(d/2+1)
}

func (w *InfluxWriter) setErr(err error) {
	w.emu.Lock()
	w.lastErr, w.lastErrAt = failurelog.Clip(err.Error()), time.Now()
	w.emu.Unlock()
}

// Stats returns the writer's counters. QueueDepth counts the points in
// memory: the queue, and the points the spool holds in memory while the
// disk refuses them; SpoolPoints those on disk.
func (w *InfluxWriter) Stats() Stats {
	w.qmu.Lock()
	qd, qdrop := len(w.batch.queue.ends)+len(w.urgent.queue.ends), w.qDropped
	w.qmu.Unlock()
	ss := w.batch.spool.stats().add(w.urgent.spool.stats())
	w.emu.Lock()
	le, lt := w.lastErr, w.lastErrAt
	w.emu.Unlock()
	return Stats{
		QueueDepth:      qd + int(ss.memPoints),
		SpoolBytes:      ss.bytes,
		SpoolPoints:     ss.diskPoints,
		Written:         w.written.Load(),
		Sent:            w.sent.Load(),
		Dropped:         qdrop + ss.dropped,
		Rejected:        w.rejected.Load(),
		Invalid:         w.invalid.Load(),
		Corrupt:         ss.corrupt,
		NonFiniteFields: w.nonFinite.Load(),
		Requests:        w.requests.Load(),
		Retries:         w.retries.Load(),
		AuthErrors:      w.authErrors.Load(),
		LastError:       le,
		LastErrorTime:   lt,
		WriteLatency:    time.Duration(w.latency.Load()),
	}
}

// Close stops accepting points, moves the queue to the spool, and sends
// what it can until ctx is done. What is not sent stays in the spool for
// the next InfluxWriter on the same SpoolDir. It returns an error (wrapping
// ctx's) when points were left in the spool. Close may be called more than
// once.
func (w *InfluxWriter) Close(ctx context.Context) error {
	w.closeOnce.Do(func() { w.closeErr = w.close(ctx) })
	return w.closeErr
}

func (w *InfluxWriter) close(ctx context.Context) error {
	w.qmu.Lock()
	w.closed = true
	w.qmu.Unlock()
	close(w.stopSpooler)
	close(w.flushReq)

	// Both senders drain their lanes at once, until the deadline.
	for _, l := range w.lanes() {
		select {
		case <-l.senderDone:
		case <-ctx.Done():
		}
	}
	if ctx.Err() != nil {
		close(w.quit)
		w.cancelSend()
	}
	left := 0
	for _, l := range w.lanes() {
		<-l.senderDone
		// The spooler only writes to local disk; wait for it so that
		// nothing queued is lost.
		<-l.spoolerDone
		left += l.spool.len()
	}
	w.cancelSend()
	var errs []error
	for _, l := range w.lanes() {
		errs = append(errs, l.spool.close())
	}
	w.client.Close()
	w.httpClient.CloseIdleConnections()
	if left > 0 {
		cause := ctx.Err()
		if cause == nil {
			cause = errors.New("not sent")
		}
		errs = append([]error{fmt.Errorf("influx: %d points left in the spool %s: %w", left, w.batch.spool.dir, cause)}, errs...)
	}
	return errors.Join(errs...)
}
