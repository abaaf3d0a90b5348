package exporter

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/schema"
)

// Source names where and when a module was read: the host and port tags
// and the timestamp of every point made from it.
type Source struct {
	Host string
	Port string
	Time time.Time
}

func (s Source) point(measurement string) Point {
	// Lane and module points carry 20-40 fields (every flag is a field):
	// size the slice once instead of growing it five times per point.
	var a pointSlab
	return a.point(s, measurement, 4, 32)
}

// pointSlab hands out the tags and fields of the points of one call
// (a module's fast points, its VDM points) from one array of each, so
// those points cost two allocations, not two or three each, and no slice
// is sized for the largest point. Every point gets a slice capped at its
// share: one that outgrows its estimate reallocates alone and never
// writes into its neighbour's share.
type pointSlab struct {
	tags   []Tag
	fields []Field
}

func newPointSlab(tags, fields int) pointSlab {
	return pointSlab{tags: make([]Tag, 0, tags), fields: make([]Field, 0, fields)}
}

// point starts a point of src with room for tags tags (host and port
// included) and fields fields.
func (a *pointSlab) point(src Source, measurement string, tags, fields int) Point {
	p := NewPoint(measurement, src.Time)
	p.Tags = take(&a.tags, tags)
	p.Fields = take(&a.fields, fields)
	p.AddTag(schema.TagHost, src.Host)
	p.AddTag(schema.TagPort, src.Port)
	return p
}

// take returns an empty slice of capacity n cut from the free end of
// *pool, or a new one when the pool has no room left.
func take[T any](pool *[]T, n int) []T {
	s := *pool
	if cap(s)-len(s) < n {
		return make([]T, 0, n)
	}
	*pool = s[:len(s)+n]
	return s[len(s) : len(s) : len(s)+n]
}

// Room each point of a module is given in its pointSlab: the module
// point's fields besides its flags, a lane's besides its flags, a laser's,
// a VDM value's and a coherent module's.
const (
	moduleFields   = 10 + cmis.NumModuleFlags
	laneFields     = 6 + cmis.NumLaneFlags
	laserFields    = 6
	vdmFields      = 10
	coherentFields = 13
	laneTags       = 3 // host, port, lane
	vdmTags        = 5 // host, port, lane, observable, side
)

// AllPoints is every point a decoded module yields: ModulePoints,
// VDMPoints and InfoPoints.
func AllPoints(src Source, m *cmis.Module) []Point {
	pts := ModulePoints(src, m)
	pts = append(pts, VDMPoints(src, m)...)
	return append(pts, InfoPoints(src, m)...)
}

// ModulePoints is the fast-cadence data of a present module: one
// xcvr_module point, one xcvr_lane point per lane and one xcvr_laser point
// per laser of an external laser source.
func ModulePoints(src Source, m *cmis.Module) []Point {
	if m == nil {
		return AbsentPoints(src)
	}
	pts := make([]Point, 0, 1+len(m.Lanes)+len(m.LaserSource))
	nl, nx := len(m.Lanes), len(m.LaserSource)
	a := newPointSlab(2+laneTags*(nl+nx), moduleFields+laneFields*nl+laserFields*nx)

	p := a.point(src, schema.XcvrModule, 2, moduleFields)
	p.AddBool(schema.Present, true)
	p.AddString(schema.ModuleState, m.ModuleState)
	p.AddInt(schema.ModuleStateCode, int64(m.ModuleStateCode))
	p.AddString(schema.ModuleFaultCause, m.ModuleFaultCause)
	p.AddBool(schema.Interrupt, m.Interrupt)
	p.AddFloatPtr(schema.TemperatureC, m.TemperatureC)
	p.AddFloatPtr(schema.VccV, m.VccV)
	p.AddFloatPtr(schema.LaserTemperatureC, m.LaserTemperatureC)
	p.AddFloatPtr(schema.TECCurrentPct, m.TECCurrentPct)
	p.AddFloatPtr(schema.Vcc2V, m.Vcc2V)
	for i := range cmis.NumModuleFlags {
		p.AddBool(cmis.ModuleFlagName(i), m.Flags&(1<<i) != 0)
	}
	pts = append(pts, p)

	for i := range m.Lanes {
		l := &m.Lanes[i]
		p := a.point(src, schema.XcvrLane, laneTags, laneFields)
		p.AddTag(schema.TagLane, laneTag(l.Lane))
		if l.DataPathState != "" {
			p.AddString(schema.DataPathState, l.DataPathState)
		}
		p.AddFloatPtr(schema.TxBiasMA, l.TxBiasMA)
		addPower(&p, schema.TxPowerMW, schema.TxPowerDBM, l.TxPowerMW, l.TxPowerDBM)
		addPower(&p, schema.RxPowerMW, schema.RxPowerDBM, l.RxPowerMW, l.RxPowerDBM)
		for i := range cmis.NumLaneFlags {
			p.AddBool(cmis.LaneFlagName(i), l.Flags&(1<<i) != 0)
		}
		pts = append(pts, p)
	}

	for i := range m.LaserSource {
		l := &m.LaserSource[i]
		p := a.point(src, schema.XcvrLaser, laneTags, laserFields)
		p.AddTag(schema.TagLane, laneTag(l.Lane))
		p.AddFloatPtr(schema.BiasMA, l.BiasMA)
		addPower(&p, schema.PowerMW, schema.PowerDBM, l.PowerMW, l.PowerDBM)
		p.AddFloatPtr(schema.VoltageV, l.VoltageV)
		if l.State != "" {
			p.AddString(schema.State, l.State)
		}
		if len(p.Fields) > 0 {
			pts = append(pts, p)
		}
	}
	return pts
}

