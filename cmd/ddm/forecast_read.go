package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"github.com/ddm-agent/ddm/forecast"
	"github.com/ddm-agent/ddm/schema"
)

// lpReader gathers ddm's own line protocol (what `ddm run --output lp`
// writes, or an InfluxDB export of ddm's measurements) into the series
// `ddm forecast` evaluates. Points may come in any order and spacing,
// from several files; measurements it does not use are skipped.
type lpReader struct {
	// until: samples after it are ignored (--at); zero: none.
	until time.Time
	// first and last sample time read (of the series kept).
	first, last time.Time
	series      map[forecast.Key]*forecast.History
	thresholds  map[thresholdKey]latest[[]forecast.Limit]
	vdmLimits   map[forecast.Key]latest[[]forecast.Limit]
	info        map[portKey]latest[string]
	// modules: each xcvr_info point's time and module identity (part
	// number and serial), to start a cage's series at its last swap.
	modules map[portKey][]moduleSeen
	hosts   map[string]bool
}

type portKey struct{ host, port string }

type moduleSeen struct {
	t  time.Time
	id string
}
type thresholdKey struct{ host, port, quantity string }

// latest keeps the value stamped last at or before the evaluation time,
// or, when there is none, the earliest after it.
type latest[T any] struct {
	t   time.Time
	v   T
	set bool
}

func (l *latest[T]) offer(t, until time.Time, v T) {
	before := until.IsZero() || !t.After(until)
	curBefore := until.IsZero() || !l.t.After(until)
	switch {
	case !l.set,
		before && (!curBefore || !t.Before(l.t)),
		!before && !curBefore && t.Before(l.t):
		*l = latest[T]{t: t, v: v, set: true}
	}
}

func newLPReader(until time.Time) *lpReader {
	return &lpReader{
		until:      until,
		series:     map[forecast.Key]*forecast.History{},
		thresholds: map[thresholdKey]latest[[]forecast.Limit]{},
		vdmLimits:  map[forecast.Key]latest[[]forecast.Limit]{},
		info:       map[portKey]latest[string]{},
		modules:    map[portKey][]moduleSeen{},
		hosts:      map[string]bool{},
	}
}

// Quantities forecast from xcvr_lane (per lane) and xcvr_module.
var (
	laneQuantities   = []string{schema.TxBiasMA, schema.TxPowerMW, schema.RxPowerMW}
	moduleQuantities = []string{schema.TemperatureC, schema.LaserTemperatureC}
)

// earliestNS: a timestamp before 2000 is not ddm's (nanoseconds since
// 1970); it is most likely in seconds or milliseconds.
var earliestNS = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// maxLine bounds one line (an xcvr_info point is under 2 KB).
const maxLine = 1 << 20

// lpError is a line the reader refused: file, line and what was wrong.
type lpError struct {
	file string
	line int
	err  error
}

func (e *lpError) Error() string { return fmt.Sprintf("%s:%d: %v", e.file, e.line, e.err) }
func (e *lpError) Unwrap() error { return e.err }

// read reads one file. It stops at the first bad line with an *lpError.
func (r *lpReader) read(name string, in io.Reader) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64*1024), maxLine)
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		// Blank lines, comments, and the DDL/DML lines and context
		// comments of `influx_inspect export`.
		if len(line) == 0 || line[0] == '#' || bytes.HasPrefix(line, []byte("CREATE DATABASE ")) {
			continue
		}
		if err := r.line(line); err != nil {
			return &lpError{file: name, line: n, err: err}
		}
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return &lpError{file: name, line: n + 1, err: fmt.Errorf("line longer than %d bytes", maxLine)}
		}
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// point is one decoded line.
type point struct {
	measurement string
	tags        map[string]string
	fields      map[string]lineprotocol.Value
	t           time.Time
}

func decodeLine(line []byte) (point, error) {
	dec := lineprotocol.NewDecoderWithBytes(line)
	var p point
	if !dec.Next() {
		return p, errors.New("no point")
	}
	m, err := dec.Measurement()
	if err != nil {
		return p, lpCause(err)
	}
	p.measurement = string(m)
	p.tags = map[string]string{}
	for {
		k, v, err := dec.NextTag()
		if err != nil {
			return p, lpCause(err)
		}
		if k == nil {
			break
		}
		p.tags[string(k)] = string(v)
	}
	p.fields = map[string]lineprotocol.Value{}
	for {
		k, v, err := dec.NextField()
		if err != nil {
			return p, lpCause(err)
		}
		if k == nil {
			break
		}
		p.fields[string(k)] = v
	}
	ts, err := dec.TimeBytes()
	if err != nil {
		return p, lpCause(err)
	}
	if ts == nil {
		return p, errors.New("no timestamp (a forecast needs the time of every sample)")
	}
	ns, err := strconv.ParseInt(string(ts), 10, 64)
	if err != nil {
		return p, fmt.Errorf("timestamp %q: %w", ts, err)
	}
	p.t = time.Unix(0, ns).UTC()
	if p.t.Before(earliestNS) {
		return p, fmt.Errorf("timestamp %d is before 2000 in nanoseconds: ddm writes nanoseconds (export with nanosecond precision)", ns)
	}
	if dec.Next() {
		return p, errors.New("more than one point on the line")
	}
	return p, nil
}

