package cmis

import (
	"math"
	"strings"
)

// Limits says which of a threshold set's four limits the module set.
type Limits struct {
	HighAlarm, LowAlarm, HighWarning, LowWarning bool
}

// Set returns which of t's limits the module set, for the monitored
// quantity t belongs to (a threshold set name, QTemperature..., or a VDM
// observable name, pre_fec_ber_media...). It is the one place that says
// what a zero limit means; alarm rules compare values only with set limits.
//
// A module that does not implement a threshold leaves its bytes zero, and
// the specifications give no other way to say so. So:
//
//   - On a quantity that can never be negative (CanBeNegative false:
//     voltages, bias in mA, optical power in mW, BER and errored-frame
//     ratios, counts, eSNR and LTP in dB, rail voltages) a limit of 0 is not
//     set. A high limit of 0 would alarm on any value; a low limit of 0 can
//     never be crossed.
//   - On a quantity that can be negative (temperatures, TEC current,
//     frequency error, powers in dBm, dispersion, margins) 0 is a limit like
//     any other: a low warning at 0 °C is real.
//   - Either way, a class (alarm or warning) whose high limit is not above
//     its low limit, both set, is not set: that is how an all-zero set of a
//     signed quantity reads, and no value could be inside such a band.
//
// A NaN limit is not set.
func (t Thresholds) Set(quantity string) Limits {
	neg := CanBeNegative(quantity)
	set := func(v float64) bool { return !math.IsNaN(v) && (neg || v != 0) }
	l := Limits{HighAlarm: set(t.HighAlarm), LowAlarm: set(t.LowAlarm), HighWarning: set(t.HighWarning), LowWarning: set(t.LowWarning)}
	if l.HighAlarm && l.LowAlarm && t.HighAlarm <= t.LowAlarm {
		l.HighAlarm, l.LowAlarm = false, false
	}
	if l.HighWarning && l.LowWarning && t.HighWarning <= t.LowWarning {
		l.HighWarning, l.LowWarning = false, false
	}
	return l
}

// Limit returns one limit by name (high_alarm, low_alarm, high_warning,
// low_warning) and whether the module set it (see Set).
func (t Thresholds) Limit(quantity, name string) (float64, bool) {
	l := t.Set(quantity)
	switch name {
	case "high_alarm":
		return t.HighAlarm, l.HighAlarm
	case "low_alarm":
		return t.LowAlarm, l.LowAlarm
	case "high_warning":
		return t.HighWarning, l.HighWarning
	case "low_warning":
		return t.LowWarning, l.LowWarning
	}
	return 0, false
}

// CanBeNegative reports whether a monitored quantity can take a negative
// value, from the way its bytes are encoded: signed words (module and laser
// temperature, TEC current; VDM S16 observables) can, unsigned words and
// CMIS F16 (no sign bit) cannot. quantity is a threshold set name or a VDM
// observable name; a name ddm does not know counts as signed, so that its
// zero limits are kept.
func CanBeNegative(quantity string) bool {
	switch quantity {
	case QTemperature, QLaserTemperature, QTECCurrent:
		return true
	case QVcc, QVcc2, QTxBias, QTxPower, QRxPower:
		return false
	}
	if f, ok := observableFormats[quantity]; ok {
		return f == fmtS16
	}
	if strings.HasPrefix(quantity, "vdm_type_") {
		return false // an unknown VDM type is decoded as U16
	}
	return true
}

// observableFormats is the sample format of every known VDM observable, by
// name.
var observableFormats = func() map[string]vdmFormat {
	m := make(map[string]vdmFormat, len(observables))
	for _, o := range observables {
		m[o.Name] = o.format
	}
	return m
}()
