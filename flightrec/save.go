package flightrec

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/ddm-agent/ddm/internal/atomicfile"
)

// FileName is the flights' journal in the agent's state folder.
const FileName = "flights.jsonl"

// legacyFileName is the flights' file of ddm before the journal (one JSON
// array rewritten every second); the first rewrite of the journal
// removes it.
const legacyFileName = "flights.json"

// filePerm is the journal's mode: the agent's user only, like its other
// state files (the readings say which links failed and when).
const filePerm = 0o600

// KeepFlights is how many of a port's last flights the journal keeps
// (LoadFile returns these; a rewrite drops the older ones).
const KeepFlights = 4

// maxFileBytes bounds the journal LoadFile reads.
const maxFileBytes = 256 << 20

// maxPending bounds the readings handed out and not yet saved (a state
// folder that refuses writes); beyond it the oldest are dropped from the
// journal (never from InfluxDB) and counted.
const maxPending = 1 << 16

// MaxJournalBytes is the journal's bound (Options.JournalBytes zero): a
// save that would take it past the bound rewrites it with the newest
// flights that fit in three quarters of it, dropping the oldest whole
// flights (each port's newest last) and counting them (TakeDropped). It
// holds the newest flight of each of 64 ports that all flap on every
// lane (some 375 KB each); the journal then grows some 150 KB/s and is
// rewritten about once a minute, never more than this and one save's
// handouts.
const MaxJournalBytes = 32 << 20

// minRewrite is the journal size below which it is never rewritten.
const minRewrite = 1 << 20

// The journal is JSON lines, each about one flight (its id):
//
//	{"id":…,"port":…,"open":{"at":…,"cause":…},"until":…,"records":[…]}  a flight opens, with its window before
//	{"id":…,"trigger":{"at":…,"cause":…},"until":…}                        a trigger joins it
//	{"id":…,"records":[…]}                                                 readings of its after-window
//
//	{"id":…,"until":…,"unrecorded":N}                                      triggers counted past MaxTriggers
//
// (a trigger or readings line of a flight that counted triggers carries
// "unrecorded" too). Each save appends what was handed out since the last
// (Add, Trigger); the file is rewritten (atomically, the lines of each
// port's last KeepFlights flights copied as they are, within the bound)
// at the first save of a process, when it has grown to twice its size
// after the last rewrite, and when the save would take it past its
// bound. A crash loses at most the readings of the last tick (which the
// pipeline also wrote to InfluxDB) and at worst tears the last line,
// which LoadFile skips.
type line struct {
	ID      string        `json:"id"`
	Port    string        `json:"port,omitempty"`
	Open    *savedTrigger `json:"open,omitempty"`
	Trigger *savedTrigger `json:"trigger,omitempty"`
	Until   *time.Time    `json:"until,omitempty"`
	Records []savedRecord `json:"records,omitempty"`
	// Unrecorded (with until) is on a readings line of a flight that
	// counted triggers past MaxTriggers: the count so far.
	Unrecorded int `json:"unrecorded,omitempty"`
}

type savedTrigger struct {
	At    time.Time `json:"at"`
	Cause string    `json:"cause"`
}

// savedRecord is a Record in the file: monitors not read are absent
// (JSON has no NaN).
type savedRecord struct {
	Time         time.Time `json:"time"`
	Lane         int       `json:"lane,omitempty"`
	Scan         bool      `json:"scan,omitempty"`
	VDM          uint8     `json:"vdm,omitempty"`
	Flags        uint32    `json:"flags,omitempty"`
	TxBiasMA     *float32  `json:"tx_bias_ma,omitempty"`
	TxPowerMW    *float32  `json:"tx_power_mw,omitempty"`
	RxPowerMW    *float32  `json:"rx_power_mw,omitempty"`
	TemperatureC *float32  `json:"temperature_c,omitempty"`
	VccV         *float32  `json:"vcc_v,omitempty"`
	Value        *float32  `json:"value,omitempty"`
}

func opt(v float32) *float32 {
	if math.IsNaN(float64(v)) {
		return nil
	}
	return &v
}

