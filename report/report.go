// Package report renders decoded modules for people: the text that `ddm
// dump` and `ddm decode` print, laid out so that an `ethtool -m` user reads
// it without a manual (labels with units, one table row per lane instead of
// eight lines per quantity, only the flags that are set), and the JSON form
// of the same data.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/energy"
	"github.com/ddm-agent/ddm/internal/plural"
	"github.com/ddm-agent/ddm/topology"
)

// Source says where a decoded module came from.
type Source struct {
	File     string `json:"file,omitempty"`
	Format   string `json:"format,omitempty"`
	Snapshot int    `json:"snapshot,omitempty"` // 1-based; later re-reads of a saved dump
	Port     string `json:"port,omitempty"`
	Time     string `json:"time,omitempty"`
}

// IO is the bus cost of reading a module (ddm dump).
type IO struct {
	Transactions int   `json:"transactions"`
	BytesRead    int   `json:"bytes_read"`
	BytesWritten int   `json:"bytes_written"`
	PageSelects  int   `json:"page_selects"`
	NACKs        int   `json:"nacks"`
	Retries      int   `json:"retries"`
	BusTimeUS    int64 `json:"bus_time_us"`
}

// Entry is one decoded module with its origin.
type Entry struct {
	Source Source
	Module *cmis.Module
	IO     *IO
	// Energy is the module's energy view (ddm dump), printed when set.
	Energy *energy.Port
	// Forecasts are the agent's forecasts for the port (ddm dump, from
	// the agent's history), written under "forecasts" in JSON as given;
	// the caller prints their text.
	Forecasts any
	// Feeds are the lasers that light this engine, or that this laser
	// source lights, with each laser's state (ddm dump, optical topology).
	Feeds []topology.LaserView
	// FlagCounts are the agent's latched-flag counters for the port (ddm
	// dump, from the agent's state folder), written under "flag_counts"
	// in JSON as given; the caller prints their text.
	FlagCounts any
}

