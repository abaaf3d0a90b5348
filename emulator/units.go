package emulator

import "math"

// Raw encodings of monitor values, from the crib's unit table: temperature
// S16 in 1/256 °C, supply voltage U16 in 100 µV, optical power U16 in
// 0.1 µW, bias U16 in 2 µA (times the CMIS multiplier). Every conversion
// rounds to nearest and saturates at the type's range.

func clampRound(v, lo, hi float64) int32 {
	if math.IsNaN(v) {
		return 0
	}
	v = math.Round(v)
	if v < lo {
		return int32(lo)
	}
	if v > hi {
		return int32(hi)
	}
	return int32(v)
}

func u16(v float64) uint16 { return uint16(clampRound(v, 0, math.MaxUint16)) }
func s16(v float64) int16  { return int16(clampRound(v, math.MinInt16, math.MaxInt16)) }

func rawTemp(c float64) int16    { return s16(c * 256) }
func rawVolt(v float64) uint16   { return u16(v * 10000) }
func rawPower(mw float64) uint16 { return u16(mw * 10000) }

func rawBias(ma float64, mult int) uint16 {
	if mult < 1 {
		mult = 1
	}
	return u16(ma / (0.002 * float64(mult)))
}

func rawTEC(pct float64) int16 { return s16(pct * 32767 / 100) }

// mW converts dBm to milliwatts.
func mW(dbm float64) float64 { return math.Pow(10, dbm/10) }

// dBm converts milliwatts to dBm; 0 mW or less gives -40 dBm, a floor used
// only inside the emulator's models (never encoded as a dBm value).
func dBm(mw float64) float64 {
	if !(mw > 1e-4) {
		return -40
	}
	return 10 * math.Log10(mw)
}

// f16 encodes v in the CMIS VDM F16 format: 5-bit exponent e, 11-bit
// mantissa m, value m·10^(e−24) (crib §5.3; not IEEE binary16). It keeps
// the largest mantissa that fits, so the most significant digits. v ≤ 0
// (and NaN) encode as 0; values above the range saturate at FFFFh.
func f16(v float64) uint16 {
	if !(v > 0) {
		return 0
	}
	for e := 0; e < 32; e++ {
		m := math.Round(v / math.Pow10(e-24))
		if m <= 2047 {
			return uint16(e)<<11 | uint16(m)
		}
	}
	return 0xFFFF
}

// f16Value decodes an F16 word (for the emulator's own threshold checks).
func f16Value(raw uint16) float64 {
	return float64(raw&0x7FF) * math.Pow10(int(raw>>11)-24)
}

// durationCode is the CMIS state-duration nibble (crib §1.3) for d: the
// smallest code whose upper bound exceeds d.
func durationCode(d float64) uint8 {
	bounds := []float64{0.001, 0.005, 0.010, 0.050, 0.100, 0.500, 1, 5, 10, 60, 300, 600, 3000}
	for i, b := range bounds {
		if d < b {
			return uint8(i)
		}
	}
	return 13
}
