package exporter

import (
	"math"
	"time"

	"github.com/ddm-agent/ddm/schema"
)

// Forecast is one trend of a quantity of a lane (Lane 0: the module) for
// xcvr_forecast: the trend per day and, when a crossing of one of the
// module's thresholds is forecast, which one (Limit), its value and the
// days to it with their interval. A trend without a forecast crossing (a
// stable or improving lane) has no Limit and no days.
type Forecast struct {
	Host, Port string
	Lane       int
	// Quantity is the forecast quantity's field name (rx_power_mw,
	// tx_bias_ma, temperature_c, pre_fec_ber).
	Quantity string
	// TrendPerDay is in the quantity's unit per day (optical power: mW
	// per day at the current level, also when fitted in dB); for
	// pre_fec_ber in decades per day.
	TrendPerDay float64
	// Limit is the threshold the trend is forecast to reach (low_warning,
	// high_alarm, kp4_limit); empty when no crossing is forecast.
	Limit     string
	Threshold float64
	// Days to the threshold and its interval, set with Limit. DaysHigh is
	// +Inf when the slow end of the interval never reaches the threshold:
	// the field is then left out (not counted as a non-finite value).
	Days, DaysLow, DaysHigh float64
	Time                    time.Time
}

// ForecastPoint makes the xcvr_forecast point of a trend.
func ForecastPoint(f Forecast) Point {
	p := NewPoint(schema.XcvrForecast, f.Time)
	p.AddTag(schema.TagHost, f.Host)
	p.AddTag(schema.TagPort, f.Port)
	p.AddTag(schema.TagLane, laneTag(f.Lane))
	p.AddTag(schema.TagQuantity, f.Quantity)
	p.AddTag(schema.TagLimit, f.Limit)
	p.AddFloat(schema.TrendPerDay, f.TrendPerDay)
	if f.Limit != "" {
		p.AddFloat(schema.Threshold, f.Threshold)
		p.AddFloat(schema.DaysToThreshold, f.Days)
		p.AddFloat(schema.DaysLow, f.DaysLow)
		if !math.IsInf(f.DaysHigh, 0) {
			p.AddFloat(schema.DaysHigh, f.DaysHigh)
		}
	}
	return p
}

// CohortScore is the robust z-score of a quantity of a lane (Lane 0: the
// module) among its peers, for xcvr_cohort.
type CohortScore struct {
	Host, Port string
	Lane       int
	Quantity   string
	// Z is (value - cohort median) / (1.4826 · cohort MAD).
	Z float64
	// Median is the cohort's median of the quantity; Peers how many lanes
	// or modules the cohort has.
	Median float64
	Peers  int
	Time   time.Time
}

// CohortPoint makes the xcvr_cohort point of a score.
func CohortPoint(c CohortScore) Point {
	p := NewPoint(schema.XcvrCohort, c.Time)
	p.AddTag(schema.TagHost, c.Host)
	p.AddTag(schema.TagPort, c.Port)
	p.AddTag(schema.TagLane, laneTag(c.Lane))
	p.AddTag(schema.TagQuantity, c.Quantity)
	p.AddFloat(schema.Z, c.Z)
	p.AddFloat(schema.Median, c.Median)
	p.AddInt(schema.Peers, int64(c.Peers))
	return p
}
