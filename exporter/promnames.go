package exporter

import (
	"math"
	"strconv"
	"strings"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/ddm-agent/ddm/schema"
)

// How ddm's points appear on /metrics. The InfluxDB schema keeps every field
// (a field costs nothing until queried); Prometheus keeps a series per field
// and label set in memory, so /metrics exposes what a user graphs and
// follows Prometheus's naming: base units in the name (_celsius, _volts,
// _amperes, _watts, _seconds, _ratio), _total on counters, no host label
// (Prometheus adds instance). docs/SCHEMA.md, "Prometheus", lists the
// families and the series budget; TestPromSeriesBudget holds the default
// switch to it and TestPromtoolCheckMetrics runs promtool over it.

// promMetric is how one field appears on /metrics.
type promMetric struct {
	name string
	help string
	kind prometheus.ValueType
	// conv turns the field's value into the metric's base unit.
	conv func(float64) float64
}

// promUnit is a unit as ddm names it and as Prometheus names it.
type promUnit struct {
	symbol string // the unit in the schema and the VDM table
	field  string // the suffix a field name carries for it ("" for none)
	prom   string // the Prometheus base-unit suffix ("" for none)
	conv   func(float64) float64
}

// scale converts by a power of ten. The result is rounded to 12
// significant digits, far beyond any module's resolution (16-bit words),
// so 0.0398 mW is 3.98e-05 W and not 3.9800000000000005e-05.
func scale(k float64) func(float64) float64 {
	return func(v float64) float64 { return round12(v * k) }
}

func round12(v float64) float64 {
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 12, 64), 64)
	if err != nil {
		return v
	}
	return r
}

// dBmToWatts: 10^(dBm/10) mW. Finite for every finite dBm.
func dBmToWatts(v float64) float64 { return round12(math.Pow(10, v/10) / 1000) }

// promUnits lists every unit ddm writes. Percentages become ratios (0-1),
// milli- and pico- become the base unit, dBm becomes watts (the watts of a
// dBm value are exact; 0 W has no dBm, which is why the base is watts).
var promUnits = []promUnit{
	{"°C", "_c", "_celsius", nil},
	{"C", "", "_celsius", nil},
	{"V", "_v", "_volts", nil},
	{"W", "_w", "_watts", nil},
	{"mA", "_ma", "_amperes", scale(1e-3)},
	{"mW", "_mw", "_watts", scale(1e-3)},
	{"dBm", "_dbm", "_watts", dBmToWatts},
	{"%", "_pct", "_ratio", scale(1e-2)},
	{"s", "_s", "_seconds", nil},
	{"dB", "_db", "_decibels", nil},
	{"MHz", "_mhz", "_hertz", scale(1e6)},
	{"ps/nm", "_ps_nm", "_seconds_per_meter", scale(1e-3)},
	{"ps", "_ps", "_seconds", scale(1e-12)},
	{"ps^2", "", "_seconds_squared", scale(1e-24)},
	{"krad/s", "", "_radians_per_second", scale(1e3)},
	{"nm", "_nm", "_meters", scale(1e-9)},
	{"ratio", "", "_ratio", nil},
	{"bytes", "", "_bytes", nil},
}

func lookupUnit(symbol string) (promUnit, bool) {
	for _, u := range promUnits {
		if u.symbol == symbol {
			return u, true
		}
	}
	return promUnit{}, false
}

// promName turns a field name with its ddm unit into a metric name (without
// the measurement prefix) and the conversion of its value:
// tx_power_mw, mW -> tx_power_watts, ×1e-3.
func promName(field, symbol string) (string, func(float64) float64) {
	u, ok := lookupUnit(symbol)
	if !ok {
		return field, nil
	}
	base := field
	if u.field != "" {
		base = strings.TrimSuffix(field, u.field)
	}
	if strings.HasSuffix(base, u.prom) {
		return base, u.conv
	}
	return base + u.prom, u.conv
}

// promExposed lists, per measurement, the fields /metrics carries; the
// others stay in InfluxDB only. Left out: dBm beside mW (the same value, in
// a unit that is not a base unit), threshold-crossing flags (the value and
// xcvr_threshold_* show them, ddm's alarms rule on them), latched change
// events (a gauge sampled every 15 s does not show an event), the
// adaptive-equalisation flag (the lane's LOS and LOL say what a user
// acts on), string
// fields, identity numbers (xcvr_info carries the identity), and the
// alarm's transition, value and threshold (the rule's unit varies).
var promExposed = map[string][]string{
	schema.XcvrModule: {schema.Present, schema.ModuleStateCode, schema.TemperatureC, schema.VccV, schema.LaserTemperatureC, schema.TECCurrentPct, schema.Vcc2V,
		"module_firmware_error", "data_path_firmware_error"},
	schema.XcvrLane: {schema.TxBiasMA, schema.TxPowerMW, schema.RxPowerMW,
		"tx_fault", "tx_los", "tx_cdr_lol", "rx_los", "rx_cdr_lol"},
	schema.XcvrLaser:    {schema.BiasMA, schema.PowerMW, schema.VoltageV},
	schema.XcvrInfo:     {schema.ChecksumErrors, schema.Warnings},
	schema.XcvrAlarm:    {schema.Firing},
	schema.XcvrCoherent: nil, // every numeric field
	schema.XcvrAgent:    nil, // every field
	schema.XcvrFlag:     {schema.FlagEvents, schema.FlagReads},
}