// addPower adds the power in mW and, only when it is above 0 mW, in dBm:
// 0 mW has no dBm (never -Inf, never a floor).
func addPower(p *Point, mwField, dbmField string, mw, dbm *float64) {
	if mw == nil {
		return
	}
	p.AddFloat(mwField, *mw)
	if *mw > 0 && dbm != nil {
		p.AddFloat(dbmField, *dbm)
	}
}

// AbsentPoints is what an empty cage yields: xcvr_module with present=false.
func AbsentPoints(src Source) []Point {
	p := src.point(schema.XcvrModule)
	p.AddBool(schema.Present, false)
	return []Point{p}
}

// VDMPoints is the VDM-cadence data: one xcvr_vdm point per VDM observable
// instance and, for a coherent module, one xcvr_coherent point.
func VDMPoints(src Source, m *cmis.Module) []Point {
	if m == nil {
		return nil
	}
	pts := make([]Point, 0, len(m.VDM)+1)
	a := newPointSlab(vdmTags*len(m.VDM)+laneTags, vdmFields*len(m.VDM)+coherentFields)
	for i := range m.VDM {
		v := &m.VDM[i]
		obs, side := splitSide(v.Observable)
		p := a.point(src, schema.XcvrVDM, vdmTags, vdmFields)
		p.AddTag(schema.TagLane, laneTag(v.Lane))
		p.AddTag(schema.TagObservable, obs)
		p.AddTag(schema.TagSide, side)
		p.AddFloat(schema.Value, v.Value)
		p.AddInt(schema.TypeID, int64(v.TypeID))
		if t := v.Thresholds; t != nil {
			p.AddFloat(schema.HighAlarmThreshold, t.HighAlarm)
			p.AddFloat(schema.LowAlarmThreshold, t.LowAlarm)
			p.AddFloat(schema.HighWarningThreshold, t.HighWarning)
			p.AddFloat(schema.LowWarningThreshold, t.LowWarning)
		}
		p.AddBool(schema.HighAlarm, v.Flags&cmis.HighAlarm != 0)
		p.AddBool(schema.LowAlarm, v.Flags&cmis.LowAlarm != 0)
		p.AddBool(schema.HighWarning, v.Flags&cmis.HighWarning != 0)
		p.AddBool(schema.LowWarning, v.Flags&cmis.LowWarning != 0)
		pts = append(pts, p)
	}
	if pm := m.PM; pm != nil {
		p := a.point(src, schema.XcvrCoherent, laneTags, coherentFields)
		p.AddTag(schema.TagLane, "1")
		p.AddFloatPtr(schema.PreFECBERAvg, pm.PreFECBERAvg)
		p.AddFloatPtr(schema.PreFECBERMin, pm.PreFECBERMin)
		p.AddFloatPtr(schema.PreFECBERMax, pm.PreFECBERMax)
		if pm.UncorrectedFrames != nil {
			p.AddInt(schema.UncorrectedFrames, int64(*pm.UncorrectedFrames))
		}
		if pm.Frames != nil {
			p.AddInt(schema.Frames, int64(*pm.Frames))
		}
		p.AddFloatPtr(schema.CDAvgPsNM, pm.CDAvgPsNm)
		p.AddFloatPtr(schema.DGDAvgPs, pm.DGDAvgPs)
		p.AddFloatPtr(schema.OSNRAvgDB, pm.OSNRAvgDB)
		p.AddFloatPtr(schema.ESNRAvgDB, pm.ESNRAvgDB)
		p.AddFloatPtr(schema.CFOAvgMHz, pm.CFOAvgMHz)
		p.AddFloatPtr(schema.TxPowerAvgDBM, pm.TxPowerAvgDBM)
		p.AddFloatPtr(schema.RxTotalPowerAvgDBM, pm.RxTotalPowerDBM)
		p.AddFloatPtr(schema.RxSignalPowerAvgDBM, pm.RxSignalPowerDBM)
		if len(p.Fields) > 0 {
			pts = append(pts, p)
		}
	}
	return pts
}

// splitSide turns a VDM observable name ending in _media or _host into the
// observable and the side tag ("pre_fec_ber_media" -> "pre_fec_ber",
// "media"); other names have no side.
func splitSide(name string) (observable, side string) {
	for _, s := range [...]string{"media", schema.TagHost} {
		if base, ok := strings.CutSuffix(name, "_"+s); ok && base != "" {
			return base, s
		}
	}
	return name, ""
}