func val(v *float32) float32 {
	if v == nil {
		return NaN
	}
	return *v
}

func saveRecord(r *Record) savedRecord {
	return savedRecord{Time: r.Time, Lane: r.Lane, Scan: r.Scan, VDM: r.VDM, Flags: r.Flags, TxBiasMA: opt(r.TxBiasMA),
		TxPowerMW: opt(r.TxPowerMW), RxPowerMW: opt(r.RxPowerMW), TemperatureC: opt(r.TemperatureC), VccV: opt(r.VccV), Value: opt(r.Value)}
}

func (sr *savedRecord) record() Record {
	return Record{Time: sr.Time, Lane: sr.Lane, Scan: sr.Scan, VDM: sr.VDM, Flags: sr.Flags, TxBiasMA: val(sr.TxBiasMA),
		TxPowerMW: val(sr.TxPowerMW), RxPowerMW: val(sr.RxPowerMW), TemperatureC: val(sr.TemperatureC), VccV: val(sr.VccV), Value: val(sr.Value)}
}

// journal is what the flights handed out since the last save, and the
// file's state.
type journal struct {
	pending []pendingFlight
	// records counts the readings pending; dropped those dropped since
	// the last save.
	records, dropped int
	// written: the file was rewritten by this process; size is its size
	// now and base after the last rewrite.
	written    bool
	size, base int64
	// cut is what rewrites dropped to keep the journal within its bound
	// since the last TakeDropped.
	cut compaction
}

// TakeDropped returns the flights (and their readings) that rewrites of
// the journal dropped to keep it within its bound since the last call,
// so the caller logs each once. They were written to InfluxDB.
func (r *Recorder) TakeDropped() (flights, readings int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.j.cut
	r.j.cut = compaction{}
	return c.flights, c.readings
}

// pendingFlight is one handout to save: an opening (open) or what
// joined the flight after it.
type pendingFlight struct {
	f    Flight
	open bool
}

// add queues a handout for the next save (when the journal is on).
func (j *journal) add(on bool, f *Flight, open bool) {
	if !on {
		return
	}
	j.pending = append(j.pending, pendingFlight{f: *f, open: open})
	j.records += len(f.Records)
	for j.records > maxPending && len(j.pending) > 1 {
		j.records -= len(j.pending[0].f.Records)
		j.dropped += len(j.pending[0].f.Records)
		j.pending[0] = pendingFlight{}
		j.pending = j.pending[1:]
	}
}

// lines is a handout as journal lines: an opening's line, a trigger's
// line each, and one for its readings.
func (p *pendingFlight) lines(out []line) []line {
	f := &p.f
	recs := make([]savedRecord, len(f.Records))
	for i := range f.Records {
		recs[i] = saveRecord(&f.Records[i])
	}
	until := f.Until
	if p.open {
		tr := savedTrigger{At: f.At, Cause: f.Trigger}
		out = append(out, line{ID: f.ID, Port: f.Port, Open: &tr, Until: &until, Records: recs})
		for _, t := range f.Triggers[min(1, len(f.Triggers)):] {
			out = append(out, line{ID: f.ID, Trigger: &savedTrigger{At: t.At, Cause: t.Cause}, Until: &until})
		}
		return out
	}
	for _, t := range f.Triggers {
		out = append(out, line{ID: f.ID, Trigger: &savedTrigger{At: t.At, Cause: t.Cause}, Until: &until, Unrecorded: f.Unrecorded})
	}
	if len(recs) > 0 || (len(f.Triggers) == 0 && f.Unrecorded > 0) {
		// Readings, or triggers counted past MaxTriggers (the count and
		// the after-window's end they extended).
		l := line{ID: f.ID, Records: recs, Unrecorded: f.Unrecorded}
		if f.Unrecorded > 0 {
			l.Until = &until
		}
		out = append(out, l)
	}
	return out
}

// counted tells whether p only counts triggers past MaxTriggers.
func (p *pendingFlight) counted() bool {
	return !p.open && len(p.f.Triggers) == 0 && len(p.f.Records) == 0
}