// promRenames name a metric differently from its field where the field's
// name would read badly in Prometheus.
var promRenames = map[string]string{
	schema.XcvrModule + "." + schema.ModuleStateCode: "xcvr_module_state",
	schema.XcvrModule + ".module_firmware_error":     "xcvr_module_firmware_error",
	schema.XcvrInfo + "." + schema.ChecksumErrors:    "xcvr_module_checksum_errors",
	schema.XcvrInfo + "." + schema.Warnings:          "xcvr_module_decoder_warnings",
	schema.XcvrAgent + "." + schema.BytesRead:        "xcvr_agent_read_bytes_total",
	schema.XcvrAgent + "." + schema.BytesWritten:     "xcvr_agent_written_bytes_total",
}

// promVDMDropped are the VDM basic statistics (min, max and average of the
// module's own interval) of observables that have a current value:
// Prometheus takes min, max and average over time of the current value
// itself, and the statistics would triple the VDM series.
var promVDMDropped = map[uint8]bool{
	9: true, 10: true, 11: true, 12: true, 13: true, 14: true, // pre-FEC BER min/max/avg
	17: true, 18: true, 19: true, 20: true, 21: true, 22: true, // errored frames min/max/avg
	27: true, 28: true, 29: true, 30: true, 31: true, 32: true, // SEW max min/max/avg
}

// promVDMCounters are VDM observables that accumulate (FERC total).
var promVDMCounters = map[uint8]bool{25: true, 26: true}

// promIndex maps measurement -> field -> metric for the fixed-name fields.
var promIndex = func() map[string]map[string]promMetric {
	idx := map[string]map[string]promMetric{}
	for _, m := range Schema() {
		allow, listed := promExposed[m.Name]
		if !listed {
			continue
		}
		fields := map[string]promMetric{}
		for _, d := range m.Fields {
			if d.Kind == String || (allow != nil && !contains(allow, d.Name)) {
				continue
			}
			fields[d.Name] = fieldMetric(m.Name, d)
		}
		idx[m.Name] = fields
	}
	return idx
}()

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func fieldMetric(measurement string, d FieldDoc) promMetric {
	name, conv := promName(d.Name, d.Unit)
	name = measurement + "_" + name
	kind := prometheus.GaugeValue
	if d.Counter {
		kind = prometheus.CounterValue
		name += "_total"
	}
	if r, ok := promRenames[measurement+"."+d.Name]; ok {
		name = r
	}
	help := d.Doc
	if help == "" {
		help = strings.ReplaceAll(d.Name, "_", " ")
	}
	return promMetric{name: name, help: help, kind: kind, conv: conv}
}

// promVDM is the metric of a VDM observable: xcvr_vdm_<observable>_<unit>,
// its side a label. ok is false for a dropped statistic.
func promVDM(typeID uint8) (promMetric, bool) {
	if promVDMDropped[typeID] {
		return promMetric{}, false
	}
	o, known := cmis.LookupObservable(typeID)
	obs, _ := splitSide(o.Name)
	if !known {
		obs = "type_" + strconv.Itoa(int(typeID))
	}
	name, conv := promName(obs, o.Unit)
	help := "VDM observable " + obs + " (type " + strconv.Itoa(int(typeID)) + ", " + o.Unit + ")"
	kind := prometheus.GaugeValue
	if promVDMCounters[typeID] {
		kind = prometheus.CounterValue
		name = strings.TrimSuffix(name, "_total") + "_total"
	}
	return promMetric{name: "xcvr_vdm_" + name, help: help, kind: kind, conv: conv}, true
}

// promThreshold is the metric of one module threshold:
// xcvr_threshold_<quantity>_<level>_<unit>, e.g.
// xcvr_threshold_rx_power_low_alarm_watts. The quantity is named as its
// field, so its unit is that field's.
func promThreshold(quantity, field string) (promMetric, bool) {
	level, ok := strings.CutSuffix(field, "_threshold")
	if !ok {
		return promMetric{}, false
	}
	var unit string
	for _, m := range [...]string{schema.XcvrModule, schema.XcvrLane} {
		if d, ok := lookupField(m, quantity); ok {
			unit = d.Unit
		}
	}
	u, _ := lookupUnit(unit)
	base := strings.TrimSuffix(quantity, u.field)
	return promMetric{
		name: "xcvr_threshold_" + base + "_" + level + u.prom,
		help: "the module's " + strings.ReplaceAll(level, "_", " ") + " threshold of " + base,
		kind: prometheus.GaugeValue,
		conv: u.conv,
	}, true
}

// promMetricOf returns how a field of a series appears, ok false when it
// is not exposed.
func promMetricOf(ps *promSeries, f Field) (promMetric, bool) {
	switch ps.measurement {
	case schema.XcvrVDM:
		if f.Key != schema.Value {
			return promMetric{}, false
		}
		id, ok := ps.fields[schema.TypeID]
		if !ok {
			return promMetric{}, false
		}
		return promVDM(uint8(id.I))
	case schema.XcvrThreshold:
		return promThreshold(ps.tag(schema.TagQuantity), f.Key)
	}
	m, ok := promIndex[ps.measurement][f.Key]
	return m, ok
}

// promDropsLabel reports the tags that are not labels: host duplicates
// Prometheus's instance; a VDM observable and a threshold's quantity are in
// the metric name. xcvr_alarm keeps its observable: it tells apart alarms
// of one rule on one lane.
func promDropsLabel(measurement, tag string) bool {
	return tag == schema.TagHost || tag == schema.TagObservable && measurement == schema.XcvrVDM || tag == schema.TagQuantity && measurement == schema.XcvrThreshold
}