// lpCause drops the decoder's own "at line 1:col" (every line is decoded
// alone) but keeps the column.
func lpCause(err error) error {
	var de *lineprotocol.DecodeError
	if errors.As(err, &de) {
		return fmt.Errorf("column %d: %w", de.Column, de.Err)
	}
	return err
}

func (r *lpReader) line(line []byte) error {
	p, err := decodeLine(line)
	if err != nil {
		return err
	}
	switch p.measurement {
	case schema.XcvrLane, schema.XcvrModule, schema.XcvrVDM, schema.XcvrThreshold, schema.XcvrInfo:
	default:
		return nil // another measurement: not forecast
	}
	host, port := p.tags[schema.TagHost], p.tags[schema.TagPort]
	if port == "" {
		return fmt.Errorf("%s point without a port tag", p.measurement)
	}
	pk := portKey{host, port}
	switch p.measurement {
	case schema.XcvrInfo:
		part, err := stringField(p, schema.PartNumber)
		if err != nil {
			return err
		}
		fw, err := stringField(p, schema.FirmwareVersion)
		if err != nil {
			return err
		}
		serial, err := stringField(p, schema.SerialNumber)
		if err != nil {
			return err
		}
		r.modules[pk] = append(r.modules[pk], moduleSeen{p.t, part + "\x00" + serial})
		if part == "" {
			return nil
		}
		l := r.info[pk]
		l.offer(p.t, r.until, part+" firmware "+fw)
		r.info[pk] = l
	case schema.XcvrThreshold:
		q := p.tags[schema.TagQuantity]
		if q == "" {
			return errors.New("xcvr_threshold point without a quantity tag")
		}
		limits, err := limitsOf(p, forecast.ScaleOf(q), "_threshold")
		if err != nil {
			return err
		}
		k := thresholdKey{host, port, q}
		l := r.thresholds[k]
		l.offer(p.t, r.until, limits)
		r.thresholds[k] = l
	case schema.XcvrModule:
		for _, q := range moduleQuantities {
			if err := r.sample(p, forecast.Key{Host: host, Port: port, Quantity: q}, q); err != nil {
				return err
			}
		}
	case schema.XcvrLane:
		lane, err := laneTag(p)
		if err != nil {
			return err
		}
		for _, q := range laneQuantities {
			if err := r.sample(p, forecast.Key{Host: host, Port: port, Lane: lane, Quantity: q}, q); err != nil {
				return err
			}
		}
	case schema.XcvrVDM:
		lane, err := laneTag(p)
		if err != nil {
			return err
		}
		q := vdmQuantity(p.tags[schema.TagObservable], p.tags[schema.TagSide])
		if q == "" {
			return errors.New("xcvr_vdm point without an observable tag")
		}
		k := forecast.Key{Host: host, Port: port, Lane: lane, Quantity: q}
		limits, err := limitsOf(p, forecast.ScaleOf(q), "_threshold")
		if err != nil {
			return err
		}
		if forecast.ScaleOf(q) == forecast.Log10 && strings.HasPrefix(q, "pre_fec_ber") {
			limits = append(limits, forecast.Limit{Name: forecast.KP4LimitName, Value: forecast.KP4Limit, High: true})
		}
		if len(limits) == 0 {
			return nil // an observable without thresholds is not forecast
		}
		l := r.vdmLimits[k]
		l.offer(p.t, r.until, limits)
		r.vdmLimits[k] = l
		return r.sample(p, k, schema.Value)
	}
	return nil
}

// vdmQuantity names a VDM series: the observable, with "_host" for the
// host side (the media side, and observables without a side, keep the
// observable's name: pre_fec_ber is the link's).
func vdmQuantity(observable, side string) string {
	if observable != "" && side == "host" {
		return observable + "_host"
	}
	return observable
}

func laneTag(p point) (int, error) {
	s, ok := p.tags[schema.TagLane]
	if !ok {
		return 0, fmt.Errorf("%s point without a lane tag", p.measurement)
	}
	lane, err := strconv.Atoi(s)
	if err != nil || lane < 1 {
		return 0, fmt.Errorf("%s: lane %q is not a lane number (1, 2, ...)", p.measurement, s)
	}
	return lane, nil
}

