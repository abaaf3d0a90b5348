package flightrec

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"time"

	"github.com/ddm-agent/ddm/internal/atomicfile"
)

// FileName is the flights' file in the agent's state folder.
const FileName = "flights.json"

// KeepFlights is how many of a port's last flights the recorder keeps for
// its file (each bounded by Options.Capacity readings).
const KeepFlights = 4

// maxFileBytes bounds the file LoadFile reads.
const maxFileBytes = 256 << 20

// savedRecord is a Record in the file: monitors not read are absent
// (JSON has no NaN).
type savedRecord struct {
	Time         time.Time `json:"time"`
	Lane         int       `json:"lane,omitempty"`
	Scan         bool      `json:"scan,omitempty"`
	Flags        uint32    `json:"flags,omitempty"`
	TxBiasMA     *float32  `json:"tx_bias_ma,omitempty"`
	TxPowerMW    *float32  `json:"tx_power_mw,omitempty"`
	RxPowerMW    *float32  `json:"rx_power_mw,omitempty"`
	TemperatureC *float32  `json:"temperature_c,omitempty"`
	VccV         *float32  `json:"vcc_v,omitempty"`
}

type savedFlight struct {
	Port    string        `json:"port"`
	ID      string        `json:"id"`
	Trigger string        `json:"trigger"`
	At      time.Time     `json:"at"`
	Records []savedRecord `json:"records"`
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

// keep adds a flight's readings to the port's kept flights (a new flight
// when its ID is not the last one's), bounded.
func (rg *ring) keep(f *Flight, capacity int) {
	n := len(rg.kept)
	if n == 0 || rg.kept[n-1].ID != f.ID {
		if n == KeepFlights {
			copy(rg.kept, rg.kept[1:])
			rg.kept = rg.kept[:n-1]
		}
		rg.kept = append(rg.kept, Flight{Port: f.Port, ID: f.ID, Trigger: f.Trigger, At: f.At})
		n = len(rg.kept)
	}
	k := &rg.kept[n-1]
	k.Records = append(k.Records, f.Records...)
	if over := len(k.Records) - capacity; over > 0 {
		k.Records = k.Records[:copy(k.Records, k.Records[over:])]
	}
}

// Flights returns the last flights kept of every port (at most
// KeepFlights a port), oldest first.
func (r *Recorder) Flights() []Flight {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Flight
	for _, rg := range r.ports {
		for _, f := range rg.kept {
			f.Records = append([]Record(nil), f.Records...)
			out = append(out, f)
		}
	}
	return out
}

// SaveFile writes the kept flights to path (atomically) if they changed
// since the last save.
func (r *Recorder) SaveFile(path string) error {
	r.mu.Lock()
	dirty := r.dirty
	r.dirty = false
	r.mu.Unlock()
	if !dirty {
		return nil
	}
	var out []savedFlight
	for _, f := range r.Flights() {
		sf := savedFlight{Port: f.Port, ID: f.ID, Trigger: f.Trigger, At: f.At, Records: make([]savedRecord, len(f.Records))}
		for i, rec := range f.Records {
			sf.Records[i] = savedRecord{Time: rec.Time, Lane: rec.Lane, Scan: rec.Scan, Flags: rec.Flags, TxBiasMA: opt(rec.TxBiasMA),
				TxPowerMW: opt(rec.TxPowerMW), RxPowerMW: opt(rec.RxPowerMW), TemperatureC: opt(rec.TemperatureC), VccV: opt(rec.VccV)}
		}
		out = append(out, sf)
	}
	err := atomicfile.Write(path, 0o644, func(w io.Writer) error { return json.NewEncoder(w).Encode(out) })
	if err != nil {
		r.mu.Lock()
		r.dirty = true
		r.mu.Unlock()
		return fmt.Errorf("flight recorder: %w", err)
	}
	return nil
}

// LoadFile reads the flights a recorder saved to path.
func LoadFile(path string) ([]Flight, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var in []savedFlight
	if err := json.NewDecoder(io.LimitReader(f, maxFileBytes)).Decode(&in); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	out := make([]Flight, len(in))
	for i, sf := range in {
		out[i] = Flight{Port: sf.Port, ID: sf.ID, Trigger: sf.Trigger, At: sf.At, Records: make([]Record, len(sf.Records))}
		for j, sr := range sf.Records {
			out[i].Records[j] = Record{Time: sr.Time, Lane: sr.Lane, Scan: sr.Scan, Flags: sr.Flags, TxBiasMA: val(sr.TxBiasMA),
				TxPowerMW: val(sr.TxPowerMW), RxPowerMW: val(sr.RxPowerMW), TemperatureC: val(sr.TemperatureC), VccV: val(sr.VccV)}
		}
	}
	return out, nil
}
