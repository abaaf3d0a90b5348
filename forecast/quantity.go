package forecast

import "math"

// Scale is how a quantity is fitted.
type Scale uint8

const (
	// Linear fits the quantity in its own unit (mA, °C).
	Linear Scale = iota
	// Log10 fits log10 of the quantity: pre-FEC BER grows by decades, and
	// its trend is in decades per day.
	Log10
	// DB fits optical power (mW) in dBm: a connector or fibre that loses
	// the same fraction each day declines linearly in dB but levels off in
	// mW, where the fit would read it as reaching a plateau. Its trend is
	// still reported in mW per day (Trend.UnitPerDay).
	DB
)

// KP4Limit is the pre-FEC BER beyond which RS(544,514) "KP4" FEC no longer
// corrects to the Ethernet target: the limit pre-FEC BER is forecast to.
const KP4Limit = 2.4e-4

// KP4LimitName is the threshold name of KP4Limit in forecasts.
const KP4LimitName = "kp4_limit"

// berFloor is the smallest BER kept on the log scale: a module reports 0
// when it counted no error, and log10(0) is -Inf. 1e-15 is below any
// pre-FEC BER a live link shows, so it only marks "clean".
const berFloor = 1e-15

// powerFloor is the smallest optical power kept on the dB scale, -40 dBm:
// a module reports 0 mW at loss of signal, and a power's field counts in
// 0.1 µW, so anything below is "no light".
const powerFloor = 1e-4

// ScaleOf returns the scale a field or VDM observable is fitted on: Log10
// for bit error ratios (pre_fec_ber, pre_fec_ber_avg, ..., ber), DB for
// optical power in mW (tx_power_mw, rx_power_mw, any *_mw), Linear for
// everything else.
func ScaleOf(quantity string) Scale {
	switch {
	case quantity == "ber" || hasPrefix(quantity, "pre_fec_ber") || hasPrefix(quantity, "post_fec_ber"):
		return Log10
	case hasSuffix(quantity, "_mw"):
		return DB
	}
	return Linear
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }
func hasSuffix(s, p string) bool { return len(s) >= len(p) && s[len(s)-len(p):] == p }

// ToModel maps a value to the fitted scale; ok is false for a value that
// cannot be fitted (NaN, ±Inf, a negative ratio or power).
func (s Scale) ToModel(v float64) (m float64, ok bool) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	switch s {
	case Log10:
		if v < 0 {
			return 0, false
		}
		return math.Log10(math.Max(v, berFloor)), true
	case DB:
		if v < 0 {
			return 0, false
		}
		return 10 * math.Log10(math.Max(v, powerFloor)), true
	}
	return v, true
}

// FromModel maps a fitted value back to the quantity's unit.
func (s Scale) FromModel(m float64) float64 {
	switch s {
	case Log10:
		return math.Pow(10, m)
	case DB:
		return math.Pow(10, m/10)
	}
	return m
}

// UnitPerDay turns a slope on the fitted scale at level (fitted scale)
// into the quantity's unit per day: mW per day at that level for DB (the
// derivative of 10^(dB/10)), the slope itself otherwise (decades per day
// for Log10: a BER's own unit per day would span decades).
func (s Scale) UnitPerDay(level, perDay float64) float64 {
	if s == DB {
		return s.FromModel(level) * math.Ln10 / 10 * perDay
	}
	return perDay
}