// InfoPoints is the static data, written at insertion and whenever the
// static pages are read again: one xcvr_info point and one xcvr_threshold
// point per monitored quantity with thresholds. Identity strings are
// fields, not tags (series cardinality), and are always written, empty
// when the module does not say, so the last value belongs to the module in
// the cage.
func InfoPoints(src Source, m *cmis.Module) []Point {
	if m == nil {
		return nil
	}
	p := src.point(schema.XcvrInfo)
	for _, s := range [...]struct{ k, v string }{
		{schema.Spec, m.Spec},
		{schema.SpecRevision, m.SpecRevision},
		{schema.Identifier, m.Identifier},
		{schema.Vendor, m.Vendor},
		{schema.VendorOUI, m.VendorOUI},
		{schema.PartNumber, m.PartNumber},
		{schema.Revision, m.Revision},
		{schema.SerialNumber, m.SerialNumber},
		{schema.DateCode, m.DateCode},
		{schema.CLEI, m.CLEI},
		{schema.Connector, m.Connector},
		{schema.MediaType, m.MediaType},
		{schema.MediaTechnology, m.MediaTech},
		{schema.FirmwareVersion, m.FirmwareVer},
		{schema.FirmwareInactiveVersion, m.FirmwareInact},
		{schema.HardwareVersion, m.HardwareVer},
		{schema.FunctionType, m.FunctionType},
		{schema.Applications, applications(m.Applications)},
	} {
		p.AddString(s.k, s.v)
	}
	p.AddInt(schema.IdentifierCode, int64(m.IdentifierCode))
	p.AddInt(schema.PowerClass, int64(m.PowerClass))
	p.AddInt(schema.Lanes, int64(len(m.Lanes)))
	banks := 1
	if m.Advertisement != nil && m.Advertisement.Banks > 0 {
		banks = m.Advertisement.Banks
	}
	p.AddInt(schema.Banks, int64(banks))
	p.AddFloatPtr(schema.WavelengthNM, m.WavelengthNM)
	p.AddFloatPtr(schema.WavelengthToleranceNM, m.WavelengthTolNM)
	p.AddFloatPtr(schema.NominalBitRateMbps, m.NominalBitRateMbps)
	p.AddFloatPtr(schema.MaxPowerW, m.MaxPowerW)
	p.AddFloatPtr(schema.CableLengthM, m.CableLengthM)
	p.AddBool(schema.FlatMemory, m.FlatMemory)
	if a := m.Advertisement; a != nil {
		p.AddBool(schema.RxPowerOMA, a.RxPowerIsOMA)
		p.AddBool(schema.VDMSupported, a.VDM)
	}
	bad := 0
	for _, c := range m.Checksums {
		if !c.OK {
			bad++
		}
	}
	p.AddInt(schema.ChecksumErrors, int64(bad))
	p.AddInt(schema.Warnings, int64(len(m.Warnings)))
	pts := []Point{p}

	names := make([]string, 0, len(m.Thresholds))
	for q := range m.Thresholds {
		names = append(names, q)
	}
	sort.Strings(names)
	for _, q := range names {
		t := m.Thresholds[q]
		p := src.point(schema.XcvrThreshold)
		p.AddTag(schema.TagQuantity, q)
		p.AddFloat(schema.HighAlarmThreshold, t.HighAlarm)
		p.AddFloat(schema.LowAlarmThreshold, t.LowAlarm)
		p.AddFloat(schema.HighWarningThreshold, t.HighWarning)
		p.AddFloat(schema.LowWarningThreshold, t.LowWarning)
		p.AddBool(schema.ChecksumFailed, t.ChecksumFailed)
		if len(p.Fields) > 0 {
			pts = append(pts, p)
		}
	}
	return pts
}

// applications summarises the advertised applications:
// "1:400GAUI-8 C2M/400GBASE-DR4; 2:...".
func applications(apps []cmis.Application) string {
	var b strings.Builder
	for i, a := range apps {
		if i > 0 {
			b.WriteString("; ")
		}
		fmt.Fprintf(&b, "%d:%s/%s", a.AppSel, a.HostInterface, a.MediaInterface)
	}
	return b.String()
}

// Alarm is one alarm state change, for xcvr_alarm. The alarm engine fills
// it; Lane 0 is a module-level alarm (no lane tag).
type Alarm struct {
	Host string
	Port string
	Lane int
	Rule string
	// Observable is what the alarm watches within its rule and lane (the
	// engine's Event.Observable): a VDM observable (pre_fec_ber_media,
	// written as observable=pre_fec_ber, side=media as in xcvr_vdm), the
	// quantity of module_thresholds (rx_power_mw), the flag of
	// latched_flags (rx_los); empty for a rule on one plain metric.
	Observable string
	// Limit is the module threshold a threshold built-in crossed
	// (high_alarm, low_alarm, high_warning, low_warning); empty otherwise.
	Limit string
	// Severity is critical, major, minor or warning (OpenConfig alarm
	// severities).
	Severity string
	// State is pending, firing or resolved.
	State     string
	Value     *float64
	Threshold *float64
	Summary   string
	// Cause is the likely cause of a firing alarm (laser_ageing, ...,
	// unknown) and Evidence what it rests on; empty otherwise.
	Cause    string
	Evidence []string
	Time     time.Time
	// Transition: this point is a state change. The agent also restates
	// every firing alarm periodically (Transition false), so a dashboard
	// can show what is firing now without a long look-back.
	Transition bool
}

// Alarm states.
const (
	AlarmPending  = "pending"
	AlarmFiring   = schema.Firing
	AlarmResolved = "resolved"
)