// JSON writes one JSON object for the entry: the module's fields at the top
// level (spec, identifier, temperature_c, lanes, vdm, ...), plus "source"
// and, for live reads, "io". Values are rounded to the precision their
// bytes carry (precision.go); the power thresholds are given in dBm too
// (thresholds.tx_power_dbm, thresholds.rx_power_dbm). Several entries make
// a stream of objects, one per line, which jq reads as it is.
func JSON(w io.Writer, e Entry) error {
	m := rounded(e.Module)
	mod, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("report: encode module: %w", err)
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(mod, &obj); err != nil {
		return fmt.Errorf("report: encode module: %w", err)
	}
	if len(m.Thresholds) > 0 {
		all := map[string]any{}
		for q, t := range m.Thresholds {
			all[q] = t
		}
		for q, t := range thresholdsDBm(e.Module.Thresholds) {
			all[q] = t
		}
		if obj["thresholds"], err = json.Marshal(all); err != nil {
			return fmt.Errorf("report: encode thresholds: %w", err)
		}
	}
	if src, _ := json.Marshal(e.Source); string(src) != "{}" {
		obj["source"] = src
	}
	if e.IO != nil {
		obj["io"], _ = json.Marshal(e.IO)
	}
	if len(e.Feeds) > 0 {
		if obj["laser_feeds"], err = json.Marshal(e.Feeds); err != nil {
			return fmt.Errorf("report: encode laser feeds: %w", err)
		}
	}
	if e.Energy != nil {
		if obj["energy"], err = json.Marshal(roundedEnergy(e.Energy)); err != nil {
			return fmt.Errorf("report: encode energy: %w", err)
		}
	}
	if e.Forecasts != nil {
		if obj["forecasts"], err = json.Marshal(e.Forecasts); err != nil {
			return fmt.Errorf("report: encode forecasts: %w", err)
		}
	}
	if e.FlagCounts != nil {
		if obj["flag_counts"], err = json.Marshal(e.FlagCounts); err != nil {
			return fmt.Errorf("report: encode flag counts: %w", err)
		}
	}
	b, err := json.Marshal(obj)
	if err != nil {
		return fmt.Errorf("report: encode module: %w", err)
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// Text writes the human-readable report of one module.
func Text(w io.Writer, e Entry) error {
	p := &printer{w: w}
	m := e.Module
	p.header(e)
	p.line("Module", "%s (%02Xh), %s %s%s", m.Identifier, m.IdentifierCode, m.Spec, m.SpecRevision, stateSuffix(m))
	if m.Vendor != "" || m.PartNumber != "" {
		p.line("Vendor", "%s", joinNonEmpty("  ", m.Vendor, label("PN", m.PartNumber), label("rev", m.Revision),
			label("SN", m.SerialNumber), label("date", m.DateCode), label("OUI", m.VendorOUI), label("CLEI", m.CLEI)))
	}
	if media := joinNonEmpty(", ", m.MediaType, m.MediaTech, m.Connector); media != "" {
		p.line("Media", "%s", media)
	}
	r := rounded(m)
	if r.WavelengthNM != nil {
		p.line("Wavelength", "%s%s", lengthText(*r.WavelengthNM, "nm"), fmtOptFunc(" ±%s", r.WavelengthTolNM, func(v float64) string { return lengthText(v, "nm") }))
	}
	if l := linkLengths(r); l != "" {
		p.line("Length", "%s", l)
	}
	if len(m.CableAttenuationDB) > 0 {
		p.line("Attenuation", "%s", attenuation(m.CableAttenuationDB))
	}
	if m.NominalBitRateMbps != nil {
		p.line("Bit rate", "%.0f Mb/s nominal", *m.NominalBitRateMbps)
	}
	if m.PowerClass > 0 {
		p.line("Power", "class %d%s", m.PowerClass, fmtOpt(", max %.2f W", m.MaxPowerW))
	}
	if fw := joinNonEmpty(", ", label("active", m.FirmwareVer), label("inactive", m.FirmwareInact), label("hardware", m.HardwareVer)); fw != "" {
		p.line("Firmware", "%s", fw)
	}
	if a := m.Advertisement; a != nil && m.Spec == "CMIS" {
		p.line("Advertises", "%s", advertisement(a))
	} else if a != nil && a.RxPowerIsOMA {
		p.line("Advertises", "Rx power OMA")
	}
	p.applications(m.Applications)
	mon := joinNonEmpty("   ", fmtOpt("temperature %.2f °C", m.TemperatureC), fmtOpt("Vcc %.4f V", m.VccV),
		fmtOpt("laser temperature %.2f °C", m.LaserTemperatureC), fmtOpt("TEC current %.1f %%", m.TECCurrentPct), fmtOpt("Vcc2 %.4f V", m.Vcc2V),
		fmtOpt("supply current %.1f mA", m.SupplyCurrentMA))
	if mon != "" {
		p.line("Monitors", "%s", mon)
	}
	p.line("Module flags", "%s", noneIfEmpty(strings.Join(m.Flags.Names(), ", ")))
	p.lanes(m)
	p.thresholds(m.Thresholds)
	p.thresholdsChecksumFailed(m.Thresholds)
	p.vdm(m.VDM)
	p.pm(m.PM)
	p.lasers(m.LaserSource)
	p.checksums(m.Checksums)
	p.energy(e.Energy)
	p.feeds(e.Feeds)
	if e.IO != nil {
		p.line("Bus I/O", "%d transactions, %d bytes read, %d written, %d page selects, %d NACKs, %d retries, %.3f ms on the bus",
			e.IO.Transactions, e.IO.BytesRead, e.IO.BytesWritten, e.IO.PageSelects, e.IO.NACKs, e.IO.Retries, float64(e.IO.BusTimeUS)/1000)
	}
	if len(m.Warnings) > 0 {
		p.printf("Warnings\n")
		for _, wn := range m.Warnings {
			p.printf("  - %s\n", wn)
		}
	}
	p.printf("\n")
	return p.err
}

type printer struct {
	w   io.Writer
	err error
}

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func (p *printer) line(label, format string, args ...any) {
	p.printf("%-13s %s\n", label, fmt.Sprintf(format, args...))
}

func (p *printer) header(e Entry) {
	var parts []string
	if e.Source.Port != "" {
		parts = append(parts, "port "+e.Source.Port)
	}
	if e.Source.File != "" {
		parts = append(parts, e.Source.File)
	}
	if e.Source.Format != "" {
		parts = append(parts, "format "+e.Source.Format)
	}
	if e.Source.Snapshot > 1 {
		parts = append(parts, fmt.Sprintf("read %d", e.Source.Snapshot))
	}
	if e.Source.Time != "" {
		parts = append(parts, e.Source.Time)
	}
	if len(parts) > 0 {
		p.printf("== %s\n", strings.Join(parts, ", "))
	}
}

func stateSuffix(m *cmis.Module) string {
	s := ""
	if m.ModuleState != "" {
		s = ", " + m.ModuleState
	}
	if m.ModuleFaultCause != "" {
		s += " (" + m.ModuleFaultCause + ")"
	}
	if m.FlatMemory {
		s += ", flat memory"
	}
	return s
}

func advertisement(a *cmis.Advertisement) string {
	parts := []string{plural.Count(a.Banks, "bank", "banks"), fmt.Sprintf("Tx bias ×%d", a.TxBiasMultiplier)}
	if a.RxPowerIsOMA {
		parts = append(parts, "Rx power OMA")
	} else {
		parts = append(parts, "Rx power average")
	}
	if a.VDM && a.VDMGroups > 0 {
		parts = append(parts, "VDM ("+plural.Count(a.VDMGroups, "group", "groups")+")")
	} else if a.VDM {
		parts = append(parts, "VDM")
	}
	if a.DiagPages {
		parts = append(parts, "diagnostic pages")
	}
	return strings.Join(parts, ", ")
}

func (p *printer) applications(apps []cmis.Application) {
	if len(apps) == 0 {
		return
	}
	p.printf("Applications\n")
	for _, a := range apps {
		p.printf("  %2d  %-20s -> %-24s %d host / %d media lanes, starting lanes %s\n", a.AppSel, a.HostInterface,
			a.MediaInterface, a.HostLanes, a.MediaLanes, lanesOf(a.HostLaneMask))
	}
}

func lanesOf(mask uint8) string {
	var l []string
	for i := 0; i < 8; i++ {
		if mask&(1<<i) != 0 {
			l = append(l, fmt.Sprint(i+1))
		}
	}
	return noneIfEmpty(strings.Join(l, ","))
}

func (p *printer) lanes(m *cmis.Module) {
	if len(m.Lanes) == 0 {
		return
	}
	rx := "Rx pwr mW"
	if m.Advertisement != nil && m.Advertisement.RxPowerIsOMA {
		rx = "Rx OMA mW"
	}
	p.printf("Lanes\n  %4s  %-13s %10s %10s %7s %10s %7s  %s\n", "lane", "data path", "bias mA", "Tx pwr mW", "dBm", rx, "dBm", "flags (latched)")
	for _, l := range m.Lanes {
		p.printf("  %4d  %-13s %10s %10s %7s %10s %7s  %s\n", l.Lane, dash(l.DataPathState), num("%.3f", l.TxBiasMA),
			num("%.4f", l.TxPowerMW), num("%.2f", l.TxPowerDBM), num("%.4f", l.RxPowerMW), num("%.2f", l.RxPowerDBM),
			noneIfEmpty(strings.Join(l.Flags.Names(), ",")))
	}
}

// thresholdUnits gives each threshold set its label, unit and format.
var thresholdUnits = map[string][3]string{
	cmis.QTemperature:      {"temperature", "°C", "%.2f"},
	cmis.QVcc:              {"Vcc", "V", "%.4f"},
	cmis.QTxBias:           {"Tx bias", "mA", "%.3f"},
	cmis.QTxPower:          {"Tx power", "mW", "%.4f"},
	cmis.QRxPower:          {"Rx power", "mW", "%.4f"},
	cmis.QLaserTemperature: {"laser temperature", "°C", "%.2f"},
	cmis.QTECCurrent:       {"TEC current", "%", "%.1f"},
	cmis.QVcc2:             {"Vcc2", "V", "%.4f"},
}

func (p *printer) thresholds(th map[string]cmis.Thresholds) {
	if len(th) == 0 {
		return
	}
	keys := make([]string, 0, len(th))
	for k := range th {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	dbm := thresholdsDBm(th)
	p.printf("Thresholds\n  %-22s %11s %11s %11s %11s\n", "", "low alarm", "low warn", "high warn", "high alarm")
	for _, k := range keys {
		t := th[k]
		u, ok := thresholdUnits[k]
		if !ok {
			u = [3]string{k, "", "%g"}
		}
		f := func(v float64) string { return fmt.Sprintf(u[2], v) }
		p.printf("  %-22s %11s %11s %11s %11s\n", u[0]+" "+u[1], f(t.LowAlarm), f(t.LowWarning), f(t.HighWarning), f(t.HighAlarm))
		// Power thresholds in dBm too, as ethtool shows them (none for 0 mW).
		for _, q := range powerQuantities {
			if d, ok := dbm[q[1]]; ok && q[0] == k {
				p.printf("  %-22s %11s %11s %11s %11s\n", u[0]+" dBm", num("%.2f", d.LowAlarm), num("%.2f", d.LowWarning),
					num("%.2f", d.HighWarning), num("%.2f", d.HighAlarm))
			}
		}
	}
}

// lengthText writes a length or a wavelength without trailing zeros, the
// way ethtool users read them: 1310 nm, 1302.35 nm, 0.5 km.
func lengthText(v float64, unit string) string {
	return strconv.FormatFloat(v, 'f', -1, 64) + " " + unit
}

// linkLengths lists the link lengths per medium: "SMF 10 km, OM3 510 m",
// and a cable assembly's length: "cable 3 m".
func linkLengths(m *cmis.Module) string {
	var parts []string
	for _, medium := range [...][2]string{{"smf", "SMF"}, {"om5", "OM5"}, {"om4", "OM4"}, {"om3", "OM3"}, {"om2", "OM2"}, {"om1", "OM1"}, {"copper", "copper"}} {
		v, ok := m.LinkLengthM[medium[0]]
		switch {
		case !ok:
		case medium[0] == "smf":
			parts = append(parts, "SMF "+lengthText(roundTo(v/1000, 1), "km"))
		default:
			parts = append(parts, medium[1]+" "+lengthText(v, "m"))
		}
	}
	if m.CableLengthM != nil {
		parts = append(parts, "cable "+lengthText(*m.CableLengthM, "m"))
	}
	return strings.Join(parts, ", ")
}

func (p *printer) vdm(vs []cmis.VDMValue) {
	if len(vs) == 0 {
		return
	}
	p.printf("VDM\n  %4s  %-4s %-26s %12s %-7s %-37s %s\n", "lane", "id", "observable", "value", "unit", "thresholds (LA / LW / HW / HA)", "flags")
	for _, v := range vs {
		thr := "-"
		if t := v.Thresholds; t != nil {
			thr = fmt.Sprintf("%s / %s / %s / %s", g(t.LowAlarm), g(t.LowWarning), g(t.HighWarning), g(t.HighAlarm))
		}
		p.printf("  %4d  %-4d %-26s %12s %-7s %-37s %s\n", v.Lane, v.TypeID, v.Observable, g(v.Value), v.Unit, thr,
			noneIfEmpty(strings.Join(v.Flags.Names(), ",")))
	}
}

func (p *printer) pm(pm *cmis.CoherentPM) {
	if pm == nil {
		return
	}
	p.line("Coherent PM", "%s", joinNonEmpty("  ", fmtOpt("pre-FEC BER avg %.3e", pm.PreFECBERAvg), fmtOpt("min %.3e", pm.PreFECBERMin),
		fmtOpt("max %.3e", pm.PreFECBERMax), fmtOptU("uncorrected frames %d", pm.UncorrectedFrames), fmtOpt("CD %.0f ps/nm", pm.CDAvgPsNm),
		fmtOpt("DGD %.2f ps", pm.DGDAvgPs), fmtOpt("OSNR %.1f dB", pm.OSNRAvgDB), fmtOpt("eSNR %.1f dB", pm.ESNRAvgDB),
		fmtOpt("CFO %.0f MHz", pm.CFOAvgMHz), fmtOpt("Tx %.2f dBm", pm.TxPowerAvgDBM), fmtOpt("Rx %.2f dBm", pm.RxTotalPowerDBM)))
}

func (p *printer) lasers(ls []cmis.Laser) {
	if len(ls) == 0 {
		return
	}
	p.printf("Lasers\n  %4s  %-8s %9s %10s %7s %9s  %s\n", "lane", "state", "bias mA", "power mW", "dBm", "voltage V", "flags")
	for _, l := range ls {
		p.printf("  %4d  %-8s %9s %10s %7s %9s  %s\n", l.Lane, dash(l.State), num("%.1f", l.BiasMA), num("%.2f", l.PowerMW),
			num("%.2f", l.PowerDBM), num("%.3f", l.VoltageV), laserFlags(l))
	}
}

func laserFlags(l cmis.Laser) string {
	switch {
	case l.Fault:
		return "fault"
	case l.Warning:
		return "warning"
	}
	return "-"
}

// thresholdsChecksumFailed marks a thresholds table decoded from a page
// whose checksum failed (JSON: thresholds.*.checksum_failed).
func (p *printer) thresholdsChecksumFailed(th map[string]cmis.Thresholds) {
	for _, t := range th {
		if t.ChecksumFailed {
			p.printf("  (thresholds from a page whose checksum fails: the module may never set it; see Warnings)\n")
			return
		}
	}
}

func (p *printer) checksums(cs []cmis.Checksum) {
	if len(cs) == 0 {
		return
	}
	var parts []string
	for _, c := range cs {
		if c.OK {
			parts = append(parts, fmt.Sprintf("%s byte %d ok", c.Page, c.Offset))
		} else {
			parts = append(parts, fmt.Sprintf("%s byte %d BAD (stored %02Xh, computed %02Xh)", c.Page, c.Offset, c.Stored, c.Computed))
		}
	}
	p.line("Checksums", "%s", strings.Join(parts, "; "))
}

func g(v float64) string { return fmt.Sprintf("%.4g", v) }

func num(format string, v *float64) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprintf(format, *v)
}

func fmtOpt(format string, v *float64) string {
	if v == nil {
		return ""
	}
	return fmt.Sprintf(format, *v)
}

func fmtOptFunc(format string, v *float64, f func(float64) string) string {
	if v == nil {
		return ""
	}
	return fmt.Sprintf(format, f(*v))
}

func fmtOptU(format string, v *uint32) string {
	if v == nil {
		return ""
	}
	return fmt.Sprintf(format, *v)
}

func label(l, v string) string {
	if v == "" {
		return ""
	}
	return l + " " + v
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func noneIfEmpty(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func joinNonEmpty(sep string, parts ...string) string {
	var out []string
	for _, s := range parts {
		if s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, sep)
}

func attenuation(a map[string]float64) string {
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	// Frequencies sort by their numeric value, not as strings.
	sort.Slice(keys, func(i, j int) bool {
		var fi, fj float64
		fmt.Sscanf(keys[i], "%g", &fi)
		fmt.Sscanf(keys[j], "%g", &fj)
		return fi < fj
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%g dB at %s", a[k], k)
	}
	return strings.Join(parts, ", ")
}
