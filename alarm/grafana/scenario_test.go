package grafana

// The scenario: 26 hours of telemetry of two hosts (16 of them a gap, see
// scGapStart), made as the agent makes it (cmis.Module samples through
// exporter.ModulePoints, VDMPoints, InfoPoints, AbsentPoints) and
// evaluated by the agent's own alarm engine, whose events and
// minute-by-minute refreshes become xcvr_alarm points as the daemon writes
// them. Each default rule has a series that must alert and series that
// must not (healthy lanes, other ports and hosts, values in the
// hysteresis band).

import (
	"math"
	"strconv"
	"time"

	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/alarm"
	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/energy"
	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/flightrec"
	"github.com/ddm-agent/ddm/pipeline"
)

var (
	scStart = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	scEnd   = scStart.Add(26 * time.Hour)
	// scDense: from here samples come every minute (every 30 minutes,
	// one per resolution interval of the rate and baseline rules, before).
	scDense = scEnd.Add(-90 * time.Minute)
	// scGap: no samples between these two times, as if the agent had been
	// stopped. Before the gap is the "24 h earlier" the rate rules compare
	// with over the last 80 minutes; after it the baselines have 6.5 h
	// (13 resolution intervals, min_history needs 12) before scDense. A
	// Flux baseline query makes a table for each series and interval
	// with data: the 32 intervals of the gap, sampled, made it cost
	// InfluxDB 0.4 s of CPU, and it runs 81 times per rule.
	scGapStart = scStart.Add(2 * time.Hour)
	scGapEnd   = scEnd.Add(-8 * time.Hour)
)

// extraRules are added to the default file: selectors with globs and
// lanes, an outside band, so that the export of those is tested too.
const extraRules = `
  - name: rx_low_selected
    metric: lane.rx_power_dbm
    match:
      port: ["Ethernet1/1?", "mgmt\\*"]
      lane: [2, 3]
    below: -3
    hysteresis: 1
    for: 2m
    severity: minor
  - name: odd_port
    metric: lane.tx_power_dbm
    match:
      port: ["it's \"odd\"/1", "a/b*"]
    below: -10
    severity: minor
  - name: vcc_band
    metric: module.vcc_v
    outside: [3.2, 3.4]
    hysteresis: 0.02
    for: 1m
    severity: warning
  - name: rx_at_risk
    forecast: {quantity: rx_power, within: 14d}
    for: 30m
    severity: major
  - name: rx_outlier
    cohort: {quantity: rx_power, z: 4}
    hysteresis: 1
    for: 15m
    severity: minor
`

func scenarioRules() (*alarm.Rules, error) {
	return alarm.Parse("default-rules.yaml+test", append(alarm.DefaultRules(), extraRules...))
}

// alertKey names an alert: rule, host, port, lane, severity.
type alertKey struct {
	Rule, Host, Port, Lane, Severity string
}