// SaveFile saves what the flights handed out since the last save to the
// journal at path: appended, or the whole journal rewritten atomically at
// the first save and when it has doubled since the last rewrite.
func (r *Recorder) SaveFile(path string) error {
	r.saving.Lock()
	defer r.saving.Unlock()
	r.mu.Lock()
	pending, dropped := r.j.pending, r.j.dropped
	r.j.pending, r.j.records, r.j.dropped = nil, 0, 0
	r.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	// A flight's counted triggers are saved with its last handout of
	// the save (every line of it carries the count): one line a save at
	// most, not one a trigger.
	last := map[string]int{}
	for i := range pending {
		last[pending[i].f.ID] = i
	}
	var ls []line
	for i := range pending {
		if !pending[i].counted() || last[pending[i].f.ID] == i {
			ls = pending[i].lines(ls)
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	var err error
	for k := range ls {
		if err = enc.Encode(&ls[k]); err != nil {
			break
		}
	}
	bound := r.o.JournalBytes
	if bound <= 0 {
		bound = MaxJournalBytes
	}
	rewrite := !r.j.written || r.j.size > max(2*r.j.base, minRewrite) || r.j.size+int64(buf.Len()) > bound
	var size int64
	var cut compaction
	switch {
	case err != nil:
	case rewrite:
		size, cut, err = rewriteFile(path, buf.Bytes(), bound/4*3)
	default:
		err = appendFile(path, buf.Bytes(), r.j.size)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err != nil {
		// Saved next time, before what was handed out since. An append
		// cut back to the journal's size leaves it as it was; otherwise
		// the next save rewrites it (a torn last line is skipped, whole
		// lines of this save would be there twice).
		r.j.pending = append(pending, r.j.pending...)
		for i := range pending {
			r.j.records += len(pending[i].f.Records)
		}
		r.j.dropped += dropped
		var cut *cutBackError
		if !errors.As(err, &cut) {
			r.j.written = false
		}
		return fmt.Errorf("flight recorder: %w", err)
	}
	if rewrite {
		r.j.written, r.j.size, r.j.base = true, size, size
		r.j.cut.flights += cut.flights
		r.j.cut.readings += cut.readings
	} else {
		r.j.size += int64(buf.Len())
	}
	if dropped > 0 {
		return fmt.Errorf("flight recorder: %d readings not saved to %s (more than %d waited for a save; they were written to InfluxDB)", dropped, path, maxPending)
	}
	return nil
}

// cutBackError is an append that failed and was cut back: the journal is
// as it was before it.
type cutBackError struct{ err error }

func (e *cutBackError) Error() string { return e.err.Error() }
func (e *cutBackError) Unwrap() error { return e.err }

// appendFile appends data to the journal of size bytes; a write that
// fails (a full disk) is cut back to size.
func appendFile(path string, data []byte, size int64) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, filePerm)
	if err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		if f.Truncate(size) == nil {
			err = &cutBackError{err}
		}
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// compaction is what a rewrite of the journal dropped to stay within its
// bound: whole flights, the oldest first.
type compaction struct {
	flights, readings int
}

// indexed is a flight of the journal as a rewrite weighs it: its lines'
// bytes and readings, not the readings themselves.
type indexed struct {
	port     string
	bytes    int64
	readings int
	keep     bool
}

// rewriteFile replaces the journal with its flights and those of the
// lines in tail (encoded journal lines), and returns its size: each
// port's last KeepFlights, and of those no more than keepBytes, the
// oldest whole flights dropped first (a port's newest last) and counted.
// It streams the journal twice (to weigh its flights, then to copy the
// lines of those kept) and never holds it in memory. Of a journal damaged
// in the middle the lines before the damage are kept, and the damage
// returned once the new journal is written.
func rewriteFile(path string, tail []byte, keepBytes int64) (int64, compaction, error) {
	var order []*indexed
	byID := map[string]*indexed{}
	weigh := func(raw []byte, h *lineHead) error {
		f := byID[h.ID]
		if h.Open != nil {
			f = &indexed{port: h.Port}
			byID[h.ID] = f
			order = append(order, f)
		}
		if f != nil { // else its opening was dropped: so is the line
			f.bytes += int64(len(raw))
			f.readings += len(h.Records)
		}
		return nil
	}
	valid, damage := eachLine(path, -1, weigh)
	if errors.Is(damage, fs.ErrNotExist) {
		damage = nil
	}
	// A journal that cannot be read is replaced like a damaged one.
	valid = max(valid, 0)
	if _, err := scanLines(bytes.NewReader(tail), "pending flights", weigh); err != nil {
		return 0, compaction{}, err
	}
	dropped := choose(order, keepBytes)

	var size int64
	err := atomicfile.Write(path, filePerm, func(w io.Writer) error {
		cw := &countingWriter{w: w}
		bw := bufio.NewWriterSize(cw, 64<<10)
		copyKept := func(raw []byte, h *lineHead) error {
			if f := byID[h.ID]; f != nil && f.keep {
				if _, err := bw.Write(raw); err != nil {
					return err
				}
				if raw[len(raw)-1] != '\n' {
					return bw.WriteByte('\n')
				}
			}
			return nil
		}
		if valid > 0 {
			if _, err := eachLine(path, valid, copyKept); err != nil {
				return err
			}
		}
		if _, err := scanLines(bytes.NewReader(tail), "pending flights", copyKept); err != nil {
			return err
		}
		if err := bw.Flush(); err != nil {
			return err
		}
		size = cw.n
		return nil
	})
	if err == nil {
		if rerr := os.Remove(filepath.Join(filepath.Dir(path), legacyFileName)); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = rerr
		}
	}
	if err == nil && damage != nil {
		err = fmt.Errorf("%w (the journal was rewritten without it and the lines after it)", damage)
	}
	return size, dropped, err
}

// choose marks the flights a rewrite keeps (order: as they opened): each
// port's last KeepFlights; then, while they weigh more than keepBytes,
// it drops the oldest whole flights, first those that are not their
// port's newest, then those, never the newest of all. It returns what
// the bound dropped.
func choose(order []*indexed, keepBytes int64) compaction {
	perPort := map[string]int{}
	newest := map[string]*indexed{}
	var total int64
	for i := len(order) - 1; i >= 0; i-- {
		f := order[i]
		if perPort[f.port]++; perPort[f.port] <= KeepFlights {
			f.keep = true
			total += f.bytes
		}
		if newest[f.port] == nil {
			newest[f.port] = f
		}
	}
	var dropped compaction
	for _, newestToo := range []bool{false, true} {
		for _, f := range order[:max(len(order)-1, 0)] {
			if total <= keepBytes {
				return dropped
			}
			if f.keep && (newestToo || newest[f.port] != f) {
				f.keep = false
				total -= f.bytes
				dropped.flights++
				dropped.readings += f.readings
			}
		}
	}
	return dropped
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// lineHead is what a rewrite reads of a journal line: its flight, and
// the number of its readings (not the readings).
type lineHead struct {
	ID      string     `json:"id"`
	Port    string     `json:"port,omitempty"`
	Open    *struct{}  `json:"open,omitempty"`
	Records []struct{} `json:"records,omitempty"`
}

// eachLine calls fn with each line of the journal at path (its first
// limit bytes; -1: up to maxFileBytes) and returns how many bytes of it
// are whole lines before any damage (-1: the file could not be read).
func eachLine(path string, limit int64, fn func(raw []byte, h *lineHead) error) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return -1, err
	}
	defer f.Close()
	if limit < 0 || limit > maxFileBytes {
		limit = maxFileBytes
	}
	return scanLines(io.LimitReader(f, limit), path, fn)
}

