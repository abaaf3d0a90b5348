package exporter

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"github.com/ddm-agent/ddm/internal/failurelog"
	"io"
	"log/slog"
	"math/bits"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	http2 "github.com/influxdata/influxdb-client-go/v2/api/http"
	"github.com/influxdata/line-protocol/v2/lineprotocol"
)

// pendingBatch is a batch from the spool and the lines of it the server has
// not resolved yet, in order.
type pendingBatch struct {
	batch *spoolBatch
	lines [][]byte
	// total is the number of lines of batch.payload: a request of that many
	// of them is the whole payload, sent as it is (no copy into a body).
	total int
}

// splitLines returns the lines of payload (each ending in '\n') without
// their newlines; they share payload's memory.
func splitLines(payload []byte) [][]byte {
	return splitLinesInto(make([][]byte, 0, bytes.Count(payload, []byte{'\n'})), payload)
}

// splitLinesInto appends the lines of payload to dst, as splitLines.
func splitLinesInto(dst [][]byte, payload []byte) [][]byte {
	for len(payload) > 0 {
		i := bytes.IndexByte(payload, '\n')
		if i < 0 {
			i = len(payload)
		}
		if i > 0 {
			dst = append(dst, payload[:i])
		}
		payload = payload[min(i+1, len(payload)):]
	}
	return dst
}

// answer is what one write request came to.
type answer struct {
	status  int
	err     error // nil: accepted
	partial bool  // the server wrote the points it did not name as dropped
	dropped int   // points a partial write dropped
	refused bool  // about the points, not the request: isolate them
}

// isolationBudget is the most refused requests the isolation of a batch of
// n lines may cost: 2·log2(n)+8. (Accepted requests are not counted: after
// a 413 a batch takes as many as its size needs.)
func isolationBudget(n int) int { return 2*bits.Len(uint(n)) + 8 }

// deliver sends the unresolved lines of p, isolating refused points and keeping requests within the size a 413
// taught, until
// every line is resolved (nil) or a failure that a retry may cure stops it
// (the error; p.lines keeps the unresolved rest, in order).
func (w *InfluxWriter) deliver(l *lane, p *pendingBatch) error {
	p.lines = w.rejectKnownConflicts(p.lines)
	budget := isolationBudget(len(p.lines))
	// Work is a queue of groups of lines, in order; a group is sent whole
	// and split when refused.
	work := chunk(p.lines, w.maxBody.Load())
	split := false
	for len(work) > 0 {
		if split && budget == 0 {
			n := 0
			for _, g := range work {
				n += len(g)
			}
			w.reject(n, "refused points not isolated within the budget of requests for a batch",
				fmt.Sprintf("the server refused %d points that %d requests could not isolate; dropped so that newer points go through", n, isolationBudget(len(p.lines))))
			p.lines = nil
			return nil
		}
		g := work[0]
		var whole []byte
		if len(g) == p.total {
			whole = p.batch.payload
		}
		a := w.post(l, g, whole)
		switch {
		case a.err == nil:
			w.sent.Add(int64(len(g)))
			w.learnSize(bodySize(g))
		case a.partial:
			dropped := min(max(a.dropped, 1), len(g))
			w.sent.Add(int64(len(g) - dropped))
			w.reject(dropped, partialKind(a.err), a.err.Error())
		case a.refused:
			split = true
			budget--
			work = work[1:]
			switch parts := splitGroup(g, a.status); {
			case len(g) == 1:
				w.reject(1, refusalKind(a), a.err.Error())
			case a.status == http.StatusRequestEntityTooLarge:
				// Too large: the halves next, in order.
				work = append(parts, work...)
			default:
				// Refused: every other group gets its first try before
				// the budget goes into isolating this one further.
				work = append(work, parts...)
			}
			p.lines = flatten(work)
			continue
		default:
			p.lines = flatten(work)
			return a.err
		}
		work = work[1:]
		p.lines = flatten(work)
	}
	return nil
}

// splitGroup splits a refused group: by measurement first when it holds
// several (a refusal about one measurement must not hold back the others),
// else in halves. A 413 is about size: halves.
func splitGroup(g [][]byte, status int) [][][]byte {
	if status != http.StatusRequestEntityTooLarge {
		if byM := byMeasurement(g); len(byM) > 1 {
			return byM
		}
	}
	mid := len(g) / 2
	return [][][]byte{g[:mid], g[mid:]}
}