// AlarmPoint makes the xcvr_alarm point of an alarm state change.
func AlarmPoint(a Alarm) Point {
	p := NewPoint(schema.XcvrAlarm, a.Time)
	p.AddTag(schema.TagHost, a.Host)
	p.AddTag(schema.TagPort, a.Port)
	p.AddTag(schema.TagLane, laneTag(a.Lane))
	p.AddTag(schema.TagRule, a.Rule)
	p.AddTag(schema.TagSeverity, a.Severity)
	// The tags are the alarm's identity in the engine (rule, port, lane,
	// observable, limit): several alarms of one rule on one lane change
	// state in the same read (five VDM observables crossing their
	// thresholds), and points that share measurement, tags and time are
	// one point in InfluxDB.
	obs, side := splitSide(a.Observable)
	p.AddTag(schema.TagObservable, obs)
	p.AddTag(schema.TagSide, side)
	p.AddTag(schema.TagLimit, a.Limit)
	p.AddString(schema.State, a.State)
	p.AddBool(schema.Firing, a.State == AlarmFiring)
	p.AddBool(schema.Transition, a.Transition)
	p.AddFloatPtr(schema.Value, a.Value)
	p.AddFloatPtr(schema.Threshold, a.Threshold)
	p.AddString(schema.Summary, a.Summary)
	if a.Cause != "" {
		p.AddString(schema.Cause, a.Cause)
		p.AddString(schema.Evidence, strings.Join(a.Evidence, "; "))
	}
	return p
}

// BusStats is one bus worker's view for xcvr_agent (tags host, bus).
// Counters are cumulative since the process started.
type BusStats struct {
	// CycleTime is the duration of the last pass over the bus's due ports:
	// the reads, not the wait until the next one falls due.
	CycleTime time.Duration
	// IO is the sum of the bus's modules' I/O counters.
	IO             BusIO
	Ports          int
	ModulesPresent int
	// ReadErrors counts module reads that failed.
	ReadErrors int64
	// CyclePeriod and ScanPeriod are the achieved fast and flag-scan
	// periods, Utilisation the bus's wire time share (agent.BusProgress).
	CyclePeriod, ScanPeriod time.Duration
	ScanStretched           bool
	Utilisation             float64
}

// BusIO is a bus's I/O counters (cumulative), as the pipeline sums them
// from its modules'.
type BusIO struct {
	Transactions, BytesRead, BytesWritten, PageSelects, NACKs, Retries, Errors int64
	// BusTime is the time spent in bus transactions.
	BusTime time.Duration
}

// BusPoint makes the per-bus xcvr_agent point.
func BusPoint(host, bus string, t time.Time, s BusStats) Point {
	p := NewPoint(schema.XcvrAgent, t)
	p.AddTag(schema.TagHost, host)
	p.AddTag(schema.TagBus, bus)
	p.AddFloat(schema.CycleTimeS, s.CycleTime.Seconds())
	if s.CyclePeriod > 0 {
		p.AddFloat(schema.CyclePeriodS, s.CyclePeriod.Seconds())
	}
	if s.ScanPeriod > 0 {
		p.AddFloat(schema.ScanPeriodS, s.ScanPeriod.Seconds())
		p.AddBool(schema.ScanStretched, s.ScanStretched)
		p.AddFloat(schema.BusUtilisation, s.Utilisation)
	}
	p.AddFloat(schema.BusTimeS, s.IO.BusTime.Seconds())
	p.AddInt(schema.Transactions, s.IO.Transactions)
	p.AddInt(schema.BytesRead, s.IO.BytesRead)
	p.AddInt(schema.BytesWritten, s.IO.BytesWritten)
	p.AddInt(schema.PageSelects, s.IO.PageSelects)
	p.AddInt(schema.NACKs, s.IO.NACKs)
	p.AddInt(schema.Retries, s.IO.Retries)
	p.AddInt(schema.BusErrors, s.IO.Errors)
	p.AddInt(schema.ReadErrors, s.ReadErrors)
	p.AddInt(schema.Ports, int64(s.Ports))
	p.AddInt(schema.ModulesPresent, int64(s.ModulesPresent))
	return p
}

// SinkPoint makes the process-level xcvr_agent point (tag host only, no
// bus) from a sink's Stats.
func SinkPoint(host string, t time.Time, s Stats) Point {
	p := NewPoint(schema.XcvrAgent, t)
	p.AddTag(schema.TagHost, host)
	p.AddInt(schema.QueueDepth, int64(s.QueueDepth))
	p.AddInt(schema.SpoolBytes, s.SpoolBytes)
	p.AddInt(schema.SpoolPoints, s.SpoolPoints)
	p.AddInt(schema.WrittenPoints, s.Written)
	p.AddInt(schema.SentPoints, s.Sent)
	p.AddInt(schema.DroppedPoints, s.Dropped)
	p.AddInt(schema.RejectedPoints, s.Rejected)
	p.AddInt(schema.InvalidPoints, s.Invalid)
	p.AddInt(schema.CorruptPoints, s.Corrupt)
	p.AddInt(schema.NonFiniteFields, s.NonFiniteFields)
	p.AddInt(schema.WriteRequests, s.Requests)
	p.AddInt(schema.WriteRetries, s.Retries)
	p.AddInt(schema.AuthErrors, s.AuthErrors)
	p.AddFloat(schema.WriteLatencyS, s.WriteLatency.Seconds())
	return p
}

// ProcessStats are the process's own counters on the process point.
type ProcessStats struct {
	// ClockStepsBack counts the backward steps of the wall clock the agent
	// saw since it started.
	ClockStepsBack int64
}

// ProcessPoint is the process-level xcvr_agent point: the sink's counters
// (SinkPoint) and the process's own.
func ProcessPoint(host string, t time.Time, s Stats, ps ProcessStats) Point {
	p := SinkPoint(host, t, s)
	p.AddInt(schema.ClockStepsBack, ps.ClockStepsBack)
	return p
}

func laneTag(lane int) string {
	if lane <= 0 {
		return ""
	}
	return strconv.Itoa(lane)
}