// expectedAlerts are the alerts that must be firing at scEnd, and only
// they.
var expectedAlerts = []alertKey{
	// Ethernet1/5 lane 3: pre-FEC BER ramps from 1e-8 to 3e-4 (end-60m to
	// end-40m) and holds: all three BER rules, errored frames, and the
	// module's own VDM warning threshold (2.5e-4).
	{"pre_fec_ber_warning", "leaf01", "Ethernet1/5", "3", "warning"},
	{"pre_fec_ber_major", "leaf01", "Ethernet1/5", "3", "major"},
	{"pre_fec_ber_critical", "leaf01", "Ethernet1/5", "3", "critical"},
	{"errored_frames", "leaf01", "Ethernet1/5", "3", "major"},
	{"vdm_thresholds", "leaf01", "Ethernet1/5", "3", "minor"},
	// lane 5 went to 2e-5 for 30 minutes and back to 7e-6: inside the
	// warning's hysteresis band (clear 5e-6), so still firing. Lane 6 came
	// back to 1e-6 (resolved) and lane 4 sits at 7e-6 (never fired).
	{"pre_fec_ber_warning", "leaf01", "Ethernet1/5", "5", "warning"},
	// lane 8: CDR loss of lock latched.
	{"latched_faults", "leaf01", "Ethernet1/5", "8", "major"},
	// Ethernet1/12 lane 2: Rx power 0 → -9 dBm at end-60m.
	{"rx_power_low_dr", "leaf01", "Ethernet1/12", "2", "major"},
	{"rx_power_margin", "leaf01", "Ethernet1/12", "2", "minor"},
	{"rx_power_drop", "leaf01", "Ethernet1/12", "2", "minor"},
	{"rx_low_selected", "leaf01", "Ethernet1/12", "2", "minor"},
	{"module_thresholds", "leaf01", "Ethernet1/12", "2", "critical"},
	{"module_thresholds", "leaf01", "Ethernet1/12", "2", "warning"},
	// lane 7: bias +20 % since end-3h.
	{"tx_bias_growth", "leaf01", "Ethernet1/12", "7", "minor"},
	// Ethernet1/30: 74 °C and laser +4 °C since end-40m, VDM laser
	// temperature of lane 1 +4 °C.
	{"module_temperature_high", "leaf01", "Ethernet1/30", "", "major"},
	{"module_thresholds", "leaf01", "Ethernet1/30", "", "warning"},
	{"laser_temperature_drift", "leaf01", "Ethernet1/30", "", "minor"},
	{"vdm_laser_temperature_drift", "leaf01", "Ethernet1/30", "1", "minor"},
	// Ethernet1/31: 72 °C for 25 minutes, then 68 °C: inside both
	// hysteresis bands (clear 67; module warning clears at 67.5).
	{"module_temperature_high", "leaf01", "Ethernet1/31", "", "major"},
	{"module_thresholds", "leaf01", "Ethernet1/31", "", "warning"},
	// Ethernet1/32: Vcc 3.45 V since end-30m (temperature 68.5 °C, never
	// above 70: no temperature alarm).
	{"vcc_band", "leaf01", "Ethernet1/32", "", "warning"},
	// Ethernet1/47: unplugged since end-20m (its VDM stopped, but an empty
	// cage is not stale).
	{"module_absent", "leaf01", "Ethernet1/47", "", "major"},
	// Ethernet1/6 lane 4: Rx forecast to reach its low warning in 9 days
	// (its low alarm in 20: outside the window); lane 5's forecast of 5
	// days went away at end-50m; lane 7 stands out of its cohort.
	{"rx_at_risk", "leaf01", "Ethernet1/6", "4", "major"},
	{"rx_outlier", "leaf01", "Ethernet1/6", "7", "minor"},
	// Ethernet1/48: VDM stopped at end-15m, the module still there.
	{"vdm_stale", "leaf01", "Ethernet1/48", "1", "warning"},
	{"vdm_stale", "leaf01", "Ethernet1/48", "2", "warning"},
	{"vdm_stale", "leaf01", "Ethernet1/48", "3", "warning"},
	{"vdm_stale", "leaf01", "Ethernet1/48", "4", "warning"},
	{"vdm_stale", "leaf01", "Ethernet1/48", "5", "warning"},
	{"vdm_stale", "leaf01", "Ethernet1/48", "6", "warning"},
	{"vdm_stale", "leaf01", "Ethernet1/48", "7", "warning"},
	{"vdm_stale", "leaf01", "Ethernet1/48", "8", "warning"},
}

type hostPorts struct {
	host  string
	ports []string
}

var scPorts = []hostPorts{
	{"leaf01", []string{"Ethernet1/5", "Ethernet1/6", "Ethernet1/12", "Ethernet1/30", "Ethernet1/31", "Ethernet1/32", "Ethernet1/47", "Ethernet1/48"}},
	// Same port names on another switch, all healthy.
	{"leaf02", []string{"Ethernet1/5", "Ethernet1/12"}},
}

// scTimes are the sample times.
func scTimes() []time.Time {
	var ts []time.Time
	for t := scStart; !t.After(scEnd); {
		if !t.After(scGapStart) || !t.Before(scGapEnd) {
			ts = append(ts, t)
		}
		if t.Before(scDense) {
			t = t.Add(30 * time.Minute)
		} else {
			t = t.Add(time.Minute)
		}
	}
	return ts
}

