package forecast

import "math"

// Scale is how a quantity is fitted.
type Scale uint8

const (
	// Linear fits the quantity in its own unit (mA, mW, °C).
	Linear Scale = iota
	// Log10 fits log10 of the quantity: pre-FEC BER grows by decades, and
	// its trend is in decades per day.
	Log10
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

// ScaleOf returns the scale a field or VDM observable is fitted on: Log10
// for bit error ratios (pre_fec_ber, pre_fec_ber_avg, ..., ber), Linear for
// everything else.
func ScaleOf(quantity string) Scale {
	if quantity == "ber" || hasPrefix(quantity, "pre_fec_ber") || hasPrefix(quantity, "post_fec_ber") {
		return Log10
	}
	return Linear
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }

// ToModel maps a value to the fitted scale; ok is false for a value that
// cannot be fitted (NaN, ±Inf, a negative ratio).
func (s Scale) ToModel(v float64) (m float64, ok bool) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	if s == Log10 {
		if v < 0 {
			return 0, false
		}
		return math.Log10(math.Max(v, berFloor)), true
	}
	return v, true
}

// FromModel maps a fitted value back to the quantity's unit.
func (s Scale) FromModel(m float64) float64 {
	if s == Log10 {
		return math.Pow(10, m)
	}
	return m
}
