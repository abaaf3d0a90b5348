package top

import (
	"math"
	"strconv"
	"strings"

	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/cmis"
)

// State is what the last read of a port found.
type State uint8

// Port states.
const (
	Unread  State = iota // not read yet
	Present              // a module was read (fully or in part)
	Absent               // the cage is empty
	Failed               // a module is there but its last read failed
)

// Port is what the view knows of one port: the caller's latest reads.
type Port struct {
	Name  string
	State State
	// Err is the last read's error (Failed, or a partial read).
	Err string
	// Module is the latest decoded read (identity, monitors, thresholds,
	// flags); nil until a module has been read.
	Module *cmis.Module
	// VDM holds the values of the latest VDM read (fast reads carry none).
	VDM []cmis.VDMValue
	// Alarms are the port's firing alarms, as alarm.Engine.Active lists them.
	Alarms []alarm.Event
	// Forecasts are the port's forecasts, where a forecaster gives any: the
	// forecast column is shown only while some port has one.
	Forecasts []Forecast
}

// Forecast is when a quantity is expected to cross a threshold.
type Forecast struct {
	Lane     int    // 0: the module
	Quantity string // what crosses (rx_power_dbm, pre_fec_ber_media, ...)
	Limit    string // the threshold it crosses (low_alarm, ...)
	Days     float64
}

// Margin is how far a power monitor is from the nearest of its module's
// warning thresholds, in dB: positive inside the thresholds, negative
// beyond. The power thresholds are in mW, so the margin is the ratio of
// value to limit in dB, the same at -20 dBm as at +2 dBm.
type Margin struct {
	DB       float64 // -Inf for a lane with no light against a low limit
	Lane     int
	Quantity string // "tx" or "rx"
	Limit    string // "low_warning" or "high_warning"
	// PastAlarm: the value is beyond the matching alarm threshold too.
	PastAlarm bool
}

// Row is one port's line of the table.
type Row struct {
	Port   string
	State  State
	Part   string
	Margin *Margin // nil: no power monitor with thresholds
	// BER is the highest media pre-FEC BER over the lanes (VDM), BERLane
	// its lane; HasBER false when the module reports none.
	BER     float64
	BERLane int
	HasBER  bool
	TempC   *float64
	// RxMinDBm and TxMinDBm are the weakest lane's powers (nil: no monitor
	// or no light to take a log of; RxDark/TxDark say a lane reads 0 mW).
	RxMinDBm, TxMinDBm *float64
	RxDark, TxDark     bool
	Flags              []string // set flags: module's, then lanes' (with lane)
	Alarms             []alarm.Event
	Worst              alarm.Severity // of Alarms
	Forecast           *Forecast      // the soonest
	Err                string
}

// MakeRows turns ports into rows, in the order given.
func MakeRows(ports []Port) []Row {
	out := make([]Row, len(ports))
	for i := range ports {
		out[i] = makeRow(&ports[i])
	}
	return out
}

func makeRow(p *Port) Row {
	r := Row{Port: p.Name, State: p.State, Err: p.Err, Alarms: p.Alarms}
	for _, a := range p.Alarms {
		r.Worst = max(r.Worst, a.Severity)
	}
	for i := range p.Forecasts {
		if f := &p.Forecasts[i]; r.Forecast == nil || f.Days < r.Forecast.Days {
			r.Forecast = f
		}
	}
	m := p.Module
	if m == nil {
		return r
	}
	r.Part = strings.TrimSpace(m.PartNumber)
	r.TempC = m.TemperatureC
	lm := LaneMargins(m)
	for i := range lm {
		for _, g := range []*Margin{lm[i].Tx, lm[i].Rx} {
			if g != nil && (r.Margin == nil || g.DB < r.Margin.DB) {
				r.Margin = g
			}
		}
	}
	for i := range m.Lanes {
		l := &m.Lanes[i]
		r.RxMinDBm, r.RxDark = weaker(r.RxMinDBm, r.RxDark, l.RxPowerMW, l.RxPowerDBM)
		r.TxMinDBm, r.TxDark = weaker(r.TxMinDBm, r.TxDark, l.TxPowerMW, l.TxPowerDBM)
	}
	r.BER, r.BERLane, r.HasBER = worstBER(p.VDM)
	r.Flags = setFlags(m)
	return r
}