func fp(v float64) *float64 { return &v }

func mw(dbm float64) float64 { return math.Pow(10, dbm/10) }

func lim(ha, la, hw, lw float64) cmis.Thresholds {
	return cmis.Thresholds{HighAlarm: ha, LowAlarm: la, HighWarning: hw, LowWarning: lw}
}

func dbmLim(ha, la, hw, lw float64) cmis.Thresholds { return lim(mw(ha), mw(la), mw(hw), mw(lw)) }

func laneFlag(name string) cmis.LaneFlags {
	for i, n := range cmis.LaneFlagNames() {
		if n == name {
			return 1 << i
		}
	}
	panic("no lane flag " + name)
}

// sample is what the agent read from one port at one time.
type sample struct {
	present bool
	vdm     bool
	m       *cmis.Module
}

// scSample builds the module of host/port at t.
func scSample(host, port string, t time.Time) sample {
	since := func(d time.Duration) bool { return !t.Before(scEnd.Add(-d)) }
	if host == "leaf01" && port == "Ethernet1/47" && since(20*time.Minute) {
		return sample{}
	}
	temp, laserT, vcc := 45.0, 50.0, 3.3
	switch {
	case host != "leaf01":
	case port == "Ethernet1/30" && since(40*time.Minute):
		temp, laserT = 74, 54
	case port == "Ethernet1/31" && since(70*time.Minute) && !since(45*time.Minute):
		temp = 72
	case port == "Ethernet1/31" && since(45*time.Minute):
		temp = 68
	case port == "Ethernet1/32":
		temp = 68.5
		if since(30 * time.Minute) {
			vcc = 3.45
		}
	}
	m := &cmis.Module{
		Spec: "CMIS", SpecRevision: "5.0", IdentifierCode: 0x19, Identifier: "OSFP",
		Vendor: "EMU OPTICS", PartNumber: "EMU-OSFP800G-DR8", SerialNumber: "SN-" + host + "-" + port, FirmwareVer: "3.2",
		Applications: []cmis.Application{{AppSel: 1, HostInterfaceID: 0x51, HostInterface: "800GAUI-8 C2M", MediaInterface: "800GBASE-DR8",
			HostLanes: 8, MediaLanes: 8, HostLaneMask: 0x01}},
		PowerClass: 8, MaxPowerW: fp(16),
		ModuleState: "ModuleReady", ModuleStateCode: 3,
		TemperatureC: fp(temp), VccV: fp(vcc), LaserTemperatureC: fp(laserT),
		Thresholds: map[string]cmis.Thresholds{
			cmis.QTemperature:      lim(75, -5, 70, 0),
			cmis.QVcc:              lim(3.63, 2.97, 3.465, 3.135),
			cmis.QLaserTemperature: lim(90, -5, 85, 0),
			cmis.QTxBias:           lim(150, 20, 130, 30),
			cmis.QTxPower:          dbmLim(6, -6, 4, -2.9),
			cmis.QRxPower:          dbmLim(6, -8.9, 4, -5.9),
		},
	}
	berTh := lim(5e-4, 0, 2.5e-4, 0)
	efTh := lim(1e-3, 0, 1e-4, 0)
	ltTh := lim(90, -5, 85, 0)
	for lane := 1; lane <= 8; lane++ {
		rx := 0.0 - 0.1*float64(lane)
		bias := 75.0 + float64(lane)
		ber, vdmLT := 1e-8, 52.0
		var flags cmis.LaneFlags
		if host == "leaf01" {
			switch {
			case port == "Ethernet1/5" && lane == 3 && since(60*time.Minute):
				frac := math.Min(1, float64(t.Sub(scEnd.Add(-60*time.Minute)))/float64(20*time.Minute))
				ber = math.Pow(10, (1-frac)*-8+frac*math.Log10(3e-4))
			case port == "Ethernet1/5" && lane == 4:
				ber = 7e-6
			case port == "Ethernet1/5" && (lane == 5 || lane == 6) && since(60*time.Minute):
				ber = 2e-5
				if since(30 * time.Minute) {
					ber = map[int]float64{5: 7e-6, 6: 1e-6}[lane]
				}
			case port == "Ethernet1/5" && lane == 8 && since(20*time.Minute):
				flags = laneFlag("rx_cdr_lol")
			case port == "Ethernet1/12" && lane == 2 && since(60*time.Minute):
				rx = -9
			case port == "Ethernet1/12" && lane == 5 && since(60*time.Minute):
				rx = -1.7
			case port == "Ethernet1/12" && lane == 7 && since(3*time.Hour):
				bias *= 1.2
			case port == "Ethernet1/12" && lane == 8 && since(3*time.Hour):
				bias *= 1.05
			case port == "Ethernet1/30" && lane == 1 && since(40*time.Minute):
				vdmLT = 56
			}
		}
		txDBm := 1.5
		m.Lanes = append(m.Lanes, cmis.Lane{
			Lane: lane, TxBiasMA: fp(bias),
			TxPowerMW: fp(mw(txDBm)), TxPowerDBM: fp(txDBm),
			RxPowerMW: fp(mw(rx)), RxPowerDBM: fp(rx),
			Flags: flags,
		})
		ef := 0.0
		if ber > 1e-4 {
			ef = 2e-6
		}
		m.VDM = append(m.VDM,
			cmis.VDMValue{TypeID: 15, Observable: "pre_fec_ber_media", Lane: lane, Value: ber, Unit: "ratio", Thresholds: &berTh},
			cmis.VDMValue{TypeID: 23, Observable: "errored_frames_media", Lane: lane, Value: ef, Unit: "ratio", Thresholds: &efTh},
			cmis.VDMValue{TypeID: 4, Observable: "laser_temperature", Lane: lane, Value: vdmLT, Unit: "C", Thresholds: &ltTh},
			cmis.VDMValue{TypeID: 5, Observable: "esnr_media", Lane: lane, Value: 19, Unit: "dB"},
		)
	}
	vdm := !(host == "leaf01" && port == "Ethernet1/48" && since(15*time.Minute))
	if !vdm {
		m.VDM = nil
	}
	return sample{present: true, vdm: vdm, m: m}
}

