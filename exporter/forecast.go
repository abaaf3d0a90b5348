package exporter

import (
	"math"
	"time"
)

// Measurements of the agent's forecasts (docs/SCHEMA.md).
const (
	MForecast = "xcvr_forecast"
	MCohort   = "xcvr_cohort"
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
	// TrendPerDay is in the quantity's unit per day; for pre_fec_ber in
	// decades per day.
	TrendPerDay float64
	// Limit is the threshold the trend is forecast to reach (low_warning,
	// high_alarm, kp4); empty when no crossing is forecast.
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
	p := NewPoint(MForecast, f.Time)
	p.AddTag("host", f.Host)
	p.AddTag("port", f.Port)
	p.AddTag("lane", laneTag(f.Lane))
	p.AddTag("quantity", f.Quantity)
	p.AddTag("limit", f.Limit)
	p.AddFloat("trend_per_day", f.TrendPerDay)
	if f.Limit != "" {
		p.AddFloat("threshold", f.Threshold)
		p.AddFloat("days_to_threshold", f.Days)
		p.AddFloat("days_low", f.DaysLow)
		if !math.IsInf(f.DaysHigh, 0) {
			p.AddFloat("days_high", f.DaysHigh)
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
	p := NewPoint(MCohort, c.Time)
	p.AddTag("host", c.Host)
	p.AddTag("port", c.Port)
	p.AddTag("lane", laneTag(c.Lane))
	p.AddTag("quantity", c.Quantity)
	p.AddFloat("z", c.Z)
	p.AddFloat("median", c.Median)
	p.AddInt("peers", int64(c.Peers))
	return p
}