// byMeasurement groups lines by measurement, groups in order of first
// appearance, lines in order within a group.
func byMeasurement(lines [][]byte) [][][]byte {
	var groups [][][]byte
	index := map[string]int{}
	for _, l := range lines {
		m := string(lineMeasurement(l))
		i, ok := index[m]
		if !ok {
			i = len(groups)
			index[m] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], l)
	}
	return groups
}

// lineMeasurement returns the (escaped) measurement of a line.
func lineMeasurement(l []byte) []byte {
	for i := 0; i < len(l); i++ {
		switch l[i] {
		case '\\':
			i++
		case ',', ' ':
			return l[:i]
		}
	}
	return l
}

// chunk cuts lines into requests of at most maxBody bytes (0: no limit); a
// line larger than that goes alone.
func chunk(lines [][]byte, maxBody int64) [][][]byte {
	if maxBody <= 0 {
		return [][][]byte{lines}
	}
	var out [][][]byte
	start, size := 0, int64(0)
	for i, l := range lines {
		n := int64(len(l) + 1)
		if i > start && size+n > maxBody {
			out = append(out, lines[start:i])
			start, size = i, 0
		}
		size += n
	}
	if start < len(lines) {
		out = append(out, lines[start:])
	}
	return out
}

func bodySize(lines [][]byte) int {
	n := 0
	for _, l := range lines {
		n += len(l) + 1
	}
	return n
}

