package exporter

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	influxdb2 "github.com/influxdata/influxdb-client-go/v2"
	"github.com/influxdata/influxdb-client-go/v2/api"
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

	// The token ("user:password" or "" without auth for 1.8) is Token if
	// set, else the content of TokenFile, else the environment variable
	// named by TokenEnv. It never comes from the command line (argv is
	// world-readable in /proc): callers fill Token from config.Token. It is
	// never logged; InfluxConfig's String and LogValue redact it.
	Token     string
	TokenFile string
	TokenEnv  string

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

	// Logger receives warnings (spool corruption); default slog.Default().
	Logger *slog.Logger

	segmentSize int // tests: spool segment size
}

// String describes the configuration with the token redacted.
func (c InfluxConfig) String() string {
	tok := ""
	if c.Token != "" {
		tok = "<redacted>"
	}
	return fmt.Sprintf("InfluxConfig{URL:%s Org:%q Bucket:%q Token:%s TokenFile:%q TokenEnv:%q SpoolDir:%q}",
		c.URL, c.Org, c.Bucket, tok, c.TokenFile, c.TokenEnv, c.SpoolDir)
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
		c.SpoolMaxBytes = 1 << 30
	}
	if c.QueueSize <= 0 {
		c.QueueSize = 100000
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

func (c *InfluxConfig) token() (string, error) {
	switch {
	case c.Token != "":
		return c.Token, nil
	case c.TokenFile != "":
		b, err := os.ReadFile(c.TokenFile)
		if err != nil {
			return "", fmt.Errorf("influx token file: %w", err)
		}
		return strings.TrimSpace(string(b)), nil
	case c.TokenEnv != "":
		return os.Getenv(c.TokenEnv), nil
	}
	return "", nil
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

// InfluxWriter is the InfluxDB sink. Write appends to a bounded in-memory
// queue and returns; a spooler goroutine moves the queue into the disk
// spool; a sender goroutine writes batches from the spool head, in order,
// with the client's WriteAPIBlocking, and removes them from the spool only
// once the server accepted them. WriteAPIBlocking returns each request's
// error to the caller: there is no error channel to drain.
//
// Error policy, by the server's answer:
//   - 2xx: the batch is removed from the spool.
//   - connection error, timeout, 404 (database not found), 408, 429, 5xx,
//     any other status: retried, from the same spool head, after a capped
//     exponential backoff driven by a timer (Retry-After is honoured up to
//     MaxRetryInterval). Nothing is dropped.
//   - 401, 403: retried the same way and counted in AuthErrors (the token
//     may be fixed on the server); nothing is dropped.
//   - 413 (too large): the batch is split in halves, sent in order; a
//     single point answered 413 is rejected (counted, dropped).
//   - 400 about the points (partial write, field type conflict, unable to
//     parse, beyond retention policy, series/tag limits) and 422: the batch
//     is split in halves until the refused points stand alone; each is
//     rejected (counted in Rejected, LastError says why), the rest are
//     written. Re-sending points the server already took in a partial write
//     is harmless: a point with the same series and timestamp overwrites
//     itself. A 400 about the request (anything else) is retried like a
//     5xx: a configuration error must not empty the spool.
//
// Points keep the timestamps they were made with. A crash (SIGKILL, power)
// loses only the in-memory queue, the last ~50 ms of Writes; what reached
// the spool is replayed by the next InfluxWriter on the same SpoolDir
// (and a batch the server took just before the crash is sent again, which
// InfluxDB absorbs: same series and timestamp, same point). One process
// at a time may use a spool directory (flock on <SpoolDir>.lock).
type InfluxWriter struct {
	cfg    InfluxConfig
	client influxdb2.Client
	// httpClient is ours (bounded answers): the library does not close
	// its idle connections.
	httpClient *http.Client
	api        api.WriteAPIBlocking
	spool      *spool
	logger     *slog.Logger
	precision  time.Duration

	qmu      sync.Mutex
	queue    [][]byte
	qDropped int64
	closed   bool

	qNotify     chan struct{} // queue grew
	spoolNotify chan struct{} // spool grew
	stopSpooler chan struct{} // Close: drain the queue and stop
	spoolerDone chan struct{}
	flushReq    chan struct{} // Close: send everything, then stop
	quit        chan struct{} // Close deadline: stop now
	senderDone  chan struct{}
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
	token, err := cfg.token()
	if err != nil {
		return nil, err
	}
	tc, err := cfg.tlsConfig()
	if err != nil {
		return nil, err
	}
	sp, err := openSpool(spoolOptions{dir: cfg.SpoolDir, maxBytes: cfg.SpoolMaxBytes, segmentSize: cfg.segmentSize, logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	// The per-request context bounds each write to Timeout; the client's
	// own time-out is a backstop a second later.
	hc := newHTTPClient(tc, cfg.Timeout+time.Second)
	opts := influxdb2.DefaultOptions().
		SetUseGZip(!cfg.DisableGzip).
		SetPrecision(time.Nanosecond).
		SetHTTPClient(hc).
		SetLogLevel(0).
		SetApplicationName("ddm")
	client := influxdb2.NewClientWithOptions(cfg.URL, token, opts)
	w := &InfluxWriter{
		cfg:         cfg,
		client:      client,
		httpClient:  hc,
		api:         client.WriteAPIBlocking(cfg.Org, cfg.Bucket),
		spool:       sp,
		logger:      cfg.Logger,
		precision:   cfg.Precision,
		qNotify:     make(chan struct{}, 1),
		spoolNotify: make(chan struct{}, 1),
		stopSpooler: make(chan struct{}),
		spoolerDone: make(chan struct{}),
		flushReq:    make(chan struct{}),
		quit:        make(chan struct{}),
		senderDone:  make(chan struct{}),
	}
	w.sendCtx, w.cancelSend = context.WithCancel(context.Background())
	go w.spooler()
	go w.sender()
	return w, nil
}

func notify(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// Write encodes the points and queues them; it never blocks on I/O. When
// the queue is full the oldest queued points are dropped and counted.
func (w *InfluxWriter) Write(points ...Point) {
	if len(points) == 0 {
		return
	}
	lines := make([][]byte, 0, len(points))
	now := time.Now()
	for i := range points {
		p := points[i]
		w.written.Add(1)
		w.nonFinite.Add(int64(p.NonFinite))
		if p.Time.IsZero() {
			p.Time = now
		}
		b, err := appendLine(nil, &p, w.precision)
		if err != nil {
			w.invalid.Add(1)
			w.setErr(fmt.Errorf("invalid point: %w", err))
			continue
		}
		lines = append(lines, b)
	}
	w.qmu.Lock()
	if w.closed {
		w.qDropped += int64(len(lines))
		w.qmu.Unlock()
		return
	}
	w.queue = append(w.queue, lines...)
	if over := len(w.queue) - w.cfg.QueueSize; over > 0 {
		w.qDropped += int64(over)
		w.queue = append(w.queue[:0:0], w.queue[over:]...)
	}
	w.qmu.Unlock()
	notify(w.qNotify)
}

// spooler moves the queue into the spool, one fsync'ed write per burst of
// Write calls (it waits up to 50 ms, or a quarter of FlushInterval, after
// the first for more).
func (w *InfluxWriter) spooler() {
	defer close(w.spoolerDone)
	var held [][]byte // taken from the queue, not yet on disk
	backoff := w.cfg.RetryInterval
	var retry <-chan time.Time
	stop := w.stopSpooler
	stopping := false
	coalesce := min(50*time.Millisecond, w.cfg.FlushInterval/4)
	for {
		if len(held) == 0 {
			w.qmu.Lock()
			held, w.queue = w.queue, nil
			w.qmu.Unlock()
		}
		if len(held) > 0 && retry == nil {
			n, err := w.spool.append(held)
			held = held[n:]
			if n > 0 {
				notify(w.spoolNotify)
			}
			if err == nil {
				backoff = w.cfg.RetryInterval
				continue
			}
			w.setErr(fmt.Errorf("spool write: %w", err))
			if stopping {
				// Closing and the disk refuses: count what is lost.
				w.qmu.Lock()
				w.qDropped += int64(len(held)) + int64(len(w.queue))
				w.queue = nil
				w.qmu.Unlock()
				return
			}
			retry = time.After(jitter(backoff))
			backoff = min(2*backoff, w.cfg.MaxRetryInterval)
			continue
		}
		if len(held) == 0 && stopping {
			return
		}
		select {
		case <-w.qNotify:
			// Gather what else arrives in the next moment into the same
			// disk write: one fsync per burst, not per Write call.
			t := time.NewTimer(coalesce)
			select {
			case <-t.C:
			case <-stop:
				t.Stop()
				stopping, stop, retry = true, nil, nil
			}
		case <-retry:
			retry = nil
		case <-stop:
			stopping, stop, retry = true, nil, nil
		}
	}
}

// sender writes batches from the spool head: a full batch at once, a
// partial one when the flush interval ticks, everything when closing.
// After a failure it waits for its backoff timer (new points do not
// trigger a retry).
func (w *InfluxWriter) sender() {
	defer close(w.senderDone)
	tick := time.NewTicker(w.cfg.FlushInterval)
	defer tick.Stop()
	var (
		retry          <-chan time.Time
		failures       int
		flushDue       bool
		closing        bool
		spoolerStopped bool
		flushReq       = w.flushReq
		spoolerDone    = w.spoolerDone
	)
	for {
		n := w.spool.len()
		if n == 0 {
			if closing && spoolerStopped {
				return
			}
			flushDue = false
		}
		if retry == nil && n > 0 && (n >= w.cfg.BatchSize || flushDue || closing) {
			err := w.sendBatch()
			if err == nil {
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
		case <-w.spoolNotify:
		case <-tick.C:
			flushDue = true
		case <-retry:
			retry, flushDue = nil, true
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

var errSpoolUnreadable = errors.New("spool: cannot read the head")

// sendBatch sends one batch from the spool head and removes what the
// server resolved.
func (w *InfluxWriter) sendBatch() error {
	first, lines := w.spool.peek(w.cfg.BatchSize)
	if len(lines) == 0 {
		if w.spool.len() > 0 {
			// The spool cannot be read (it failed to reopen): back off
			// rather than spin.
			return errSpoolUnreadable
		}
		return nil
	}
	resolved, err := w.post(lines)
	w.spool.ack(first, lines, resolved)
	return err
}

// post writes lines, splitting on 413 and 400 as the policy says. It
// returns how many leading lines were resolved (accepted or rejected for
// good) and the error that stopped it, if any.
func (w *InfluxWriter) post(lines [][]byte) (int, error) {
	n := 0
	for _, l := range lines {
		n += len(l) + 1
	}
	var body strings.Builder
	body.Grow(n)
	for i, l := range lines {
		if i > 0 {
			body.WriteByte('\n')
		}
		body.Write(l)
	}
	ctx, cancel := context.WithTimeout(w.sendCtx, w.cfg.Timeout)
	defer cancel()
	start := time.Now()
	w.requests.Add(1)
	err := w.api.WriteRecord(ctx, body.String())
	if err == nil {
		w.latency.Store(int64(time.Since(start)))
		w.sent.Add(int64(len(lines)))
		return len(lines), nil
	}
	status := 0
	var he *http2.Error
	if errors.As(err, &he) {
		status = he.StatusCode
	}
	split := status == http.StatusRequestEntityTooLarge || status == http.StatusUnprocessableEntity ||
		(status == http.StatusBadRequest && pointLevel(he))
	if split {
		if len(lines) == 1 {
			w.rejected.Add(1)
			w.setErr(fmt.Errorf("point rejected (HTTP %d): %w", status, err))
			return 1, nil
		}
		if status != http.StatusRequestEntityTooLarge {
			w.setErr(fmt.Errorf("batch of %d refused (HTTP %d), isolating the bad points: %w", len(lines), status, err))
		}
		mid := len(lines) / 2
		a, err := w.post(lines[:mid])
		if err != nil {
			return a, err
		}
		b, err := w.post(lines[mid:])
		return a + b, err
	}
	if status == http.StatusUnauthorized || status == http.StatusForbidden {
		w.authErrors.Add(1)
	}
	if status != 0 {
		err = fmt.Errorf("HTTP %d: %w", status, err)
	}
	w.setErr(err)
	return 0, err
}

// pointLevel reports whether a 400 is about the points (so splitting the
// batch isolates them) rather than the request (a wrong bucket, which
// retrying after the configuration is fixed cures, so nothing is dropped).
func pointLevel(he *http2.Error) bool {
	if he == nil {
		return false
	}
	msg := strings.ToLower(he.Message + " " + he.Code)
	for _, s := range [...]string{
		"partial write", "unable to parse", "field type conflict", "beyond retention policy",
		"max-values-per-tag", "max-series-per-database", "invalid field", "invalid tag",
		"invalid number", "invalid boolean", "bad timestamp", "poorly formed", "invalid field format",
	} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

func (w *InfluxWriter) setErr(err error) {
	w.emu.Lock()
	w.lastErr, w.lastErrAt = err.Error(), time.Now()
	w.emu.Unlock()
}

// Stats returns the writer's counters.
func (w *InfluxWriter) Stats() Stats {
	w.qmu.Lock()
	qd, qdrop := len(w.queue), w.qDropped
	w.qmu.Unlock()
	sb, sp, sdrop, corrupt := w.spool.stats()
	w.emu.Lock()
	le, lt := w.lastErr, w.lastErrAt
	w.emu.Unlock()
	return Stats{
		QueueDepth:      qd,
		SpoolBytes:      sb,
		SpoolPoints:     sp,
		Written:         w.written.Load(),
		Sent:            w.sent.Load(),
		Dropped:         qdrop + sdrop,
		Rejected:        w.rejected.Load(),
		Invalid:         w.invalid.Load(),
		Corrupt:         corrupt,
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

	select {
	case <-w.senderDone:
	case <-ctx.Done():
		close(w.quit)
		w.cancelSend()
		<-w.senderDone
	}
	w.cancelSend()
	// The spooler only writes to local disk; wait for it so that nothing
	// queued is lost.
	<-w.spoolerDone
	left := w.spool.len()
	err := w.spool.close()
	w.client.Close()
	w.httpClient.CloseIdleConnections()
	if left > 0 {
		cause := ctx.Err()
		if cause == nil {
			cause = errors.New("not sent")
		}
		return errors.Join(fmt.Errorf("influx: %d points left in the spool %s: %w", left, w.spool.dir, cause), err)
	}
	return err
}
