package outlook

import (
	"compress/gzip"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/ddm-agent/ddm/forecast"
	"github.com/ddm-agent/ddm/internal/atomicfile"
)

// FileName is the tracker's file in the state folder.
const FileName = "forecast-history.json.gz"

// stateVersion is the version of the saved format.
const stateVersion = 1

// maxStateBytes bounds what Load decompresses: 64 ports of 16 lanes with
// 28 days of 2-hour buckets are about 30 MB of JSON.
const maxStateBytes = 256 << 20

type stateFile struct {
	Version int         `json:"version"`
	Saved   time.Time   `json:"saved"`
	Ports   []statePort `json:"ports"`
}

type statePort struct {
	Port string `json:"port"`
	identity
	Series []stateSeries `json:"series"`
}

type stateSeries struct {
	Lane     int               `json:"lane,omitempty"`
	Quantity string            `json:"quantity"`
	History  *forecast.History `json:"history"`
}

// Save writes every port's history, gzip-compressed JSON.
//
// It streams the file one port at a time, each port encoded from a copy
// taken alone: Observe waits only for that port's copy, and the save holds
// one port's copy and JSON at a time, not the switch's (a month of 64
// ports is about 40 MB of JSON: building it whole allocated 160 MB an
// hour, see BenchmarkSaveFullSwitch). The file is what encoding a
// stateFile whole would write, one port a line.
func (t *Tracker) Save(w io.Writer, now time.Time) error {
	zw, err := gzip.NewWriterLevel(w, gzip.BestSpeed)
	if err != nil {
		return fmt.Errorf("forecast history: %w", err)
	}
	if err := t.encodePorts(zw, now); err != nil {
		return fmt.Errorf("forecast history: %w", err)
	}
	return zw.Close()
}

// encodePorts writes the JSON of a stateFile to w, port by port.
func (t *Tracker) encodePorts(w io.Writer, now time.Time) error {
	saved, err := json.Marshal(now.UTC())
	if err != nil {
		return err
	}
	if _, err := fmt.Fprintf(w, `{"version":%d,"saved":%s,"ports":[`, stateVersion, saved); err != nil {
		return err
	}
	t.mu.Lock()
	names := t.sortedPorts()
	t.mu.Unlock()
	enc := json.NewEncoder(w)
	first := true
	for _, n := range names {
		t.mu.Lock()
		var p *port
		if q := t.ports[n]; q != nil {
			p = q.clone()
		}
		t.mu.Unlock()
		if p == nil {
			continue
		}
		sp := statePort{Port: n, identity: p.identity}
		for _, k := range p.sortedKeys() {
			sp.Series = append(sp.Series, stateSeries{Lane: k.Lane, Quantity: k.Quantity, History: p.series[k]})
		}
		if !first {
			if _, err := io.WriteString(w, ","); err != nil {
				return err
			}
		}
		first = false
		if err := enc.Encode(&sp); err != nil {
			return err
		}
	}
	_, err = io.WriteString(w, "]}\n")
	return err
}

// SaveFile writes the history to path atomically: a crash or a full disk
// leaves the previous file.
func (t *Tracker) SaveFile(path string, now time.Time) error {
	return atomicfile.Write(path, 0o600, func(w io.Writer) error { return t.Save(w, now) })
}

// Load replaces the tracker's histories with what Save wrote. A series
// that fails its checks is dropped and named in the returned warnings;
// the file as a whole failing (not gzip, not JSON, another version) is
// an error and leaves the tracker empty.
func (t *Tracker) Load(r io.Reader) (warnings []string, err error) {
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("forecast history: %w", err)
	}
	var f stateFile
	dec := json.NewDecoder(io.LimitReader(zr, maxStateBytes))
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("forecast history: %w", err)
	}
	if f.Version != stateVersion {
		return nil, fmt.Errorf("forecast history: version %d, this ddm reads version %d", f.Version, stateVersion)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.ports = map[string]*port{}
	for _, sp := range f.Ports {
		p := t.port(sp.Port)
		p.identity = sp.identity
		for _, ss := range sp.Series {
			k := Key{ss.Lane, ss.Quantity}
			switch {
			case ss.History == nil:
				err = errors.New("no history")
			case ss.History.Scale == forecast.Linear && forecast.ScaleOf(ss.Quantity) == forecast.DB:
				// Saved by a ddm that fitted optical power in mW.
				if err = ss.History.Validate(); err == nil {
					ss.History, err = ss.History.Rescaled(forecast.DB)
				}
			case ss.History.Scale != forecast.ScaleOf(ss.Quantity):
				err = fmt.Errorf("scale %d, want %d", ss.History.Scale, forecast.ScaleOf(ss.Quantity))
			default:
				err = ss.History.Validate()
			}
			if err != nil {
				warnings = append(warnings, fmt.Sprintf("port %s lane %d %s: %v (dropped)", sp.Port, ss.Lane, ss.Quantity, err))
				continue
			}
			p.series[k] = ss.History
		}
	}
	return warnings, nil
}

// LoadFile loads the history saved at path; a missing file is no history
// (first run), not an error.
func (t *Tracker) LoadFile(path string) (warnings []string, err error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	w, err := t.Load(f)
	if err != nil {
		return w, fmt.Errorf("%s: %w", path, err)
	}
	return w, nil
}

func (t *Tracker) sortedPorts() []string { return slices.Sorted(maps.Keys(t.ports)) }