// number reads a numeric field: float, or integer (an export may turn
// one into the other). ok is false when the field is absent.
func number(p point, field string) (v float64, ok bool, err error) {
	f, has := p.fields[field]
	if !has {
		return 0, false, nil
	}
	switch f.Kind() {
	case lineprotocol.Float:
		return f.FloatV(), true, nil
	case lineprotocol.Int:
		return float64(f.IntV()), true, nil
	case lineprotocol.Uint:
		return float64(f.UintV()), true, nil
	}
	return 0, false, fmt.Errorf("%s field %s is a %v, not a number", p.measurement, field, f.Kind())
}

func stringField(p point, field string) (string, error) {
	f, has := p.fields[field]
	if !has {
		return "", nil
	}
	if f.Kind() != lineprotocol.String {
		return "", fmt.Errorf("%s field %s is a %v, not a string", p.measurement, field, f.Kind())
	}
	return f.StringV(), nil
}

// limitsOf reads the four threshold fields (high_alarm<suffix>, ...). A
// quantity whose thresholds are all zero has none (a module that never
// set its threshold page); low limits of a ratio on the log scale are
// dropped (fewer errors is never a problem).
func limitsOf(p point, scale forecast.Scale, suffix string) ([]forecast.Limit, error) {
	var limits []forecast.Limit
	allZero := true
	for _, name := range []string{schema.HighAlarm, schema.HighWarning, schema.LowWarning, schema.LowAlarm} {
		v, ok, err := number(p, name+suffix)
		if err != nil {
			return nil, err
		}
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		if v != 0 {
			allZero = false
		}
		high := strings.HasPrefix(name, "high")
		if scale == forecast.Log10 && (!high || v <= 0) {
			continue
		}
		limits = append(limits, forecast.Limit{Name: name, Value: v, High: high})
	}
	if allZero {
		return nil, nil
	}
	return limits, nil
}

// sample adds field of p to the series k.
func (r *lpReader) sample(p point, k forecast.Key, field string) error {
	v, ok, err := number(p, field)
	if err != nil || !ok {
		return err
	}
	if !r.until.IsZero() && p.t.After(r.until) {
		return nil
	}
	h := r.series[k]
	if h == nil {
		h = forecast.NewHistory(forecast.ScaleOf(k.Quantity), 0, 0)
		r.series[k] = h
	}
	if !h.Add(p.t, v) {
		return nil
	}
	r.hosts[k.Host] = true
	if r.first.IsZero() || p.t.Before(r.first) {
		r.first = p.t
	}
	if p.t.After(r.last) {
		r.last = p.t
	}
	return nil
}

// build returns the series in a stable order (host, port in natural
// order, lane, quantity) with their limits and cohorts, as of at. A cage
// whose module was swapped keeps only the samples of the module in it at
// at: another module's trend is not this one's.
func (r *lpReader) build(at time.Time) []*forecast.Series {
	out := make([]*forecast.Series, 0, len(r.series))
	for k, h := range r.series {
		if since, ok := r.insertedAt(portKey{k.Host, k.Port}, at); ok {
			h.DropBefore(since)
		}
		s := &forecast.Series{Key: k, History: h, Cohort: r.info[portKey{k.Host, k.Port}].v}
		if l, ok := r.vdmLimits[k]; ok {
			s.Limits = l.v
		} else {
			s.Limits = r.thresholds[thresholdKey{k.Host, k.Port, k.Quantity}].v
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Key, out[j].Key
		switch {
		case a.Host != b.Host:
			return a.Host < b.Host
		case a.Port != b.Port:
			return naturalLess(a.Port, b.Port)
		case a.Lane != b.Lane:
			return a.Lane < b.Lane
		}
		return a.Quantity < b.Quantity
	})
	return out
}

// insertedAt is when the module in the cage at at was first seen (its
// identity unchanged since); ok is false when the files show no swap.
func (r *lpReader) insertedAt(pk portKey, at time.Time) (time.Time, bool) {
	seen := r.modules[pk]
	sort.Slice(seen, func(i, j int) bool { return seen[i].t.Before(seen[j].t) })
	i := sort.Search(len(seen), func(i int) bool { return seen[i].t.After(at) }) - 1
	if i < 0 {
		return time.Time{}, false
	}
	j := i
	for j > 0 && seen[j-1].id == seen[i].id {
		j--
	}
	return seen[j].t, j > 0
}

// naturalLess orders names with numbers by value: Ethernet1/2 before
// Ethernet1/10.
func naturalLess(a, b string) bool {
	for a != "" && b != "" {
		da, db := digits(a), digits(b)
		if da > 0 && db > 0 {
			na, nb := strings.TrimLeft(a[:da], "0"), strings.TrimLeft(b[:db], "0")
			if len(na) != len(nb) {
				return len(na) < len(nb)
			}
			if na != nb {
				return na < nb
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			return a[0] < b[0]
		}
		a, b = a[1:], b[1:]
	}
	return len(a) < len(b)
}

func digits(s string) int {
	n := 0
	for n < len(s) && s[n] >= '0' && s[n] <= '9' {
		n++
	}
	return n
}
