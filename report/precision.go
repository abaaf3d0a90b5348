package report

import (
	"math"
	"strconv"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/schema"
)

// Rounding: a decoded value is a count of the byte's least significant
// bit times its step (1/256 °C, 0.1 mV, 2 µA × multiplier, 0.1 µW), and
// float64 arithmetic adds noise below that step (3.2917000000000005 V).
// Reports show each value with the decimals its step has, so the JSON
// says 3.2917 and 343.2: every value keeps all the precision the module
// gave it and nothing more. This file is the one place that knows the
// steps.

// Steps of the monitors, in their units.
const (
	stepTemperature = 1.0 / 256 // °C
	stepVoltage     = 0.0001    // V
	stepPower       = 0.0001    // mW
	stepBias        = 0.002     // mA, times the CMIS multiplier
	stepTEC         = 100.0 / 32767
	decimalsDBm     = 2 // as ethtool prints dBm
	significantF16  = 4 // an 11-bit mantissa: up to 2047
)

// decimalsOf is the number of decimals a value counted in step needs: the
// step's own when it ends within 8 (0.25 -> 2, 1/256 -> 8), else one more
// than its first significant digit (100/32767 -> 4).
func decimalsOf(step float64) int {
	if step <= 0 {
		return -1
	}
	for d, p := 0, 1.0; d <= 8; d, p = d+1, p*10 {
		if x := step * p; math.Abs(x-math.Round(x)) < 1e-9*math.Max(1, x) {
			return d
		}
	}
	return int(math.Ceil(-math.Log10(step))) + 1
}

// roundTo rounds v to d decimals (d < 0: v unchanged).
func roundTo(v float64, d int) float64 {
	if d < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'f', d, 64), 64)
	if err != nil {
		return v
	}
	return r
}

// roundSignificant rounds v to n significant digits.
func roundSignificant(v float64, n int) float64 {
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', n, 64), 64)
	if err != nil {
		return v
	}
	return r
}

func roundPtr(p *float64, d int) *float64 {
	if p == nil {
		return nil
	}
	v := roundTo(*p, d)
	return &v
}

// biasStep is the Tx bias step of the module: 2 µA times the CMIS
// multiplier.
func biasStep(m *cmis.Module) float64 {
	if a := m.Advertisement; a != nil && a.TxBiasMultiplier > 1 {
		return stepBias * float64(a.TxBiasMultiplier)
	}
	return stepBias
}

// quantityDecimals are the decimals of each threshold set, by quantity.
func quantityDecimals(m *cmis.Module) map[string]int {
	return map[string]int{
		cmis.QTemperature:      decimalsOf(stepTemperature),
		cmis.QLaserTemperature: decimalsOf(stepTemperature),
		cmis.QVcc:              decimalsOf(stepVoltage),
		cmis.QVcc2:             decimalsOf(stepVoltage),
		cmis.QTxBias:           decimalsOf(biasStep(m)),
		cmis.QTxPower:          decimalsOf(stepPower),
		cmis.QRxPower:          decimalsOf(stepPower),
		cmis.QTECCurrent:       decimalsOf(stepTEC),
	}
}

// vdmRound rounds a VDM sample or threshold of an observable to its
// precision.
func vdmRound(typeID uint8, v float64) float64 {
	o, _ := cmis.LookupObservable(typeID)
	if step := o.Step(); step > 0 {
		return roundTo(v, decimalsOf(step))
	}
	return roundSignificant(v, significantF16)
}

// roundThresholds rounds the four limits; the rest of t (the
// checksum_failed mark) is kept.
func roundThresholds(t cmis.Thresholds, round func(float64) float64) cmis.Thresholds {
	t.HighAlarm, t.LowAlarm, t.HighWarning, t.LowWarning = round(t.HighAlarm), round(t.LowAlarm), round(t.HighWarning), round(t.LowWarning)
	return t
}

