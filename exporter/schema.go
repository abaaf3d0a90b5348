package exporter

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/i2c"
)

// Measurement names.
const (
	MModule    = "xcvr_module"
	MLane      = "xcvr_lane"
	MVDM       = "xcvr_vdm"
	MCoherent  = "xcvr_coherent"
	MLaser     = "xcvr_laser"
	MInfo      = "xcvr_info"
	MThreshold = "xcvr_threshold"
	MAlarm     = "xcvr_alarm"
	MAgent     = "xcvr_agent"
)

// Source names where and when a module was read: the host and port tags
// and the timestamp of every point made from it.
type Source struct {
	Host string
	Port string
	Time time.Time
}

func (s Source) point(measurement string) Point {
	p := NewPoint(measurement, s.Time)
	// Lane and module points carry 20-30 fields (every flag is a field):
	// size the slice once instead of growing it five times per point.
	p.Fields = make([]Field, 0, 32)
	p.AddTag("host", s.Host)
	p.AddTag("port", s.Port)
	return p
}

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

	p := src.point(MModule)
	p.AddBool("present", true)
	p.AddString("module_state", m.ModuleState)
	p.AddInt("module_state_code", int64(m.ModuleStateCode))
	p.AddString("module_fault_cause", m.ModuleFaultCause)
	p.AddBool("interrupt", m.Interrupt)
	p.AddFloatPtr("temperature_c", m.TemperatureC)
	p.AddFloatPtr("vcc_v", m.VccV)
	p.AddFloatPtr("laser_temperature_c", m.LaserTemperatureC)
	p.AddFloatPtr("tec_current_pct", m.TECCurrentPct)
	p.AddFloatPtr("vcc2_v", m.Vcc2V)
	for i, name := range cmis.ModuleFlagNames() {
		p.AddBool(name, m.Flags&(1<<i) != 0)
	}
	pts = append(pts, p)

	for i := range m.Lanes {
		l := &m.Lanes[i]
		p := src.point(MLane)
		p.AddTag("lane", laneTag(l.Lane))
		if l.DataPathState != "" {
			p.AddString("data_path_state", l.DataPathState)
		}
		p.AddFloatPtr("tx_bias_ma", l.TxBiasMA)
		addPower(&p, "tx_power", l.TxPowerMW, l.TxPowerDBM)
		addPower(&p, "rx_power", l.RxPowerMW, l.RxPowerDBM)
		for i, name := range cmis.LaneFlagNames() {
			p.AddBool(name, l.Flags&(1<<i) != 0)
		}
		pts = append(pts, p)
	}

	for i := range m.LaserSource {
		l := &m.LaserSource[i]
		p := src.point(MLaser)
		p.AddTag("lane", laneTag(l.Lane))
		p.AddFloatPtr("bias_ma", l.BiasMA)
		addPower(&p, "power", l.PowerMW, l.PowerDBM)
		p.AddFloatPtr("voltage_v", l.VoltageV)
		if l.State != "" {
			p.AddString("state", l.State)
		}
		if len(p.Fields) > 0 {
			pts = append(pts, p)
		}
	}
	return pts
}

// addPower adds <name>_mw and, only when the power is above 0 mW,
// <name>_dbm: 0 mW has no dBm (never -Inf, never a floor).
func addPower(p *Point, name string, mw, dbm *float64) {
	if mw == nil {
		return
	}
	p.AddFloat(name+"_mw", *mw)
	if *mw > 0 && dbm != nil {
		p.AddFloat(name+"_dbm", *dbm)
	}
}

// AbsentPoints is what an empty cage yields: xcvr_module with present=false.
func AbsentPoints(src Source) []Point {
	p := src.point(MModule)
	p.AddBool("present", false)
	return []Point{p}
}