func flatten(groups [][][]byte) [][]byte {
	var out [][]byte
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// learnSize grows the request size back after a 413 taught a smaller one,
// doubling it after sizeProbeEvery requests of at least half that size
// went through (the server's limit may have been raised).
func (w *InfluxWriter) learnSize(body int) {
	cur := w.maxBody.Load()
	if cur == 0 || int64(body) < cur/2 {
		return
	}
	if w.sizeOK.Add(1) >= sizeProbeEvery {
		w.sizeOK.Store(0)
		w.maxBody.CompareAndSwap(cur, 2*cur)
	}
}

// shrinkSize learns from a 413 for a body of size bytes holding lines: a
// body half that size, unless one line is that large (then that line may be
// the cause alone, and only the body's size is known to be too much).
func (w *InfluxWriter) shrinkSize(lines [][]byte, size int) {
	if len(lines) < 2 {
		return
	}
	largest := 0
	for _, l := range lines {
		largest = max(largest, len(l)+1)
	}
	limit := int64(size / 2)
	if largest > size/2 {
		limit = int64(size - 1)
	}
	for {
		cur := w.maxBody.Load()
		if cur != 0 && cur <= limit {
			return
		}
		if w.maxBody.CompareAndSwap(cur, limit) {
			w.sizeOK.Store(0)
			return
		}
	}
}

const sizeProbeEvery = 100

func (w *InfluxWriter) reject(n int, kind, msg string) {
	w.rejected.Add(int64(n))
	w.setErr(fmt.Errorf("%d points rejected: %s", n, msg))
	w.fails.Fail(slog.LevelWarn, "rejected", kind, msg, "points", n)
}

func partialKind(err error) string {
	msg := err.Error()
	if c, ok := parseConflict(msg); ok {
		return fmt.Sprintf("field type conflict: %s.%s is %s in InfluxDB", c.measurement, c.field, c.serverType)
	}
	if i := strings.Index(msg, "partial write: "); i >= 0 {
		msg = msg[i+len("partial write: "):]
	}
	// The kind must not vary with counts and names (one journal line per
	// kind): keep the reason's words.
	msg = droppedRE.ReplaceAllString(msg, "")
	if i := strings.IndexAny(msg, ":'\"(="); i > 0 {
		msg = msg[:i]
	}
	return "partial write: " + strings.TrimSpace(msg)
}

func refusalKind(a answer) string {
	if a.status == http.StatusRequestEntityTooLarge {
		return "HTTP 413: a single point is too large for the server"
	}
	return fmt.Sprintf("HTTP %d: point refused", a.status)
}

// post sends one request of lines and classifies the answer; a failure
// that is not about the points is logged and counted here. whole, when
// not nil, is lines as one body (the batch's payload, each line ending in
// '\n'); else the lines are copied into a body the lane's sender reuses.
func (w *InfluxWriter) post(l *lane, lines [][]byte, whole []byte) answer {
	body := whole
	if body == nil {
		body = l.req.body[:0]
		for _, line := range lines {
			body = append(append(body, line...), '\n')
		}
		l.req.body = l.req.bodyBound.bytes(body)
	}
	ctx, cancel := context.WithTimeout(w.sendCtx, w.cfg.Timeout)
	defer cancel()
	start := time.Now()
	w.requests.Add(1)
	err := w.send(ctx, &l.req, body)
	if err == nil {
		w.latency.Store(int64(time.Since(start)))
		w.fails.OK(l.domain, "writes accepted again")
		return answer{}
	}
	a := answer{err: err}
	var he *http2.Error
	if errors.As(err, &he) {
		a.status = he.StatusCode
	}
	msg := errorMessage(he, err)
	switch a.status {
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		if strings.Contains(strings.ToLower(msg), "partial write") {
			a.partial = true
			a.dropped = parseDropped(msg)
			if c, ok := parseConflict(msg); ok {
				w.conflicts.add(c)
			}
			a.err = fmt.Errorf("HTTP %d: %s", a.status, msg)
			w.fails.OK(l.domain, "writes accepted again")
			return a
		}
		if a.status == http.StatusUnprocessableEntity || pointLevel(msg) {
			a.refused = true
			a.err = fmt.Errorf("HTTP %d: %s", a.status, msg)
			return a
		}
	case http.StatusRequestEntityTooLarge:
		a.refused = true
		a.err = fmt.Errorf("HTTP 413: %s", msg)
		w.shrinkSize(lines, len(body))
		return a
	case http.StatusUnauthorized, http.StatusForbidden:
		w.authErrors.Add(1)
	}
	if w.sendCtx.Err() != nil {
		return a // closing: not a failure of the server
	}
	kind := requestFailureKind(a.status, err)
	if a.status != 0 {
		a.err = fmt.Errorf("HTTP %d: %s: %w", a.status, msg, err)
	} else {
		a.err = err
	}
	w.setErr(a.err)
	w.fails.Fail(slog.LevelWarn, l.domain, kind, a.err.Error(), "url", w.cfg.URL, "points", len(lines))
	return a
}

// errorMessage is the server's error text: the JSON message, or InfluxDB
// 1.8's X-Influxdb-Error header, or the error.
func errorMessage(he *http2.Error, err error) string {
	if he == nil {
		return err.Error()
	}
	if m := he.Header.Get("X-Influxdb-Error"); m != "" {
		return failurelog.Clip(m)
	}
	if he.Message != "" {
		return failurelog.Clip(he.Message)
	}
	return failurelog.Clip(err.Error())
}

// requestFailureKind names a failed request for the log: the status, or
// what went wrong on the way.
func requestFailureKind(status int, err error) string {
	if status != 0 {
		return fmt.Sprintf("HTTP %d", status)
	}
	var ne net.Error
	var oe *net.OpError
	var ue x509.UnknownAuthorityError
	var he x509.HostnameError
	var ce *tls.CertificateVerificationError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()):
		return "timeout"
	case errors.As(err, &ue) || errors.As(err, &he) || errors.As(err, &ce):
		return "TLS certificate"
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET):
		return "connection closed by the server"
	case errors.As(err, &oe):
		return "connection"
	}
	return "request"
}