// rounded returns a copy of m with every value rounded to the precision
// of its byte; m is not changed.
func rounded(m *cmis.Module) *cmis.Module {
	r := *m
	dT, dV, dP := decimalsOf(stepTemperature), decimalsOf(stepVoltage), decimalsOf(stepPower)
	r.TemperatureC, r.LaserTemperatureC = roundPtr(m.TemperatureC, dT), roundPtr(m.LaserTemperatureC, dT)
	r.VccV, r.Vcc2V = roundPtr(m.VccV, dV), roundPtr(m.Vcc2V, dV)
	r.TECCurrentPct = roundPtr(m.TECCurrentPct, decimalsOf(stepTEC))
	r.WavelengthNM = roundPtr(m.WavelengthNM, decimalsOf(0.05))
	r.WavelengthTolNM = roundPtr(m.WavelengthTolNM, decimalsOf(0.005))
	r.MaxPowerW = roundPtr(m.MaxPowerW, decimalsOf(0.25))
	r.CableLengthM = roundPtr(m.CableLengthM, decimalsOf(0.1))

	dB := decimalsOf(biasStep(m))
	r.Lanes = append([]cmis.Lane(nil), m.Lanes...)
	for i, l := range r.Lanes {
		l.TxBiasMA = roundPtr(l.TxBiasMA, dB)
		l.TxPowerMW, l.RxPowerMW = roundPtr(l.TxPowerMW, dP), roundPtr(l.RxPowerMW, dP)
		l.TxPowerDBM, l.RxPowerDBM = roundPtr(l.TxPowerDBM, decimalsDBm), roundPtr(l.RxPowerDBM, decimalsDBm)
		r.Lanes[i] = l
	}

	if m.Thresholds != nil {
		qd := quantityDecimals(m)
		r.Thresholds = make(map[string]cmis.Thresholds, len(m.Thresholds))
		for q, t := range m.Thresholds {
			d, ok := qd[q]
			if !ok {
				d = -1
			}
			r.Thresholds[q] = roundThresholds(t, func(v float64) float64 { return roundTo(v, d) })
		}
	}

	r.VDM = append([]cmis.VDMValue(nil), m.VDM...)
	for i, v := range r.VDM {
		id := v.TypeID
		v.Value = vdmRound(id, v.Value)
		if v.Thresholds != nil {
			t := roundThresholds(*v.Thresholds, func(x float64) float64 { return vdmRound(id, x) })
			v.Thresholds = &t
		}
		r.VDM[i] = v
	}

	if pm := m.PM; pm != nil {
		p := *pm
		ber := func(v *float64) *float64 {
			if v == nil {
				return nil
			}
			x := roundSignificant(*v, significantF16)
			return &x
		}
		p.PreFECBERAvg, p.PreFECBERMin, p.PreFECBERMax = ber(pm.PreFECBERAvg), ber(pm.PreFECBERMin), ber(pm.PreFECBERMax)
		p.CDAvgPsNm, p.CFOAvgMHz = roundPtr(pm.CDAvgPsNm, 0), roundPtr(pm.CFOAvgMHz, 0)
		p.DGDAvgPs = roundPtr(pm.DGDAvgPs, decimalsOf(0.01))
		p.OSNRAvgDB, p.ESNRAvgDB = roundPtr(pm.OSNRAvgDB, decimalsOf(0.1)), roundPtr(pm.ESNRAvgDB, decimalsOf(0.1))
		p.TxPowerAvgDBM = roundPtr(pm.TxPowerAvgDBM, decimalsDBm)
		p.RxTotalPowerDBM, p.RxSignalPowerDBM = roundPtr(pm.RxTotalPowerDBM, decimalsDBm), roundPtr(pm.RxSignalPowerDBM, decimalsDBm)
		r.PM = &p
	}

	// ELSFP lasers (page 1Bh): bias 0.1 mA, power 10 µW, voltage 15 mV.
	r.LaserSource = append([]cmis.Laser(nil), m.LaserSource...)
	for i, l := range r.LaserSource {
		l.BiasMA = roundPtr(l.BiasMA, decimalsOf(0.1))
		l.PowerMW = roundPtr(l.PowerMW, decimalsOf(0.01))
		l.PowerDBM = roundPtr(l.PowerDBM, decimalsDBm)
		l.VoltageV = roundPtr(l.VoltageV, decimalsOf(0.015))
		r.LaserSource[i] = l
	}
	return &r
}

// DBmThresholds are a power quantity's thresholds in dBm; a threshold of
// 0 mW has none (as a 0 mW value has no dBm). ChecksumFailed is the mW
// set's.
type DBmThresholds struct {
	HighAlarm      *float64 `json:"high_alarm,omitempty"`
	LowAlarm       *float64 `json:"low_alarm,omitempty"`
	HighWarning    *float64 `json:"high_warning,omitempty"`
	LowWarning     *float64 `json:"low_warning,omitempty"`
	ChecksumFailed bool     `json:"checksum_failed,omitempty"`
}

// powerQuantities are the quantities in mW and the names of their dBm
// twins, named as the lanes' fields are.
var powerQuantities = [...][2]string{{cmis.QTxPower, schema.TxPowerDBM}, {cmis.QRxPower, schema.RxPowerDBM}}

// thresholdsDBm converts the power thresholds of m to dBm, rounded to 2
// decimals, keyed tx_power_dbm and rx_power_dbm.
func thresholdsDBm(th map[string]cmis.Thresholds) map[string]DBmThresholds {
	out := map[string]DBmThresholds{}
	for _, q := range powerQuantities {
		t, ok := th[q[0]]
		if !ok {
			continue
		}
		dbm := func(mw float64) *float64 { return roundPtr(cmis.DBm(mw), decimalsDBm) }
		out[q[1]] = DBmThresholds{HighAlarm: dbm(t.HighAlarm), LowAlarm: dbm(t.LowAlarm),
			HighWarning: dbm(t.HighWarning), LowWarning: dbm(t.LowWarning), ChecksumFailed: t.ChecksumFailed}
	}
	return out
}