// FieldDoc documents one field.
type FieldDoc struct {
	Name string
	Kind Kind
	// Unit is the field's unit ("" for none); the name ends in it.
	Unit string
	Doc  string
	// OpenConfig is the openconfig-platform-transceiver leaf the field
	// follows, when there is one.
	OpenConfig string
	// Counter marks a cumulative counter (Prometheus type counter).
	Counter bool
}

// TagDoc documents one tag.
type TagDoc struct {
	Name, Doc string
}

// MeasurementDoc documents one measurement.
type MeasurementDoc struct {
	Name   string
	Doc    string
	Tags   []TagDoc
	Fields []FieldDoc
}

var (
	tagHost = TagDoc{schema.TagHost, "the host ddm runs on"}
	tagPort = TagDoc{schema.TagPort, "the port (cage) name from the configuration"}
	tagLane = TagDoc{schema.TagLane, "1-based lane, global across banks (lane 8·bank+i+1)"}
)

const ocChan = "physical-channels/channel/state/"

// Schema returns the documentation of every measurement, tag and field ddm
// writes, in the order docs/SCHEMA.md lists them.
func Schema() []MeasurementDoc {
	module := MeasurementDoc{
		Name: schema.XcvrModule,
		Doc:  "Module monitors, state and latched module flags; fast cadence. An empty cage writes present=false alone.",
		Tags: []TagDoc{tagHost, tagPort},
		Fields: []FieldDoc{
			{schema.Present, Bool, "", "a module is in the cage", "state/present", false},
			{schema.ModuleState, String, "", "CMIS module state (ModuleReady, ModuleLowPwr, ...); SFF modules: ready or data not ready", "", false},
			{schema.ModuleStateCode, Int, "", "CMIS module state code (byte 3 bits 3-1)", "", false},
			{schema.ModuleFaultCause, String, "", "CMIS module fault cause when in ModuleFault, else empty", "state/fault-condition", false},
			{schema.Interrupt, Bool, "", "the module asserts IntL", "", false},
			{schema.TemperatureC, Float, "°C", "module case temperature", "/components/component/state/temperature/instant", false},
			{schema.VccV, Float, "V", "supply voltage", "state/supply-voltage/instant", false},
			{schema.LaserTemperatureC, Float, "°C", "laser temperature (CMIS aux monitor)", ocChan + "laser-temperature/instant", false},
			{schema.TECCurrentPct, Float, "%", "TEC current, % of maximum (CMIS aux monitor)", ocChan + "tec-current", false},
			{schema.Vcc2V, Float, "V", "second supply voltage (CMIS aux monitor)", "", false},
		},
	}
	for _, n := range cmis.ModuleFlagNames() {
		module.Fields = append(module.Fields, FieldDoc{n, Bool, "", "latched module flag, set since the previous read", "", false})
	}

	lane := MeasurementDoc{
		Name: schema.XcvrLane,
		Doc:  "Per-lane monitors and latched lane flags; fast cadence. Every flag is written every time (false clears it).",
		Tags: []TagDoc{tagHost, tagPort, tagLane},
		Fields: []FieldDoc{
			{schema.DataPathState, String, "", "CMIS data path state (DPActivated, ...); CMIS only", "", false},
			{schema.TxBiasMA, Float, "mA", "laser bias current", ocChan + "laser-bias-current/instant", false},
			{schema.TxPowerMW, Float, "mW", "transmit optical power", ocChan + "output-power/instant (in dBm there)", false},
			{schema.TxPowerDBM, Float, "dBm", "transmit optical power; absent when tx_power_mw is 0", ocChan + "output-power/instant", false},
			{schema.RxPowerMW, Float, "mW", "receive optical power (OMA when xcvr_info.rx_power_oma)", ocChan + "input-power/instant (in dBm there)", false},
			{schema.RxPowerDBM, Float, "dBm", "receive optical power; absent when rx_power_mw is 0", ocChan + "input-power/instant", false},
		},
	}
	laneOC := map[string]string{
		"tx_fault": ocChan + "tx-failure", "rx_los": ocChan + "rx-los", "rx_cdr_lol": ocChan + "rx-cdr-lol",
		"tx_los": "host-lanes/lane/state/tx-los", "tx_cdr_lol": "host-lanes/lane/state/tx-cdr-lol",
	}
	for _, n := range cmis.LaneFlagNames() {
		lane.Fields = append(lane.Fields, FieldDoc{n, Bool, "", "latched lane flag, set since the previous read", laneOC[n], false})
	}

	vdm := MeasurementDoc{
		Name: schema.XcvrVDM,
		Doc: "CMIS VDM observables, one point per observable instance; VDM cadence, read inside the freeze handshake. " +
			"The unit of value and of the thresholds is the observable's (table below), not written per point.",
		Tags: []TagDoc{tagHost, tagPort, tagLane,
			{schema.TagObservable, "VDM observable name without its side suffix (pre_fec_ber, esnr, laser_age, ...)"},
			{schema.TagSide, "media or host, for observables that come in both; absent otherwise"}},
		Fields: []FieldDoc{
			{schema.Value, Float, "observable's", "the sample", "", false},
			{schema.TypeID, Int, "", "CMIS VDM observable type id (unknown ids are named vdm_type_N, unit raw)", "", false},
			{schema.HighAlarmThreshold, Float, "observable's", "threshold set of the observable, when the module has one", "", false},
			{schema.LowAlarmThreshold, Float, "observable's", "", "", false},
			{schema.HighWarningThreshold, Float, "observable's", "", "", false},
			{schema.LowWarningThreshold, Float, "observable's", "", "", false},
			{schema.HighAlarm, Bool, "", "latched VDM flag", "", false},
			{schema.LowAlarm, Bool, "", "latched VDM flag", "", false},
			{schema.HighWarning, Bool, "", "latched VDM flag", "", false},
			{schema.LowWarning, Bool, "", "latched VDM flag", "", false},
		},
	}

	coherent := MeasurementDoc{
		Name: schema.XcvrCoherent,
		Doc:  "C-CMIS performance monitoring (pages 34h/35h) of a coherent module, media lane 1; VDM cadence.",
		Tags: []TagDoc{tagHost, tagPort, tagLane},
		Fields: []FieldDoc{
			{schema.PreFECBERAvg, Float, "ratio", "pre-FEC bit error ratio, average over the PM interval", "state/pre-fec-ber/avg", false},
			{schema.PreFECBERMin, Float, "ratio", "", "state/pre-fec-ber/min", false},
			{schema.PreFECBERMax, Float, "ratio", "", "state/pre-fec-ber/max", false},
			{schema.UncorrectedFrames, Int, schema.Frames, "frames FEC could not correct in the PM interval", "state/fec-uncorrectable-blocks", false},
			{schema.Frames, Int, schema.Frames, "frames in the PM interval", "", false},
			{schema.CDAvgPsNM, Float, "ps/nm", "chromatic dispersion", "", false},
			{schema.DGDAvgPs, Float, "ps", "differential group delay", "", false},
			{schema.OSNRAvgDB, Float, "dB", "optical signal-to-noise ratio", "", false},
			{schema.ESNRAvgDB, Float, "dB", "electrical signal-to-noise ratio", "", false},
			{schema.CFOAvgMHz, Float, "MHz", "carrier frequency offset", "", false},
			{schema.TxPowerAvgDBM, Float, "dBm", "transmit power", "", false},
			{schema.RxTotalPowerAvgDBM, Float, "dBm", "receive total power", "", false},
			{schema.RxSignalPowerAvgDBM, Float, "dBm", "receive signal power", "", false},
		},
	}

	laser := MeasurementDoc{
		Name: schema.XcvrLaser,
		Doc:  "Lasers of an external laser source (OIF-ELSFP page 1Bh); fast cadence.",
		Tags: []TagDoc{tagHost, tagPort, tagLane},
		Fields: []FieldDoc{
			{schema.BiasMA, Float, "mA", "laser bias current", ocChan + "laser-bias-current/instant", false},
			{schema.PowerMW, Float, "mW", "laser output power", ocChan + "output-power/instant (in dBm there)", false},
			{schema.PowerDBM, Float, "dBm", "laser output power; absent when power_mw is 0", ocChan + "output-power/instant", false},
			{schema.VoltageV, Float, "V", "laser voltage", "", false},
			{schema.State, String, "", "off, ramping, on or reserved", "", false},
		},
	}

	info := MeasurementDoc{
		Name: schema.XcvrInfo,
		Doc: "Identity and advertisement; written at insertion and when static pages are read again. " +
			"Strings are fields, not tags (cardinality), and are written even when empty so the last value belongs to the module in the cage.",
		Tags: []TagDoc{tagHost, tagPort},
		Fields: []FieldDoc{
			{schema.Spec, String, "", "CMIS, SFF-8636, SFF-8436 or SFF-8472", "", false},
			{schema.SpecRevision, String, "", "management interface revision (5.1)", "", false},
			{schema.Identifier, String, "", "SFF-8024 identifier (QSFP-DD, OSFP, ...)", "state/form-factor", false},
			{schema.Vendor, String, "", "vendor name", "state/vendor", false},
			{schema.VendorOUI, String, "", "vendor IEEE OUI", "", false},
			{schema.PartNumber, String, "", "vendor part number", "state/vendor-part", false},
			{schema.Revision, String, "", "vendor revision", "state/vendor-rev", false},
			{schema.SerialNumber, String, "", "vendor serial number", "state/serial-no", false},
			{schema.DateCode, String, "", "manufacturing date code", "state/date-code", false},
			{schema.CLEI, String, "", "CLEI code", "", false},
			{schema.Connector, String, "", "connector type", "state/connector-type", false},
			{schema.MediaType, String, "", "media type (MMF, SMF, copper, active cable)", "", false},
			{schema.MediaTechnology, String, "", "transmitter technology", "", false},
			{schema.FirmwareVersion, String, "", "active firmware version", "/components/component/state/firmware-version", false},
			{schema.FirmwareInactiveVersion, String, "", "inactive firmware image version", "", false},
			{schema.HardwareVersion, String, "", "hardware version", "/components/component/state/hardware-version", false},
			{schema.FunctionType, String, "", "transmission or laser source", "", false},
			{schema.Applications, String, "", "advertised applications, AppSel:host/media separated by '; '", "state/ethernet-pmd (the media side)", false},
			{schema.IdentifierCode, Int, "", "SFF-8024 identifier byte", "", false},
			{schema.PowerClass, Int, "", "power class", "", false},
			{schema.Lanes, Int, "", "number of lanes", "", false},
			{schema.Banks, Int, "", "number of CMIS banks (1 for SFF)", "", false},
			{schema.WavelengthNM, Float, "nm", "nominal wavelength", "", false},
			{schema.WavelengthToleranceNM, Float, "nm", "wavelength tolerance (±)", "", false},
			{schema.NominalBitRateMbps, Float, "Mb/s", "nominal signalling rate (SFF)", "", false},
			{schema.MaxPowerW, Float, "W", "maximum power consumption", "", false},
			{schema.CableLengthM, Float, "m", "cable length (copper, AOC)", "", false},
			{schema.FlatMemory, Bool, "", "the module has no paged memory", "", false},
			{schema.RxPowerOMA, Bool, "", "rx power is OMA rather than average", "", false},
			{schema.VDMSupported, Bool, "", "the module advertises VDM", "", false},
			{schema.ChecksumErrors, Int, "", "page checksums that failed: identity and advertisement pages that fail are not decoded; thresholds are, marked (xcvr_threshold.checksum_failed)", "", false},
			{schema.Warnings, Int, "", "decoder warnings (see ddm dump)", "", false},
		},
	}

	thresh := MeasurementDoc{
		Name: schema.XcvrThreshold,
		Doc: "Module alarm and warning thresholds, one point per monitored quantity; written with xcvr_info. " +
			"As everywhere, a name ending in _threshold is a limit and one ending in _alarm or _warning a flag.",
		Tags: []TagDoc{tagHost, tagPort,
			{schema.TagQuantity, "the monitor the thresholds apply to, named as its field (temperature_c, vcc_v, tx_bias_ma, tx_power_mw, rx_power_mw, ...)"}},
		Fields: []FieldDoc{
			{schema.HighAlarmThreshold, Float, "quantity's", "", "thresholds/threshold[CRITICAL]/state/*-upper", false},
			{schema.LowAlarmThreshold, Float, "quantity's", "", "thresholds/threshold[CRITICAL]/state/*-lower", false},
			{schema.HighWarningThreshold, Float, "quantity's", "", "thresholds/threshold[WARNING]/state/*-upper", false},
			{schema.LowWarningThreshold, Float, "quantity's", "", "thresholds/threshold[WARNING]/state/*-lower", false},
			{schema.ChecksumFailed, Bool, "", "the thresholds come from a page whose checksum does not match (CMIS page 02h, SFF-8472 A2h CC_DMI; many modules never set it); alarm rules use them unless the rule says trust_failed_checksum: false", "", false},
		},
	}

	alarm := MeasurementDoc{
		Name: schema.XcvrAlarm,
		Doc: "Alarm state changes from the alarm engine (transition=true), and every firing alarm restated each minute (transition=false). " +
			"The tags are the alarm's identity (rule, port, lane, observable, limit), so every state change is a point of its own; " +
			"a series exists only for an alarm that changed state.",
		Tags: []TagDoc{tagHost, tagPort,
			{schema.TagLane, "1-based lane; absent for a module-level alarm"},
			{schema.TagRule, "rule name from the rules file"},
			{schema.TagSeverity, "critical, major, minor or warning (OpenConfig alarm severities)"},
			{schema.TagObservable, "what the alarm watches within its rule and lane: the VDM observable (as in xcvr_vdm, without its side), the quantity of module_thresholds (rx_power_mw), the flag of latched_flags (rx_los); absent for a rule on one plain metric"},
			{schema.TagSide, "media or host, for a VDM observable that has a side (as in xcvr_vdm); absent otherwise"},
			{schema.TagLimit, "the module threshold crossed, for the threshold built-ins (high_alarm, low_alarm, high_warning, low_warning); absent otherwise"}},
		Fields: []FieldDoc{
			{schema.State, String, "", "pending, firing or resolved", "", false},
			{schema.Firing, Bool, "", "state is firing", "", false},
			{schema.Transition, Bool, "", "a state change (false: a periodic restatement of a firing alarm)", "", false},
			{schema.Value, Float, "rule's", "the value that changed the state", "", false},
			{schema.Threshold, Float, "rule's", "the threshold it was compared with", "", false},
			{schema.Summary, String, "", "human-readable summary", "", false},
			{schema.Cause, String, "", "the likely cause of a firing alarm (laser_ageing, ..., unknown); absent otherwise", "", false},
			{schema.Evidence, String, "", "what the likely cause rests on, '; '-separated; with cause", "", false},
			{schema.LaserEvent, String, "", "the xcvr_laser_event whose laser feeds this lane and was firing when the alarm changed state (optical topology); absent otherwise", "", false},
		},
	}

	agent := MeasurementDoc{
		Name: schema.XcvrAgent,
		Doc: "ddm's own health. With a bus tag: one point per bus worker (I/O counters are cumulative). " +
			"Without a bus tag: the process's sink (exporter) counters and its wall-clock steps.",
		Tags: []TagDoc{tagHost, {schema.TagBus, "the bus name; absent on the process point"}},
		Fields: []FieldDoc{
			{schema.CycleTimeS, Float, "s", "duration of the last pass over the bus's due ports (the reads, not the wait for the next)", "", false},
			{schema.CyclePeriodS, Float, "s", "achieved fast cadence: the longest time between the starts of a port's last two fast reads", "", false},
			{schema.ScanPeriodS, Float, "s", "achieved flag-scan period: between the starts of the last two scan rounds (every port once)", "", false},
			{schema.ScanStretched, Bool, "", "the flag scan runs slower than flag_interval: the bus has no room for it beside the fast reads", "", false},
			{schema.BusUtilisation, Float, "ratio", "share of the last fast cycle the bus spent on the wire (0-1; the flag scan stretches to keep it within its 80 % budget, above it only when the other reads alone take more)", "", false},
			{schema.BusTimeS, Float, "s", "time spent in bus transactions", "", true},
			{schema.Transactions, Int, "", "bus transactions", "", true},
			{schema.BytesRead, Int, "bytes", "", "", true},
			{schema.BytesWritten, Int, "bytes", "", "", true},
			{schema.PageSelects, Int, "", "page/bank select writes", "", true},
			{schema.NACKs, Int, "", "transactions the module NACKed", "", true},
			{schema.Retries, Int, "", "transactions retried", "", true},
			{schema.BusErrors, Int, "", "transactions that failed", "", true},
			{schema.ReadErrors, Int, "", "module reads that failed", "", true},
			{schema.Ports, Int, "", "ports on the bus", "", false},
			{schema.ModulesPresent, Int, "", "cages with a module", "", false},
			{schema.QueueDepth, Int, "points", "points waiting in memory for the spool", "", false},
			{schema.SpoolBytes, Int, "bytes", "size of the disk spool", "", false},
			{schema.SpoolPoints, Int, "points", "points in the disk spool (not yet accepted by InfluxDB)", "", false},
			{schema.WrittenPoints, Int, "points", "points handed to the sink", "", true},
			{schema.SentPoints, Int, "points", "points the server accepted", "", true},
			{schema.DroppedPoints, Int, "points", "points lost: queue or spool full (oldest first), or written after close", "", true},
			{schema.RejectedPoints, Int, "points", "points the server refused for good (400, or 413 for a single point)", "", true},
			{schema.InvalidPoints, Int, "points", "points that could not be encoded", "", true},
			{schema.CorruptPoints, Int, "points", "spool entries lost to on-disk corruption", "", true},
			{schema.NonFiniteFields, Int, "fields", "NaN/Inf field values dropped at point creation", "", true},
			{schema.WriteRequests, Int, "", "write requests sent", "", true},
			{schema.WriteRetries, Int, "", "write requests that failed and were retried", "", true},
			{schema.AuthErrors, Int, "", "write requests answered 401 or 403", "", true},
			{schema.WriteLatencyS, Float, "s", "duration of the last accepted write request", "", false},
			{schema.ClockStepsBack, Int, "", "backward steps of the wall clock since ddm started (points after one may overwrite older ones; rules run on a steady clock)", "", true},
		},
	}

	forecast := MeasurementDoc{
		Name: schema.XcvrForecast,
		Doc: "The agent's trend of a quantity of a lane (no lane tag: the module) and, when the trend is forecast to cross one of the module's thresholds, " +
			"which one and the days to it with their interval. A stable or improving trend has no limit and no days. " +
			"Written every 15 minutes (alarm.ForecastEvery) for every series with at least 2 days of history: one point per trend without a crossing, one per crossing otherwise.",
		Tags: []TagDoc{tagHost, tagPort, tagLane,
			{schema.TagQuantity, "the forecast quantity, named as its field (rx_power_mw, tx_bias_ma, temperature_c, pre_fec_ber)"},
			{schema.TagLimit, "the threshold the trend is forecast to reach (low_warning, high_alarm, and kp4_limit for pre_fec_ber); absent when no crossing is forecast"}},
		Fields: []FieldDoc{
			{schema.TrendPerDay, Float, "quantity's/day", "trend per day (optical power: mW/day at the current level, also when fitted in dB; pre_fec_ber: decades per day)", "", false},
			{schema.Threshold, Float, "quantity's", "the threshold forecast to be reached", "", false},
			{schema.DaysToThreshold, Float, "days", "days until the trend reaches the threshold", "", false},
			{schema.DaysLow, Float, "days", "the interval's early end", "", false},
			{schema.DaysHigh, Float, "days", "the interval's late end; absent when the slow end never reaches the threshold", "", false},
		},
	}

	cohort := MeasurementDoc{
		Name: schema.XcvrCohort,
		Doc: "Robust z-score of a quantity of a lane (no lane tag: the module) among its peers: the lanes (or modules) of the modules " +
			"of the same part number and firmware on the switch, at least 4. Written with xcvr_forecast, every 15 minutes.",
		Tags: []TagDoc{tagHost, tagPort, tagLane,
			{schema.TagQuantity, "the quantity scored, named as its field"}},
		Fields: []FieldDoc{
			{schema.Z, Float, "σ", "robust z-score: (value - cohort median) / (1.4826 · cohort MAD)", "", false},
			{schema.Median, Float, "quantity's", "the cohort's median of the quantity", "", false},
			{schema.Peers, Int, "", "lanes or modules in the cohort", "", false},
		},
	}

	docs := append([]MeasurementDoc{module, lane, vdm, coherent, laser, info, thresh, alarm, agent, laserEventDoc(), flagEventDoc(), flagDoc()}, flightDocs()...)
	return append(append(docs, forecast, cohort), energyDocs()...)
}

// schemaIndex maps measurement -> field -> doc.
var schemaIndex = func() map[string]map[string]FieldDoc {
	idx := map[string]map[string]FieldDoc{}
	for _, m := range Schema() {
		f := map[string]FieldDoc{}
		for _, d := range m.Fields {
			f[d.Name] = d
		}
		idx[m.Name] = f
	}
	return idx
}()

// lookupField returns the documentation of a field.
func lookupField(measurement, field string) (FieldDoc, bool) {
	d, ok := schemaIndex[measurement][field]
	return d, ok
}