// scenario runs the agent side: points for InfluxDB and the engine's
// alarms firing at the end.
func scenario(rules *alarm.Rules) (pts []exporter.Point, active []alertKey) {
	for _, hp := range scPorts {
		eng := alarm.NewEngine(rules, alarm.Options{})
		// The flight recorder as the pipeline keeps it: every read, a
		// flight when an alarm fires.
		rec := flightrec.New(flightrec.Options{})
		for i, t := range scTimes() {
			var energyPorts []*energy.Port
			for _, port := range hp.ports {
				s := scSample(hp.host, port, t)
				src := exporter.Source{Host: hp.host, Port: port, Time: t}
				if !s.present {
					pts = append(pts, exporter.AbsentPoints(src)...)
				} else {
					e := energy.ForModule(port, s.m)
					energyPorts = append(energyPorts, e)
					pts = append(pts, exporter.EnergyPoint(src, e)...)
					pts = append(pts, exporter.ModulePoints(src, s.m)...)
					if s.vdm {
						pts = append(pts, exporter.VDMPoints(src, s.m)...)
					}
					if i == 0 {
						pts = append(pts, exporter.InfoPoints(src, s.m)...)
					}
				}
				if s.present {
					if f := rec.Add(port, pipeline.FlightRecords(agent.Sample{Port: port, Kind: agent.KindFast, Time: t, Module: s.m})...); f != nil {
						pts = append(pts, pipeline.FlightPoints(hp.host, *f)...)
					}
					if s.vdm {
						if f := rec.Add(port, pipeline.VDMRecords(agent.Sample{Port: port, Kind: agent.KindVDM, Time: t, Module: s.m})...); f != nil {
							pts = append(pts, pipeline.FlightPoints(hp.host, *f)...)
						}
					}
				}
				events := eng.Evaluate(port, t, s.m, s.present)
				pts = append(pts, pipeline.EventPoints(hp.host, events, true)...)
				for _, ev := range events {
					if ev.State == alarm.Firing {
						f := rec.Trigger(port, pipeline.AlarmCause(ev), ev.Time)
						pts = append(pts, pipeline.FlightPoints(hp.host, f)...)
					}
				}
				if o, ok := scOutlook(hp.host, port, t); ok && s.present {
					pts = append(pts, outlookPoints(hp.host, port, t, o)...)
					pts = append(pts, pipeline.EventPoints(hp.host, eng.EvaluateOutlook(port, t, t, o), true)...)
				}
			}
			pts = append(pts, exporter.EnergyTotalPoints(hp.host, t, energyPorts)...)
			// The daemon rewrites firing alarms every minute.
			active := eng.Active()
			for i := range active {
				active[i].Time = t
			}
			pts = append(pts, pipeline.EventPoints(hp.host, active, false)...)
		}
		for _, ev := range eng.Active() {
			lane := ""
			if ev.Lane > 0 {
				lane = strconv.Itoa(ev.Lane)
			}
			active = append(active, alertKey{ev.Rule, hp.host, ev.Port, lane, ev.Severity.String()})
		}
	}
	return pts, active
}

