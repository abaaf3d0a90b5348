package alarm

import (
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/schema"
)

// metricKind says where a metric lives: the module, each lane, or each VDM
// observable instance.
type metricKind uint8

const (
	metNone metricKind = iota
	metModule
	metLane
	metVDM
)

// Field indexes of module and lane metrics.
const (
	fTemperature = iota
	fVcc
	fLaserTemperature
	fTECCurrent
	fVcc2
)

const (
	fTxBias = iota
	fTxPowerMW
	fTxPowerDBM
	fRxPowerMW
	fRxPowerDBM
)

// metricDef is a compiled metric name.
type metricDef struct {
	kind  metricKind
	field string // JSON name (module, lane) or observable (vdm)
	index int    // fTemperature..., fTxBias...
	// thr is the key of the module's Thresholds that applies; dbm says the
	// thresholds are in mW and the metric in dBm.
	thr string
	dbm bool
}

var moduleMetrics = []metricDef{
	{metModule, cmis.QTemperature, fTemperature, cmis.QTemperature, false},
	{metModule, cmis.QVcc, fVcc, cmis.QVcc, false},
	{metModule, cmis.QLaserTemperature, fLaserTemperature, cmis.QLaserTemperature, false},
	{metModule, cmis.QTECCurrent, fTECCurrent, cmis.QTECCurrent, false},
	{metModule, cmis.QVcc2, fVcc2, cmis.QVcc2, false},
}

var laneMetrics = []metricDef{
	{metLane, cmis.QTxBias, fTxBias, cmis.QTxBias, false},
	{metLane, cmis.QTxPower, fTxPowerMW, cmis.QTxPower, false},
	{metLane, schema.TxPowerDBM, fTxPowerDBM, cmis.QTxPower, true},
	{metLane, cmis.QRxPower, fRxPowerMW, cmis.QRxPower, false},
	{metLane, schema.RxPowerDBM, fRxPowerDBM, cmis.QRxPower, true},
}

// vdmObservables is every observable name the decoder knows.
var vdmObservables = func() map[string]bool {
	m := map[string]bool{}
	for id := 0; id < 256; id++ {
		if o, ok := cmis.LookupObservable(uint8(id)); ok {
			m[o.Name] = true
		}
	}
	return m
}()

// lookupMetric compiles "module.temperature_c", "lane.rx_power_dbm",
// "vdm.pre_fec_ber_media".
func lookupMetric(name string) (metricDef, bool) {
	scope, field, ok := strings.Cut(name, ".")
	if !ok {
		return metricDef{}, false
	}
	switch scope {
	case "module":
		for _, d := range moduleMetrics {
			if d.field == field {
				return d, true
			}
		}
	case "lane":
		for _, d := range laneMetrics {
			if d.field == field {
				return d, true
			}
		}
	case "vdm":
		if vdmObservables[field] || isVDMTypeName(field) {
			return metricDef{kind: metVDM, field: field}, true
		}
	}
	return metricDef{}, false
}

// isVDMTypeName matches the decoder's name for unknown VDM types, vdm_type_N.
func isVDMTypeName(s string) bool {
	n, ok := strings.CutPrefix(s, "vdm_type_")
	if !ok {
		return false
	}
	v, err := strconv.Atoi(n)
	return err == nil && v >= 0 && v < 256 && strconv.Itoa(v) == n
}

// metricHint lists the valid names of a scope for an error message.
func metricHint(name string) string {
	scope, _, _ := strings.Cut(name, ".")
	var names []string
	switch scope {
	case "module":
		for _, d := range moduleMetrics {
			names = append(names, "module."+d.field)
		}
	case "lane":
		for _, d := range laneMetrics {
			names = append(names, "lane."+d.field)
		}
	case "vdm":
		return "VDM metrics are vdm.<observable> with the observable names of cmis/vdm.go (vdm.pre_fec_ber_media, vdm.esnr_media, vdm.laser_temperature, vdm.errored_frames_media, ...)"
	default:
		return "metrics are module.<field>, lane.<field> or vdm.<observable>"
	}
	return "use one of " + strings.Join(names, ", ")
}

func moduleValue(m *cmis.Module, f int) *float64 {
	switch f {
	case fTemperature:
		return m.TemperatureC
	case fVcc:
		return m.VccV
	case fLaserTemperature:
		return m.LaserTemperatureC
	case fTECCurrent:
		return m.TECCurrentPct
	case fVcc2:
		return m.Vcc2V
	}
	return nil
}

func laneValue(l *cmis.Lane, f int) *float64 {
	switch f {
	case fTxBias:
		return l.TxBiasMA
	case fTxPowerMW:
		return l.TxPowerMW
	case fTxPowerDBM:
		return l.TxPowerDBM
	case fRxPowerMW:
		return l.RxPowerMW
	case fRxPowerDBM:
		return l.RxPowerDBM
	}
	return nil
}

// thresholdNames are the names a Level may refer to, in cmis.Thresholds
// order.
var thresholdNames = []string{"high_alarm", "low_alarm", "high_warning", "low_warning"}

// resolve returns the level's value for a module: a constant, or the
// module's own threshold of quantity (converted to dBm for a dBm metric)
// plus the offset. ok is false when the module has no such threshold or
// did not set it (cmis.Thresholds.Set: a zero limit of a quantity that
// cannot be negative).
func (l *Level) resolve(t *cmis.Thresholds, quantity string, dbm bool) (float64, bool) {
	if l.Ref == "" {
		return l.Value, true
	}
	if t == nil {
		return 0, false
	}
	v, ok := t.Limit(quantity, l.Ref)
	if !ok {
		return 0, false
	}
	if dbm {
		if v <= 0 {
			return 0, false
		}
		v = 10 * math.Log10(v)
	}
	return v + l.Offset, true
}

// The quantities of module_thresholds: module-level ones and lane ones.
var (
	moduleQuantities = []string{cmis.QTemperature, cmis.QVcc, cmis.QLaserTemperature, cmis.QTECCurrent, cmis.QVcc2}
	laneQuantities   = []string{cmis.QTxBias, cmis.QTxPower, cmis.QRxPower}
)

// lane quantity i reads lane field laneQuantityField[i].
var laneQuantityField = []int{fTxBias, fTxPowerMW, fRxPowerMW}

// flag classes of latched_flags.
const (
	classAlarm = iota
	classWarning
	classFault
)

var classNames = []string{"alarm", "warning", "fault"}

func flagClass(name string) int {
	switch {
	case strings.HasSuffix(name, "_alarm"):
		return classAlarm
	case strings.HasSuffix(name, "_warning"):
		return classWarning
	}
	return classFault
}

// informational flags are left out of latched_flags unless named in only:
// they report a change, not a problem.
func informationalFlag(name string) bool { return strings.HasSuffix(name, "_changed") }

var (
	laneFlagNames   = cmis.LaneFlagNames()
	moduleFlagNames = cmis.ModuleFlagNames()
)

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
