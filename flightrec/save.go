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

// minRewrite is the journal size below which it is never rewritten.
const minRewrite = 1 << 20

// The journal is JSON lines, each about one flight (its id):
//
//	{"id":…,"port":…,"open":{"at":…,"cause":…},"until":…,"records":[…]}  a flight opens, with its window before
//	{"id":…,"trigger":{"at":…,"cause":…},"until":…}                        a trigger joins it
//	{"id":…,"records":[…]}                                                 readings of its after-window
//
// Each save appends what was handed out since the last (Add, Trigger);
// the file is rewritten (atomically, each port's last KeepFlights flights
// whole) only at the first save of a process and when it has grown to
// twice its size after the last rewrite. A crash loses at most the
// readings of the last tick (which the pipeline also wrote to InfluxDB)
// and at worst tears the last line, which LoadFile skips.
type line struct {
	ID      string        `json:"id"`
	Port    string        `json:"port,omitempty"`
	Open    *savedTrigger `json:"open,omitempty"`
	Trigger *savedTrigger `json:"trigger,omitempty"`
	Until   *time.Time    `json:"until,omitempty"`
	Records []savedRecord `json:"records,omitempty"`
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
		out = append(out, line{ID: f.ID, Trigger: &savedTrigger{At: t.At, Cause: t.Cause}, Until: &until})
	}
	if len(recs) > 0 {
		out = append(out, line{ID: f.ID, Records: recs})
	}
	return out
}

// SaveFile saves what the flights handed out since the last save to the
// journal at path: appended, or the whole journal rewritten atomically at
// the first save and when it has doubled since the last rewrite.
func (r *Recorder) SaveFile(path string) error {
	r.saving.Lock()
	defer r.saving.Unlock()
	r.mu.Lock()
	pending, dropped := r.j.pending, r.j.dropped
	rewrite := !r.j.written || r.j.size > max(2*r.j.base, minRewrite)
	r.j.pending, r.j.records, r.j.dropped = nil, 0, 0
	r.mu.Unlock()
	if len(pending) == 0 {
		return nil
	}
	var ls []line
	for i := range pending {
		ls = pending[i].lines(ls)
	}
	var buf bytes.Buffer
	var err error
	var size int64
	if rewrite {
		size, err = rewriteFile(path, ls)
	} else {
		enc := json.NewEncoder(&buf)
		for k := range ls {
			if err = enc.Encode(&ls[k]); err != nil {
				break
			}
		}
		if err == nil {
			err = appendFile(path, buf.Bytes(), r.j.size)
		}
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

// rewriteFile replaces the journal with its flights and those of the
// lines in tail (each port's last KeepFlights), and returns its size. Of
// a journal damaged in the middle the lines before the damage are kept,
// and the damage returned once the new journal is written.
func rewriteFile(path string, tail []line) (int64, error) {
	old, lerr := readLines(path)
	if errors.Is(lerr, fs.ErrNotExist) {
		lerr = nil
	}
	var size int64
	err := atomicfile.Write(path, filePerm, func(w io.Writer) error {
		cw := &countingWriter{w: w}
		enc := json.NewEncoder(cw)
		for _, l := range keepLast(append(old, tail...)) {
			if err := enc.Encode(&l); err != nil {
				return err
			}
		}
		size = cw.n
		return nil
	})
	if err == nil {
		if rerr := os.Remove(filepath.Join(filepath.Dir(path), legacyFileName)); rerr != nil && !errors.Is(rerr, fs.ErrNotExist) {
			err = rerr
		}
	}
	if err == nil && lerr != nil {
		err = fmt.Errorf("%w (the journal was rewritten without it and the lines after it)", lerr)
	}
	return size, err
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

// readLines reads the journal's lines; a torn last line (a crash
// mid-append) is skipped.
func readLines(path string) ([]line, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return parseLines(io.LimitReader(f, maxFileBytes), path)
}

func parseLines(rd io.Reader, path string) ([]line, error) {
	br := bufio.NewReader(rd)
	var out []line
	for n := 1; ; n++ {
		b, err := br.ReadBytes('\n')
		if len(bytes.TrimSpace(b)) > 0 {
			var l line
			if jerr := json.Unmarshal(b, &l); jerr != nil || l.ID == "" {
				if err == io.EOF {
					return out, nil // torn by a crash mid-append
				}
				if jerr == nil {
					jerr = errors.New("no flight id")
				}
				return out, fmt.Errorf("%s line %d: %w", path, n, jerr)
			}
			out = append(out, l)
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("%s: %w", path, err)
		}
	}
}

// keepLast is the lines of each port's last KeepFlights flights, each
// written as if it opened now with everything it holds: an opening line
// with every reading, and a line per joined trigger.
func keepLast(ls []line) []line {
	var out []line
	for _, f := range assemble(ls) {
		out = (&pendingFlight{f: f, open: true}).lines(out)
	}
	return out
}

// assemble is the journal's flights, each port's last KeepFlights, in
// the order they opened. Lines of a flight whose opening is not in the
// journal (dropped by a rewrite) are ignored.
func assemble(ls []line) []Flight {
	var order []*Flight
	byID := map[string]*Flight{}
	perPort := map[string]int{}
	for i := range ls {
		l := &ls[i]
		f := byID[l.ID]
		if l.Open != nil {
			f = &Flight{Port: l.Port, ID: l.ID, Trigger: l.Open.Cause, At: l.Open.At, Triggers: []Trigger{{At: l.Open.At, Cause: l.Open.Cause, Opened: true}}}
			byID[l.ID] = f
			order = append(order, f)
			perPort[f.Port]++
		}
		if f == nil {
			continue
		}
		if l.Until != nil && l.Until.After(f.Until) {
			f.Until = *l.Until
		}
		if l.Trigger != nil {
			f.Triggers = append(f.Triggers, Trigger{At: l.Trigger.At, Cause: l.Trigger.Cause})
		}
		for k := range l.Records {
			f.Records = append(f.Records, l.Records[k].record())
		}
	}
	out := make([]Flight, 0, len(order))
	for _, f := range order {
		if perPort[f.Port] > KeepFlights {
			perPort[f.Port]--
			continue
		}
		out = append(out, *f)
	}
	return out
}

// LoadFile reads the flights a recorder saved to path: each port's last
// KeepFlights, whole, in the order they opened.
func LoadFile(path string) ([]Flight, error) {
	ls, err := readLines(path)
	if err != nil {
		return nil, err
	}
	return assemble(ls), nil
}