// VDMPoints is the VDM-cadence data: one xcvr_vdm point per VDM observable
// instance and, for a coherent module, one xcvr_coherent point.
func VDMPoints(src Source, m *cmis.Module) []Point {
	if m == nil {
		return nil
	}
	pts := make([]Point, 0, len(m.VDM)+1)
	for i := range m.VDM {
		v := &m.VDM[i]
		obs, side := splitSide(v.Observable)
		p := src.point(MVDM)
		p.AddTag("lane", laneTag(v.Lane))
		p.AddTag("observable", obs)
		p.AddTag("side", side)
		p.AddFloat("value", v.Value)
		p.AddInt("type_id", int64(v.TypeID))
		if t := v.Thresholds; t != nil {
			p.AddFloat("high_alarm_threshold", t.HighAlarm)
			p.AddFloat("low_alarm_threshold", t.LowAlarm)
			p.AddFloat("high_warning_threshold", t.HighWarning)
			p.AddFloat("low_warning_threshold", t.LowWarning)
		}
		p.AddBool("high_alarm", v.Flags&cmis.HighAlarm != 0)
		p.AddBool("low_alarm", v.Flags&cmis.LowAlarm != 0)
		p.AddBool("high_warning", v.Flags&cmis.HighWarning != 0)
		p.AddBool("low_warning", v.Flags&cmis.LowWarning != 0)
		pts = append(pts, p)
	}
	if pm := m.PM; pm != nil {
		p := src.point(MCoherent)
		p.AddTag("lane", "1")
		p.AddFloatPtr("pre_fec_ber_avg", pm.PreFECBERAvg)
		p.AddFloatPtr("pre_fec_ber_min", pm.PreFECBERMin)
		p.AddFloatPtr("pre_fec_ber_max", pm.PreFECBERMax)
		if pm.UncorrectedFrames != nil {
			p.AddInt("uncorrected_frames", int64(*pm.UncorrectedFrames))
		}
		if pm.Frames != nil {
			p.AddInt("frames", int64(*pm.Frames))
		}
		p.AddFloatPtr("cd_avg_ps_nm", pm.CDAvgPsNm)
		p.AddFloatPtr("dgd_avg_ps", pm.DGDAvgPs)
		p.AddFloatPtr("osnr_avg_db", pm.OSNRAvgDB)
		p.AddFloatPtr("esnr_avg_db", pm.ESNRAvgDB)
		p.AddFloatPtr("cfo_avg_mhz", pm.CFOAvgMHz)
		p.AddFloatPtr("tx_power_avg_dbm", pm.TxPowerAvgDBM)
		p.AddFloatPtr("rx_total_power_avg_dbm", pm.RxTotalPowerDBM)
		p.AddFloatPtr("rx_signal_power_avg_dbm", pm.RxSignalPowerDBM)
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
	for _, s := range [...]string{"media", "host"} {
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
	p := src.point(MInfo)
	for _, s := range [...]struct{ k, v string }{
		{"spec", m.Spec},
		{"spec_revision", m.SpecRevision},
		{"identifier", m.Identifier},
		{"vendor", m.Vendor},
		{"vendor_oui", m.VendorOUI},
		{"part_number", m.PartNumber},
		{"revision", m.Revision},
		{"serial_number", m.SerialNumber},
		{"date_code", m.DateCode},
		{"clei", m.CLEI},
		{"connector", m.Connector},
		{"media_type", m.MediaType},
		{"media_technology", m.MediaTech},
		{"firmware_version", m.FirmwareVer},
		{"firmware_inactive_version", m.FirmwareInact},
		{"hardware_version", m.HardwareVer},
		{"function_type", m.FunctionType},
		{"applications", applications(m.Applications)},
	} {
		p.AddString(s.k, s.v)
	}
	p.AddInt("identifier_code", int64(m.IdentifierCode))
	p.AddInt("power_class", int64(m.PowerClass))
	p.AddInt("lanes", int64(len(m.Lanes)))
	banks := 1
	if m.Advertisement != nil && m.Advertisement.Banks > 0 {
		banks = m.Advertisement.Banks
	}
	p.AddInt("banks", int64(banks))
	p.AddFloatPtr("wavelength_nm", m.WavelengthNM)
	p.AddFloatPtr("wavelength_tolerance_nm", m.WavelengthTolNM)
	p.AddFloatPtr("nominal_bit_rate_mbps", m.NominalBitRateMbps)
	p.AddFloatPtr("max_power_w", m.MaxPowerW)
	p.AddFloatPtr("cable_length_m", m.CableLengthM)
	p.AddBool("flat_memory", m.FlatMemory)
	if a := m.Advertisement; a != nil {
		p.AddBool("rx_power_oma", a.RxPowerIsOMA)
		p.AddBool("vdm_supported", a.VDM)
	}
	bad := 0
	for _, c := range m.Checksums {
		if !c.OK {
			bad++
		}
	}
	p.AddInt("checksum_errors", int64(bad))
	p.AddInt("warnings", int64(len(m.Warnings)))
	pts := []Point{p}

	names := make([]string, 0, len(m.Thresholds))
	for q := range m.Thresholds {
		names = append(names, q)
	}
	sort.Strings(names)
	for _, q := range names {
		t := m.Thresholds[q]
		p := src.point(MThreshold)
		p.AddTag("quantity", q)
		p.AddFloat("high_alarm_threshold", t.HighAlarm)
		p.AddFloat("low_alarm_threshold", t.LowAlarm)
		p.AddFloat("high_warning_threshold", t.HighWarning)
		p.AddFloat("low_warning_threshold", t.LowWarning)
		p.AddBool("checksum_failed", t.ChecksumFailed)
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
	AlarmFiring   = "firing"
	AlarmResolved = "resolved"
)

// AlarmPoint makes the xcvr_alarm point of an alarm state change.
func AlarmPoint(a Alarm) Point {
	p := NewPoint(MAlarm, a.Time)
	p.AddTag("host", a.Host)
	p.AddTag("port", a.Port)
	p.AddTag("lane", laneTag(a.Lane))
	p.AddTag("rule", a.Rule)
	p.AddTag("severity", a.Severity)
	// The tags are the alarm's identity in the engine (rule, port, lane,
	// observable, limit): several alarms of one rule on one lane change
	// state in the same read (five VDM observables crossing their
	// thresholds), and points that share measurement, tags and time are
	// one point in InfluxDB.
	obs, side := splitSide(a.Observable)
	p.AddTag("observable", obs)
	p.AddTag("side", side)
	p.AddTag("limit", a.Limit)
	p.AddString("state", a.State)
	p.AddBool("firing", a.State == AlarmFiring)
	p.AddBool("transition", a.Transition)
	p.AddFloatPtr("value", a.Value)
	p.AddFloatPtr("threshold", a.Threshold)
	p.AddString("summary", a.Summary)
	if a.Cause != "" {
		p.AddString("cause", a.Cause)
		p.AddString("evidence", strings.Join(a.Evidence, "; "))
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
	IO             i2c.Stats
	Ports          int
	ModulesPresent int
	// ReadErrors counts module reads that failed.
	ReadErrors int64
}

// BusPoint makes the per-bus xcvr_agent point.
func BusPoint(host, bus string, t time.Time, s BusStats) Point {
	p := NewPoint(MAgent, t)
	p.AddTag("host", host)
	p.AddTag("bus", bus)
	p.AddFloat("cycle_time_s", s.CycleTime.Seconds())
	p.AddFloat("bus_time_s", s.IO.BusTime.Seconds())
	p.AddInt("transactions", s.IO.Transactions)
	p.AddInt("bytes_read", s.IO.BytesRead)
	p.AddInt("bytes_written", s.IO.BytesWritten)
	p.AddInt("page_selects", s.IO.PageSelects)
	p.AddInt("nacks", s.IO.NACKs)
	p.AddInt("retries", s.IO.Retries)
	p.AddInt("bus_errors", s.IO.Errors)
	p.AddInt("read_errors", s.ReadErrors)
	p.AddInt("ports", int64(s.Ports))
	p.AddInt("modules_present", int64(s.ModulesPresent))
	return p
}

// SinkPoint makes the process-level xcvr_agent point (tag host only, no
// bus) from a sink's Stats.
func SinkPoint(host string, t time.Time, s Stats) Point {
	p := NewPoint(MAgent, t)
	p.AddTag("host", host)
	p.AddInt("queue_depth", int64(s.QueueDepth))
	p.AddInt("spool_bytes", s.SpoolBytes)
	p.AddInt("spool_points", s.SpoolPoints)
	p.AddInt("written_points", s.Written)
	p.AddInt("sent_points", s.Sent)
	p.AddInt("dropped_points", s.Dropped)
	p.AddInt("rejected_points", s.Rejected)
	p.AddInt("invalid_points", s.Invalid)
	p.AddInt("corrupt_points", s.Corrupt)
	p.AddInt("nonfinite_fields", s.NonFiniteFields)
	p.AddInt("write_requests", s.Requests)
	p.AddInt("write_retries", s.Retries)
	p.AddInt("auth_errors", s.AuthErrors)
	p.AddFloat("write_latency_s", s.WriteLatency.Seconds())
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
	p.AddInt("clock_steps_back", ps.ClockStepsBack)
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
	tagHost = TagDoc{"host", "the host ddm runs on"}
	tagPort = TagDoc{"port", "the port (cage) name from the configuration"}
	tagLane = TagDoc{"lane", "1-based lane, global across banks (lane 8·bank+i+1)"}
)

const ocChan = "physical-channels/channel/state/"

// Schema returns the documentation of every measurement, tag and field ddm
// writes, in the order docs/SCHEMA.md lists them.
func Schema() []MeasurementDoc {
	module := MeasurementDoc{
		Name: MModule,
		Doc:  "Module monitors, state and latched module flags; fast cadence. An empty cage writes present=false alone.",
		Tags: []TagDoc{tagHost, tagPort},
		Fields: []FieldDoc{
			{"present", Bool, "", "a module is in the cage", "state/present", false},
			{"module_state", String, "", "CMIS module state (ModuleReady, ModuleLowPwr, ...); SFF modules: ready or data not ready", "", false},
			{"module_state_code", Int, "", "CMIS module state code (byte 3 bits 3-1)", "", false},
			{"module_fault_cause", String, "", "CMIS module fault cause when in ModuleFault, else empty", "state/fault-condition", false},
			{"interrupt", Bool, "", "the module asserts IntL", "", false},
			{"temperature_c", Float, "°C", "module case temperature", "/components/component/state/temperature/instant", false},
			{"vcc_v", Float, "V", "supply voltage", "state/supply-voltage/instant", false},
			{"laser_temperature_c", Float, "°C", "laser temperature (CMIS aux monitor)", ocChan + "laser-temperature/instant", false},
			{"tec_current_pct", Float, "%", "TEC current, % of maximum (CMIS aux monitor)", ocChan + "tec-current", false},
			{"vcc2_v", Float, "V", "second supply voltage (CMIS aux monitor)", "", false},
		},
	}
	for _, n := range cmis.ModuleFlagNames() {
		module.Fields = append(module.Fields, FieldDoc{n, Bool, "", "latched module flag, set since the previous read", "", false})
	}

	lane := MeasurementDoc{
		Name: MLane,
		Doc:  "Per-lane monitors and latched lane flags; fast cadence. Every flag is written every time (false clears it).",
		Tags: []TagDoc{tagHost, tagPort, tagLane},
		Fields: []FieldDoc{
			{"data_path_state", String, "", "CMIS data path state (DPActivated, ...); CMIS only", "", false},
			{"tx_bias_ma", Float, "mA", "laser bias current", ocChan + "laser-bias-current/instant", false},
			{"tx_power_mw", Float, "mW", "transmit optical power", ocChan + "output-power/instant (in dBm there)", false},
			{"tx_power_dbm", Float, "dBm", "transmit optical power; absent when tx_power_mw is 0", ocChan + "output-power/instant", false},
			{"rx_power_mw", Float, "mW", "receive optical power (OMA when xcvr_info.rx_power_oma)", ocChan + "input-power/instant (in dBm there)", false},
			{"rx_power_dbm", Float, "dBm", "receive optical power; absent when rx_power_mw is 0", ocChan + "input-power/instant", false},
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
		Name: MVDM,
		Doc: "CMIS VDM observables, one point per observable instance; VDM cadence, read inside the freeze handshake. " +
			"The unit of value and of the thresholds is the observable's (table below), not written per point.",
		Tags: []TagDoc{tagHost, tagPort, tagLane,
			{"observable", "VDM observable name without its side suffix (pre_fec_ber, esnr, laser_age, ...)"},
			{"side", "media or host, for observables that come in both; absent otherwise"}},
		Fields: []FieldDoc{
			{"value", Float, "observable's", "the sample", "", false},
			{"type_id", Int, "", "CMIS VDM observable type id (unknown ids are named vdm_type_N, unit raw)", "", false},
			{"high_alarm_threshold", Float, "observable's", "threshold set of the observable, when the module has one", "", false},
			{"low_alarm_threshold", Float, "observable's", "", "", false},
			{"high_warning_threshold", Float, "observable's", "", "", false},
			{"low_warning_threshold", Float, "observable's", "", "", false},
			{"high_alarm", Bool, "", "latched VDM flag", "", false},
			{"low_alarm", Bool, "", "latched VDM flag", "", false},
			{"high_warning", Bool, "", "latched VDM flag", "", false},
			{"low_warning", Bool, "", "latched VDM flag", "", false},
		},
	}

	coherent := MeasurementDoc{
		Name: MCoherent,
		Doc:  "C-CMIS performance monitoring (pages 34h/35h) of a coherent module, media lane 1; VDM cadence.",
		Tags: []TagDoc{tagHost, tagPort, tagLane},
		Fields: []FieldDoc{
			{"pre_fec_ber_avg", Float, "ratio", "pre-FEC bit error ratio, average over the PM interval", "state/pre-fec-ber/avg", false},
			{"pre_fec_ber_min", Float, "ratio", "", "state/pre-fec-ber/min", false},
			{"pre_fec_ber_max", Float, "ratio", "", "state/pre-fec-ber/max", false},
			{"uncorrected_frames", Int, "frames", "frames FEC could not correct in the PM interval", "state/fec-uncorrectable-blocks", false},
			{"frames", Int, "frames", "frames in the PM interval", "", false},
			{"cd_avg_ps_nm", Float, "ps/nm", "chromatic dispersion", "", false},
			{"dgd_avg_ps", Float, "ps", "differential group delay", "", false},
			{"osnr_avg_db", Float, "dB", "optical signal-to-noise ratio", "", false},
			{"esnr_avg_db", Float, "dB", "electrical signal-to-noise ratio", "", false},
			{"cfo_avg_mhz", Float, "MHz", "carrier frequency offset", "", false},
			{"tx_power_avg_dbm", Float, "dBm", "transmit power", "", false},
			{"rx_total_power_avg_dbm", Float, "dBm", "receive total power", "", false},
			{"rx_signal_power_avg_dbm", Float, "dBm", "receive signal power", "", false},
		},
	}

	laser := MeasurementDoc{
		Name: MLaser,
		Doc:  "Lasers of an external laser source (OIF-ELSFP page 1Bh); fast cadence.",
		Tags: []TagDoc{tagHost, tagPort, tagLane},
		Fields: []FieldDoc{
			{"bias_ma", Float, "mA", "laser bias current", ocChan + "laser-bias-current/instant", false},
			{"power_mw", Float, "mW", "laser output power", ocChan + "output-power/instant (in dBm there)", false},
			{"power_dbm", Float, "dBm", "laser output power; absent when power_mw is 0", ocChan + "output-power/instant", false},
			{"voltage_v", Float, "V", "laser voltage", "", false},
			{"state", String, "", "off, ramping, on or reserved", "", false},
		},
	}

	info := MeasurementDoc{
		Name: MInfo,
		Doc: "Identity and advertisement; written at insertion and when static pages are read again. " +
			"Strings are fields, not tags (cardinality), and are written even when empty so the last value belongs to the module in the cage.",
		Tags: []TagDoc{tagHost, tagPort},
		Fields: []FieldDoc{
			{"spec", String, "", "CMIS, SFF-8636, SFF-8436 or SFF-8472", "", false},
			{"spec_revision", String, "", "management interface revision (5.1)", "", false},
			{"identifier", String, "", "SFF-8024 identifier (QSFP-DD, OSFP, ...)", "state/form-factor", false},
			{"vendor", String, "", "vendor name", "state/vendor", false},
			{"vendor_oui", String, "", "vendor IEEE OUI", "", false},
			{"part_number", String, "", "vendor part number", "state/vendor-part", false},
			{"revision", String, "", "vendor revision", "state/vendor-rev", false},
			{"serial_number", String, "", "vendor serial number", "state/serial-no", false},
			{"date_code", String, "", "manufacturing date code", "state/date-code", false},
			{"clei", String, "", "CLEI code", "", false},
			{"connector", String, "", "connector type", "state/connector-type", false},
			{"media_type", String, "", "media type (MMF, SMF, copper, active cable)", "", false},
			{"media_technology", String, "", "transmitter technology", "", false},
			{"firmware_version", String, "", "active firmware version", "/components/component/state/firmware-version", false},
			{"firmware_inactive_version", String, "", "inactive firmware image version", "", false},
			{"hardware_version", String, "", "hardware version", "/components/component/state/hardware-version", false},
			{"function_type", String, "", "transmission or laser source", "", false},
			{"applications", String, "", "advertised applications, AppSel:host/media separated by '; '", "state/ethernet-pmd (the media side)", false},
			{"identifier_code", Int, "", "SFF-8024 identifier byte", "", false},
			{"power_class", Int, "", "power class", "", false},
			{"lanes", Int, "", "number of lanes", "", false},
			{"banks", Int, "", "number of CMIS banks (1 for SFF)", "", false},
			{"wavelength_nm", Float, "nm", "nominal wavelength", "", false},
			{"wavelength_tolerance_nm", Float, "nm", "wavelength tolerance (±)", "", false},
			{"nominal_bit_rate_mbps", Float, "Mb/s", "nominal signalling rate (SFF)", "", false},
			{"max_power_w", Float, "W", "maximum power consumption", "", false},
			{"cable_length_m", Float, "m", "cable length (copper, AOC)", "", false},
			{"flat_memory", Bool, "", "the module has no paged memory", "", false},
			{"rx_power_oma", Bool, "", "rx power is OMA rather than average", "", false},
			{"vdm_supported", Bool, "", "the module advertises VDM", "", false},
			{"checksum_errors", Int, "", "page checksums that failed: identity and advertisement pages that fail are not decoded; thresholds are, marked (xcvr_threshold.checksum_failed)", "", false},
			{"warnings", Int, "", "decoder warnings (see ddm dump)", "", false},
		},
	}

	thresh := MeasurementDoc{
		Name: MThreshold,
		Doc: "Module alarm and warning thresholds, one point per monitored quantity; written with xcvr_info. " +
			"As everywhere, a name ending in _threshold is a limit and one ending in _alarm or _warning a flag.",
		Tags: []TagDoc{tagHost, tagPort,
			{"quantity", "the monitor the thresholds apply to, named as its field (temperature_c, vcc_v, tx_bias_ma, tx_power_mw, rx_power_mw, ...)"}},
		Fields: []FieldDoc{
			{"high_alarm_threshold", Float, "quantity's", "", "thresholds/threshold[CRITICAL]/state/*-upper", false},
			{"low_alarm_threshold", Float, "quantity's", "", "thresholds/threshold[CRITICAL]/state/*-lower", false},
			{"high_warning_threshold", Float, "quantity's", "", "thresholds/threshold[WARNING]/state/*-upper", false},
			{"low_warning_threshold", Float, "quantity's", "", "thresholds/threshold[WARNING]/state/*-lower", false},
			{"checksum_failed", Bool, "", "the thresholds come from a page whose checksum does not match (CMIS page 02h, SFF-8472 A2h CC_DMI; many modules never set it); alarm rules use them unless the rule says trust_failed_checksum: false", "", false},
		},
	}

	alarm := MeasurementDoc{
		Name: MAlarm,
		Doc: "Alarm state changes from the alarm engine (transition=true), and every firing alarm restated each minute (transition=false). " +
			"The tags are the alarm's identity (rule, port, lane, observable, limit), so every state change is a point of its own; " +
			"a series exists only for an alarm that changed state.",
		Tags: []TagDoc{tagHost, tagPort,
			{"lane", "1-based lane; absent for a module-level alarm"},
			{"rule", "rule name from the rules file"},
			{"severity", "critical, major, minor or warning (OpenConfig alarm severities)"},
			{"observable", "what the alarm watches within its rule and lane: the VDM observable (as in xcvr_vdm, without its side), the quantity of module_thresholds (rx_power_mw), the flag of latched_flags (rx_los); absent for a rule on one plain metric"},
			{"side", "media or host, for a VDM observable that has a side (as in xcvr_vdm); absent otherwise"},
			{"limit", "the module threshold crossed, for the threshold built-ins (high_alarm, low_alarm, high_warning, low_warning); absent otherwise"}},
		Fields: []FieldDoc{
			{"state", String, "", "pending, firing or resolved", "", false},
			{"firing", Bool, "", "state is firing", "", false},
			{"transition", Bool, "", "a state change (false: a periodic restatement of a firing alarm)", "", false},
			{"value", Float, "rule's", "the value that changed the state", "", false},
			{"threshold", Float, "rule's", "the threshold it was compared with", "", false},
			{"summary", String, "", "human-readable summary", "", false},
			{"laser_event", String, "", "the xcvr_laser_event whose laser feeds this lane and was firing when the alarm changed state (optical topology); absent otherwise", "", false},
		},
	}

	agent := MeasurementDoc{
		Name: MAgent,
		Doc: "ddm's own health. With a bus tag: one point per bus worker (I/O counters are cumulative). " +
			"Without a bus tag: the process's sink (exporter) counters and its wall-clock steps.",
		Tags: []TagDoc{tagHost, {"bus", "the bus name; absent on the process point"}},
		Fields: []FieldDoc{
			{"cycle_time_s", Float, "s", "duration of the last pass over the bus's due ports (the reads, not the wait for the next)", "", false},
			{"bus_time_s", Float, "s", "time spent in bus transactions", "", true},
			{"transactions", Int, "", "bus transactions", "", true},
			{"bytes_read", Int, "bytes", "", "", true},
			{"bytes_written", Int, "bytes", "", "", true},
			{"page_selects", Int, "", "page/bank select writes", "", true},
			{"nacks", Int, "", "transactions the module NACKed", "", true},
			{"retries", Int, "", "transactions retried", "", true},
			{"bus_errors", Int, "", "transactions that failed", "", true},
			{"read_errors", Int, "", "module reads that failed", "", true},
			{"ports", Int, "", "ports on the bus", "", false},
			{"modules_present", Int, "", "cages with a module", "", false},
			{"queue_depth", Int, "points", "points waiting in memory for the spool", "", false},
			{"spool_bytes", Int, "bytes", "size of the disk spool", "", false},
			{"spool_points", Int, "points", "points in the disk spool (not yet accepted by InfluxDB)", "", false},
			{"written_points", Int, "points", "points handed to the sink", "", true},
			{"sent_points", Int, "points", "points the server accepted", "", true},
			{"dropped_points", Int, "points", "points lost: queue or spool full (oldest first), or written after close", "", true},
			{"rejected_points", Int, "points", "points the server refused for good (400, or 413 for a single point)", "", true},
			{"invalid_points", Int, "points", "points that could not be encoded", "", true},
			{"corrupt_points", Int, "points", "spool entries lost to on-disk corruption", "", true},
			{"nonfinite_fields", Int, "fields", "NaN/Inf field values dropped at point creation", "", true},
			{"write_requests", Int, "", "write requests sent", "", true},
			{"write_retries", Int, "", "write requests that failed and were retried", "", true},
			{"auth_errors", Int, "", "write requests answered 401 or 403", "", true},
			{"write_latency_s", Float, "s", "duration of the last accepted write request", "", false},
			{"clock_steps_back", Int, "", "backward steps of the wall clock since ddm started (points after one may overwrite older ones; rules run on a steady clock)", "", true},
		},
	}

	return append([]MeasurementDoc{module, lane, vdm, coherent, laser, info, thresh, alarm, agent, laserEventDoc()}, energyDocs()...)
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