// scOutlook is what the agent's forecast says about a port at t: every
// alarm.ForecastEvery from scDense, as the agent makes them.
func scOutlook(host, port string, t time.Time) (*alarm.Outlook, bool) {
	if t.Before(scDense) || t.Sub(scStart)%alarm.ForecastEvery != 0 {
		return nil, false
	}
	since := func(d time.Duration) bool { return !t.Before(scEnd.Add(-d)) }
	o := &alarm.Outlook{}
	switch host + " " + port {
	case "leaf01 Ethernet1/6":
		o.Crossings = []alarm.Crossing{
			{Lane: 4, Quantity: cmis.QRxPower, Limit: "low_warning", Threshold: mw(-7.4), Days: 9, DaysLow: 7, DaysHigh: 12},
			{Lane: 4, Quantity: cmis.QRxPower, Limit: "low_alarm", Threshold: mw(-10.4), Days: 20, DaysLow: 15, DaysHigh: 28},
		}
		if !since(50 * time.Minute) {
			o.Crossings = append(o.Crossings, alarm.Crossing{Lane: 5, Quantity: cmis.QRxPower, Limit: "low_warning", Threshold: mw(-7.4), Days: 5, DaysLow: 4, DaysHigh: 7})
		}
		z := -5.2
		if !since(70 * time.Minute) {
			z = -1
		}
		o.Scores = []alarm.Score{{Lane: 1, Quantity: cmis.QRxPower, Z: 0.3}, {Lane: 7, Quantity: cmis.QRxPower, Z: z}}
	case "leaf02 Ethernet1/5":
		// A bias trend a month out, and the same lane 7 as leaf01's
		// outlier, in its cohort.
		o.Crossings = []alarm.Crossing{{Lane: 1, Quantity: cmis.QTxBias, Limit: "high_warning", Threshold: 130, Days: 30, DaysLow: 20, DaysHigh: 45}}
		o.Scores = []alarm.Score{{Lane: 7, Quantity: cmis.QRxPower, Z: 1.1}}
	}
	return o, true
}

// outlookPoints are the xcvr_forecast and xcvr_cohort points of an
// outlook, as the agent writes them.
func outlookPoints(host, port string, t time.Time, o *alarm.Outlook) []exporter.Point {
	var pts []exporter.Point
	for _, c := range o.Crossings {
		pts = append(pts, exporter.ForecastPoint(exporter.Forecast{Host: host, Port: port, Lane: c.Lane, Quantity: c.Quantity,
			TrendPerDay: -0.1, Limit: c.Limit, Threshold: c.Threshold, Days: c.Days, DaysLow: c.DaysLow, DaysHigh: c.DaysHigh, Time: t}))
	}
	for _, s := range o.Scores {
		pts = append(pts, exporter.CohortPoint(exporter.CohortScore{Host: host, Port: port, Lane: s.Lane, Quantity: s.Quantity, Z: s.Z, Median: 1, Peers: 16, Time: t}))
	}
	return pts
}