// weaker keeps the lower of two powers; a lane at 0 mW (no dBm) is the
// weakest there is.
func weaker(cur *float64, dark bool, mw, dbm *float64) (*float64, bool) {
	if mw != nil && *mw == 0 {
		return cur, true
	}
	if dbm != nil && (cur == nil || *dbm < *cur) {
		return dbm, dark
	}
	return cur, dark
}

// worstBER is the highest media pre-FEC BER (the observable the alarm
// rules watch) and its lane.
func worstBER(vdm []cmis.VDMValue) (ber float64, lane int, ok bool) {
	for _, v := range vdm {
		if v.Observable == "pre_fec_ber_media" && (!ok || v.Value > ber) {
			ber, lane, ok = v.Value, v.Lane, true
		}
	}
	return ber, lane, ok
}

// laneBER is each lane's media pre-FEC BER.
func laneBER(vdm []cmis.VDMValue) map[int]float64 {
	out := map[int]float64{}
	for _, v := range vdm {
		if v.Observable == "pre_fec_ber_media" {
			out[v.Lane] = v.Value
		}
	}
	return out
}

// setFlags names the set flags: the module's, then each lane's as
// "L3 rx_los" (lanes in order).
func setFlags(m *cmis.Module) []string {
	out := append([]string(nil), m.Flags.Names()...)
	for _, l := range m.Lanes {
		for _, n := range l.Flags.Names() {
			out = append(out, "L"+strconv.Itoa(l.Lane)+" "+n)
		}
	}
	return out
}

// LaneMargin is one lane's margins (nil where the lane has no monitor or
// the module no thresholds for it).
type LaneMargin struct {
	Lane   int
	Tx, Rx *Margin
}

// LaneMargins computes every lane's Tx and Rx power margin to the module's
// warning thresholds.
func LaneMargins(m *cmis.Module) []LaneMargin {
	out := make([]LaneMargin, len(m.Lanes))
	tx, txOK := m.Thresholds[cmis.QTxPower]
	rx, rxOK := m.Thresholds[cmis.QRxPower]
	for i, l := range m.Lanes {
		out[i].Lane = l.Lane
		if txOK {
			out[i].Tx = margin(l.TxPowerMW, tx, l.Lane, "tx")
		}
		if rxOK {
			out[i].Rx = margin(l.RxPowerMW, rx, l.Lane, "rx")
		}
	}
	return out
}

// margin is the distance in dB from mw to the nearer warning limit. A
// limit of 0 mW is none (modules write zeros for thresholds they do not
// set); a value of 0 mW is -Inf dB from any low limit.
func margin(mw *float64, t cmis.Thresholds, lane int, q string) *Margin {
	if mw == nil {
		return nil
	}
	var best *Margin
	consider := func(db float64, limit string, pastAlarm bool) {
		if best == nil || db < best.DB {
			best = &Margin{DB: db, Lane: lane, Quantity: q, Limit: limit, PastAlarm: pastAlarm}
		}
	}
	v := *mw
	if t.LowWarning > 0 {
		consider(ratioDB(v, t.LowWarning), "low_warning", t.LowAlarm > 0 && v < t.LowAlarm)
	}
	if t.HighWarning > 0 {
		consider(ratioDB(t.HighWarning, v), "high_warning", t.HighAlarm > 0 && v > t.HighAlarm)
	}
	return best
}

// ratioDB is 10·log10(a/b); a = 0 gives -Inf, b = 0 +Inf.
func ratioDB(a, b float64) float64 {
	switch {
	case a <= 0:
		return math.Inf(-1)
	case b <= 0:
		return math.Inf(1)
	}
	return 10 * math.Log10(a/b)
}