// pointLevel reports whether a 400 is about the points (so splitting the
// batch isolates them) rather than the request (a wrong bucket, which
// retrying after the configuration is fixed cures, so nothing is dropped).
func pointLevel(msg string) bool {
	msg = strings.ToLower(msg)
	for _, s := range [...]string{
		"unable to parse", "field type conflict", "beyond retention policy",
		"max-values-per-tag", "max-series-per-database", "invalid field", "invalid tag",
		"invalid number", "invalid boolean", "bad timestamp", "poorly formed", "invalid field format",
	} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

var droppedRE = regexp.MustCompile(`dropped=(\d+)`)

func parseDropped(msg string) int {
	m := droppedRE.FindStringSubmatch(msg)
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// conflict is a field whose type InfluxDB has fixed (per measurement, in
// its shards) to another than some points carry.
type conflict struct {
	measurement, field, serverType string
}

var conflictRE = regexp.MustCompile(`field type conflict: input field "((?:[^"\\]|\\.)*)" on measurement "((?:[^"\\]|\\.)*)" is type (\w+), already exists as type (\w+)`)

// parseConflict reads InfluxDB's field type conflict message.
func parseConflict(msg string) (conflict, bool) {
	m := conflictRE.FindStringSubmatch(msg)
	if m == nil {
		return conflict{}, false
	}
	return conflict{measurement: m[2], field: m[1], serverType: m[4]}, true
}

// conflictSet remembers the field type conflicts the server reported.
type conflictSet struct {
	mu sync.RWMutex
	m  map[string]map[string]string // measurement → field → the server's type
}

func newConflictSet() *conflictSet { return &conflictSet{m: map[string]map[string]string{}} }

func (c *conflictSet) add(k conflict) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f := c.m[k.measurement]
	if f == nil {
		f = map[string]string{}
		c.m[k.measurement] = f
	}
	f[k.field] = k.serverType
}

func (c *conflictSet) fields(measurement string) map[string]string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.m[measurement]
}

func (c *conflictSet) empty() bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m) == 0
}

// influxType is InfluxDB's name of a line protocol value's type.
func influxType(k lineprotocol.ValueKind) string {
	switch k {
	case lineprotocol.Float:
		return "float"
	case lineprotocol.Int:
		return "integer"
	case lineprotocol.Uint:
		return "unsigned"
	case lineprotocol.String:
		return "string"
	case lineprotocol.Bool:
		return "boolean"
	}
	return "unknown"
}

// rejectKnownConflicts removes the lines that carry a field in a type the
// server is known to refuse, rejecting (counting, logging) them locally.
func (w *InfluxWriter) rejectKnownConflicts(lines [][]byte) [][]byte {
	if w.conflicts.empty() {
		return lines
	}
	out := lines[:0:0]
	for _, l := range lines {
		m := lineMeasurement(l)
		fields := w.conflicts.fields(unescapeMeasurement(m))
		if fields == nil {
			out = append(out, l)
			continue
		}
		if c, ok := conflictIn(l, fields); ok {
			w.reject(1, fmt.Sprintf("field type conflict: %s.%s is %s in InfluxDB", c.measurement, c.field, c.serverType),
				fmt.Sprintf("point not sent: InfluxDB has %s.%s as %s, this point's value has another type", c.measurement, c.field, c.serverType))
			continue
		}
		out = append(out, l)
	}
	return out
}

func unescapeMeasurement(m []byte) string {
	if bytes.IndexByte(m, '\\') < 0 {
		return string(m)
	}
	var b strings.Builder
	for i := 0; i < len(m); i++ {
		if m[i] == '\\' && i+1 < len(m) {
			i++
		}
		b.WriteByte(m[i])
	}
	return b.String()
}

// conflictIn reports the first field of line l whose type differs from the
// server's in fields.
func conflictIn(l []byte, fields map[string]string) (c conflict, found bool) {
	m, _ := lineFields(l, func(k []byte, v lineprotocol.Value) bool {
		if t, ok := fields[string(k)]; ok && influxType(v.Kind()) != t {
			c, found = conflict{field: string(k), serverType: t}, true
			return false
		}
		return true
	})
	c.measurement = string(m)
	return c, found
}

// lineFields decodes one line of line protocol and calls fn with each field
// until it returns false; it returns the measurement.
func lineFields(l []byte, fn func(key []byte, v lineprotocol.Value) bool) ([]byte, error) {
	dec := lineprotocol.NewDecoderWithBytes(l)
	if !dec.Next() {
		return nil, errors.New("no line")
	}
	m, err := dec.Measurement()
	if err != nil {
		return nil, err
	}
	for {
		k, _, err := dec.NextTag()
		if err != nil {
			return m, err
		}
		if k == nil {
			break
		}
	}
	for {
		k, v, err := dec.NextField()
		if err != nil || k == nil {
			return m, err
		}
		if !fn(k, v) {
			return m, nil
		}
	}
}
