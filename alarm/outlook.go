package alarm

import (
	"strings"
	"time"

	"github.com/ddm-agent/ddm/cmis"
)

// Forecast and cohort rules watch what the agent's forecasts say rather
// than a value read from the module: a forecast rule fires when a trend is
// forecast to reach one of the module's own thresholds within a window, a
// cohort rule when a lane or module stands out from its peers (same part
// number and firmware on the switch). The agent computes both at a slow
// cadence (ForecastEvery) and hands them to EvaluateOutlook.

// ForecastEvery is how often the agent updates its forecasts and cohort
// scores, evaluates forecast and cohort rules and writes xcvr_forecast and
// xcvr_cohort points. A forecast moves over days: a slower cadence would
// only delay a new one, a faster one would cost CPU and points for
// nothing. The Grafana export reads the points over a few of these.
const ForecastEvery = 15 * time.Minute

// ForecastRule is a forecast: condition.
type ForecastRule struct {
	// Quantity is the forecast quantity's field name (rx_power_mw,
	// tx_bias_ma, temperature_c, pre_fec_ber, a VDM observable).
	Quantity string
	// Within: fire when a crossing is forecast within this long.
	Within time.Duration
	// Threshold is the class of the module's thresholds the crossing is
	// of: "warning", "alarm", or "" for either.
	Threshold string
}

// CohortRule is a cohort: condition.
type CohortRule struct {
	Quantity string
	// Z: fire when the robust z-score among the peers is beyond ±Z.
	Z float64
}

// Outlook is what the agent's forecast says about one port, for
// EvaluateOutlook: the crossings it forecasts and the cohort scores.
type Outlook struct {
	Crossings []Crossing
	Scores    []Score
}

// Crossing is a forecast that a quantity of a lane (0: the module) reaches
// one of the module's thresholds (Limit: low_warning, high_alarm, ...) in
// Days, with the interval [DaysLow, DaysHigh]. Only forecast crossings are
// listed: a stable or improving quantity has none.
type Crossing struct {
	Lane              int
	Quantity          string
	Limit             string
	Threshold         float64
	Days              float64
	DaysLow, DaysHigh float64
}

// Score is the robust z-score of a quantity of a lane (0: the module)
// among its cohort.
type Score struct {
	Lane     int
	Quantity string
	Z        float64
}

// quantityAliases are the short names a rule may use for the forecast
// quantities of the module's monitors.
var quantityAliases = map[string]string{
	"rx_power": cmis.QRxPower, "tx_power": cmis.QTxPower, "tx_bias": cmis.QTxBias,
	"temperature": cmis.QTemperature, "laser_temperature": cmis.QLaserTemperature,
}

// forecastQuantity returns the field name a rule's quantity stands for,
// and whether it is one the agent forecasts: a monitored quantity, the
// pre-FEC BER (pre_fec_ber, the media side's current value) or a VDM
// observable.
func forecastQuantity(q string) (string, bool) {
	if full, ok := quantityAliases[q]; ok {
		q = full
	}
	switch {
	case indexOf(moduleQuantities, q) >= 0, indexOf(laneQuantities, q) >= 0, q == "pre_fec_ber",
		vdmObservables[q]:
		return q, true
	}
	return q, false
}

// laneQuantity reports whether a forecast quantity is per lane (the
// module's lane monitors and VDM observables) rather than per module.
func laneQuantity(q string) bool { return indexOf(moduleQuantities, q) < 0 }

// KP4LimitName is the limit name of a pre-FEC BER forecast to reach the
// KP4 FEC limit (2.4e-4); it is of the alarm class.
const KP4LimitName = "kp4_limit"

// thresholdClass is the class of a limit name: high_warning is "warning",
// low_alarm and the KP4 limit "alarm".
func thresholdClass(limit string) string {
	if limit == KP4LimitName {
		return "alarm"
	}
	_, class, _ := strings.Cut(limit, "_")
	return class
}