// scanLines calls fn with each line of rd (raw valid during the call only:
// one buffer holds each line in turn) and its head, and returns the
// bytes of the whole lines read. A torn last line (a crash mid-append)
// is skipped; a damaged line before it ends the scan with an error that
// names it.
func scanLines(rd io.Reader, path string, fn func(raw []byte, h *lineHead) error) (int64, error) {
	br := bufio.NewReaderSize(rd, 64<<10)
	var valid int64
	var line []byte // reused: a journal of any size is read through one line's buffer
	for n := 1; ; n++ {
		b, err := readLine(br, line[:0])
		line = b
		if len(bytes.TrimSpace(b)) > 0 {
			var h lineHead
			if jerr := json.Unmarshal(b, &h); jerr != nil || h.ID == "" {
				if err == io.EOF {
					return valid, nil // torn by a crash mid-append
				}
				if jerr == nil {
					jerr = errors.New("no flight id")
				}
				return valid, fmt.Errorf("%s line %d: %w", path, n, jerr)
			}
			if ferr := fn(b, &h); ferr != nil {
				return valid, ferr
			}
		}
		valid += int64(len(b))
		if err == io.EOF {
			return valid, nil
		}
		if err != nil {
			return valid, fmt.Errorf("%s: %w", path, err)
		}
	}
}

