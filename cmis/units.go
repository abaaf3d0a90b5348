package cmis

import (
	"encoding/binary"
	"math"
)

func u16(b []byte) uint16 { return binary.BigEndian.Uint16(b) }
func s16(b []byte) int16  { return int16(binary.BigEndian.Uint16(b)) }

// Temperature converts an S16 in 1/256 °C.
func Temperature(raw int16) float64 { return float64(raw) / 256 }

// Voltage converts a U16 in 100 µV to volts.
func Voltage(raw uint16) float64 { return float64(raw) / 10000 }

// PowerMW converts a U16 in 0.1 µW to milliwatts.
func PowerMW(raw uint16) float64 { return float64(raw) / 10000 }

// DBm converts milliwatts to dBm. It returns nil for 0 mW (or less): 0 mW has
// no dBm, and ddm never writes -Inf or a made-up floor in its place.
func DBm(mw float64) *float64 {
	v, ok := dbm(mw)
	if !ok {
		return nil
	}
	return &v
}

// dbm is DBm without the pointer.
func dbm(mw float64) (float64, bool) {
	if !(mw > 0) || math.IsInf(mw, 0) {
		return 0, false
	}
	return 10 * math.Log10(mw), true
}

// BiasMA converts a U16 in 2 µA units, scaled by the CMIS multiplier
// (01h:160 bits 4-3: 1, 2 or 4), to milliamperes. The multiplier multiplies:
// ethtool 7.0 divides (a known bug, see docs/DECODING.md).
func BiasMA(raw uint16, multiplier int) float64 {
	if multiplier < 1 {
		multiplier = 1
	}
	return float64(raw) * 0.002 * float64(multiplier)
}

// F16 decodes the CMIS VDM 16-bit float: 5-bit exponent e (bits 15-11) and
// 11-bit mantissa m, value m·10^(e-24). It is not IEEE binary16.
func F16(raw uint16) float64 {
	e := int(raw >> 11)
	m := float64(raw & 0x7ff)
	if e >= 24 {
		return m * math.Pow10(e-24)
	}
	// Divide by an exact power of ten so that the result is the float64
	// nearest the decimal value: 25·10^-6 gives 2.5e-05, not 2.4999999999999998e-05.
	return m / math.Pow10(24-e)
}