// readLine appends br's next line (with its newline, if any) to buf.
func readLine(br *bufio.Reader, buf []byte) ([]byte, error) {
	for {
		chunk, err := br.ReadSlice('\n')
		buf = append(buf, chunk...)
		if !errors.Is(err, bufio.ErrBufferFull) {
			return buf, err
		}
	}
}

// loader assembles the flights of a journal's lines as they stream by,
// keeping each port's last KeepFlights (of one port, or of all: "").
type loader struct {
	port    string
	byID    map[string]*Flight
	perPort map[string][]*Flight
	order   []*Flight
}

func (ld *loader) line(raw []byte, h *lineHead) error {
	if h.Open != nil && ld.port != "" && h.Port != ld.port {
		return nil
	}
	f := ld.byID[h.ID]
	if f == nil && h.Open == nil {
		return nil // another port's, or its opening was dropped
	}
	var l line
	if err := json.Unmarshal(raw, &l); err != nil {
		return err
	}
	if l.Open != nil {
		f = &Flight{Port: l.Port, ID: l.ID, Trigger: l.Open.Cause, At: l.Open.At, Triggers: []Trigger{{At: l.Open.At, Cause: l.Open.Cause, Opened: true}}}
		ld.byID[l.ID] = f
		ld.order = append(ld.order, f)
		q := append(ld.perPort[f.Port], f)
		if len(q) > KeepFlights {
			old := q[0]
			if ld.byID[old.ID] == old {
				delete(ld.byID, old.ID)
			}
			*old = Flight{} // marks it dropped; its readings are freed
			q = q[1:]
		}
		ld.perPort[f.Port] = q
	}
	if l.Until != nil && l.Until.After(f.Until) {
		f.Until = *l.Until
	}
	f.Unrecorded = max(f.Unrecorded, l.Unrecorded)
	if l.Trigger != nil {
		f.Triggers = append(f.Triggers, Trigger{At: l.Trigger.At, Cause: l.Trigger.Cause})
	}
	for k := range l.Records {
		f.Records = append(f.Records, l.Records[k].record())
	}
	return nil
}

// LoadFile reads the flights a recorder saved to path: each port's last
// KeepFlights, whole, in the order they opened. Lines of a flight whose
// opening is not in the journal (dropped by a rewrite) are ignored.
func LoadFile(path string) ([]Flight, error) {
	return LoadPort(path, "")
}

// LoadPort is LoadFile for one port (all: ""). It streams the journal:
// it holds the port's last KeepFlights flights, never the whole file.
func LoadPort(path, port string) ([]Flight, error) {
	ld := &loader{port: port, byID: map[string]*Flight{}, perPort: map[string][]*Flight{}}
	if _, err := eachLine(path, -1, ld.line); err != nil {
		return nil, err
	}
	out := make([]Flight, 0, len(ld.order))
	for _, f := range ld.order {
		if f.ID != "" {
			out = append(out, *f)
		}
	}
	return out, nil
}
