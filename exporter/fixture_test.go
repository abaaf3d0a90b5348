package exporter

import (
	"time"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/energy"
	"github.com/ddm-agent/ddm/topology"
)

func fp(v float64) *float64 { return &v }
func u32(v uint32) *uint32  { return &v }

// exampleTime is the fixed read time of the examples in docs/SCHEMA.md.
var exampleTime = time.Date(2026, 1, 2, 3, 4, 5, 678_000_000, time.UTC)

var exampleSource = Source{Host: "leaf01", Port: "Ethernet8", Time: exampleTime}

// exampleModule is a decoded CMIS module exercising every field the schema
// has: 4 lanes (lane 3 dark: 0 mW, no dBm), VDM with and without a side,
// coherent PM, an ELSFP laser, thresholds.
func exampleModule() *cmis.Module {
	return &cmis.Module{
		Spec: "CMIS", SpecRevision: "5.0", IdentifierCode: 0x18, Identifier: "QSFP-DD",
		Vendor: "ACME OPTICS", VendorOUI: "00:11:22", PartNumber: "QDD-400G-DR4", Revision: "A1",
		SerialNumber: "AC2601020001", DateCode: "260102", CLEI: "WOMXZ00AAA",
		Connector: "MPO 1x12", MediaType: "SMF", MediaTech: "1310 nm EML",
		WavelengthNM: fp(1311), WavelengthTolNM: fp(6.5), NominalBitRateMbps: fp(106250),
		PowerClass: 7, MaxPowerW: fp(12), CableLengthM: fp(0),
		FirmwareVer: "3.2", FirmwareInact: "3.1", HardwareVer: "1.0", FunctionType: "transmission",
		Applications: []cmis.Application{
			{AppSel: 1, HostInterfaceID: 0x11, HostInterface: "400GAUI-8 C2M", MediaInterface: "400GBASE-DR4", HostLanes: 8, MediaLanes: 4, HostLaneMask: 0x01},
			{AppSel: 2, HostInterfaceID: 0x0D, HostInterface: "100GAUI-2 C2M", MediaInterface: "100GBASE-DR", HostLanes: 2, MediaLanes: 1, HostLaneMask: 0x55},
		},
		ActiveAppSel: []uint8{1, 1, 1, 1, 1, 1, 1, 1},
		ModuleState:  "ModuleReady", ModuleStateCode: 3,
		TemperatureC: fp(41.5), VccV: fp(3.2917), LaserTemperatureC: fp(45.25), TECCurrentPct: fp(12.5), Vcc2V: fp(1.8),
		Flags:         cmis.TempHighWarning,
		Advertisement: &cmis.Advertisement{Banks: 1, VDM: true, VDMGroups: 1, TxBiasMultiplier: 1, RxPowerIsOMA: false},
		Lanes: []cmis.Lane{
			{Lane: 1, DataPathState: "DPActivated", TxBiasMA: fp(6.75), TxPowerMW: fp(1.2589), TxPowerDBM: fp(1.0), RxPowerMW: fp(0.7943), RxPowerDBM: fp(-1.0)},
			{Lane: 2, DataPathState: "DPActivated", TxBiasMA: fp(6.8), TxPowerMW: fp(1.2), TxPowerDBM: fp(0.7918), RxPowerMW: fp(0.5), RxPowerDBM: fp(-3.0103),
				Flags: cmis.RxPowerLowWarning},
			{Lane: 3, DataPathState: "DPActivated", TxBiasMA: fp(0), TxPowerMW: fp(0), RxPowerMW: fp(0),
				Flags: cmis.RxLOS | cmis.TxPowerLowAlarm | cmis.RxPowerLowAlarm},
			{Lane: 4, DataPathState: "DPActivated", TxBiasMA: fp(6.7), TxPowerMW: fp(1.1), TxPowerDBM: fp(0.4139), RxPowerMW: fp(0.9), RxPowerDBM: fp(-0.4576)},
		},
		Thresholds: map[string]cmis.Thresholds{
			cmis.QTemperature: {HighAlarm: 75, LowAlarm: -5, HighWarning: 70, LowWarning: 0},
			cmis.QRxPower:     {HighAlarm: 3.1623, LowAlarm: 0.0398, HighWarning: 2.5119, LowWarning: 0.0794},
		},
		VDM: []cmis.VDMValue{
			{TypeID: 15, Observable: "pre_fec_ber_media", Lane: 1, Value: 2.4e-5, Unit: "ratio",
				Thresholds: &cmis.Thresholds{HighAlarm: 2.4e-4, LowAlarm: 0, HighWarning: 1e-4, LowWarning: 0}},
			{TypeID: 16, Observable: "pre_fec_ber_host", Lane: 1, Value: 1e-9, Unit: "ratio", Flags: cmis.HighWarning},
			{TypeID: 1, Observable: "laser_age", Lane: 1, Value: 3, Unit: "%"},
		},
		PM: &cmis.CoherentPM{
			PreFECBERAvg: fp(1.2e-3), PreFECBERMin: fp(9e-4), PreFECBERMax: fp(1.6e-3),
			UncorrectedFrames: u32(0), Frames: u32(123456789),
			CDAvgPsNm: fp(-12), DGDAvgPs: fp(1.5), OSNRAvgDB: fp(34.1), ESNRAvgDB: fp(17.2), CFOAvgMHz: fp(-150),
			TxPowerAvgDBM: fp(-9.5), RxTotalPowerDBM: fp(-8.1), RxSignalPowerDBM: fp(-8.3),
		},
		LaserSource: []cmis.Laser{
			{Lane: 1, BiasMA: fp(250), PowerMW: fp(100), PowerDBM: fp(20), VoltageV: fp(1.9), State: "on"},
		},
		Checksums: []cmis.Checksum{{Page: "00h", Offset: 222, OK: true}},
	}
}

func exampleAlarm() Alarm {
	return Alarm{Host: "leaf01", Port: "Ethernet8", Lane: 3, Rule: "rx_los", Severity: "critical",
		State: AlarmFiring, Value: fp(0), Threshold: fp(0.0398), Summary: "Ethernet8 lane 3: rx LOS", Time: exampleTime,
		Cause: "far_end_or_fibre_cut", Evidence: []string{"rx power fell 12 dB in one read", "tx power and bias steady"}}
}

// exampleVDMAlarms are two alarms of one rule on one lane that fired in
// the same read, told apart by their observable (docs/SCHEMA.md).
func exampleVDMAlarms() []Point {
	var pts []Point
	for _, a := range []struct {
		obs      string
		v, limit float64
	}{{"pre_fec_ber_media", 3e-4, 2.4e-4}, {"pre_fec_ber_max_media", 3.1e-4, 2.4e-4}} {
		pts = append(pts, AlarmPoint(Alarm{Host: "leaf01", Port: "Ethernet8", Lane: 3, Rule: "vdm_thresholds",
			Observable: a.obs, Limit: "high_alarm", Severity: "major", State: AlarmFiring, Value: fp(a.v), Threshold: fp(a.limit),
			Summary: "Ethernet8 lane 3: " + a.obs + " above the module's high_alarm", Time: exampleTime, Transition: true}))
	}
	return pts
}

func exampleBusStats() BusStats {
	return BusStats{
		CycleTime: 412 * time.Millisecond, Ports: 32, ModulesPresent: 30, ReadErrors: 1,
		CyclePeriod: time.Second, ScanPeriod: 100 * time.Millisecond, Utilisation: 0.24,
		IO: BusIO{Transactions: 123456, BytesRead: 9876543, BytesWritten: 4321, PageSelects: 4000,
			NACKs: 3, Retries: 2, Errors: 1, BusTime: 61500 * time.Millisecond},
	}
}

func exampleSinkStats() Stats {
	return Stats{QueueDepth: 0, SpoolBytes: 1048576, SpoolPoints: 3500, Written: 1000000, Sent: 996500,
		Dropped: 0, Rejected: 0, Requests: 2000, Retries: 12, AuthErrors: 0, WriteLatency: 8 * time.Millisecond}
}

// examplePoints is the fixed input of the documentation examples.
func examplePoints() []Point {
	m := exampleModule()
	pts := AllPoints(exampleSource, m)
	pts = append(pts, AbsentPoints(Source{Host: "leaf01", Port: "Ethernet12", Time: exampleTime})...)
	pts = append(pts, AlarmPoint(exampleAlarm()))
	pts = append(pts, exampleVDMAlarms()...)
	pts = append(pts, BusPoint("leaf01", "i2c-2", exampleTime, exampleBusStats()))
	pts = append(pts, ForecastPoint(Forecast{Host: "leaf01", Port: "Ethernet8", Lane: 3, Quantity: "rx_power_mw", TrendPerDay: -0.004,
		Limit: "low_warning", Threshold: 0.18, Days: 41, DaysLow: 30, DaysHigh: 63, Time: exampleTime}))
	pts = append(pts, CohortPoint(CohortScore{Host: "leaf01", Port: "Ethernet8", Lane: 3, Quantity: "rx_power_mw", Z: -3.8, Median: 0.71, Peers: 256, Time: exampleTime}))
	pts = append(pts, ProcessPoint("leaf01", exampleTime, exampleSinkStats(), ProcessStats{ClockStepsBack: 0}))
	pts = append(pts, exampleEnergy()...)
	pts = append(pts, FlagEventPoint(FlagEvent{Host: "leaf01", Port: "Ethernet8", Lane: 6, Flag: "rx_los", Time: exampleTime,
		Since: exampleTime.Add(-100 * time.Millisecond), Count: 3, Scan: true}))
	pts = append(pts, FlagPoints(Source{Host: "leaf01", Port: "Ethernet12", Time: exampleTime}, []FlagCount{
		{Flag: "temp_high_warning", Events: 1, Reads: 3, First: exampleTime.Add(-time.Hour), Last: exampleTime.Add(-time.Hour + 2*time.Second)},
		{Lane: 6, Flag: "rx_los", Events: 14, Reads: 19, First: exampleTime.Add(-10 * time.Minute), Last: exampleTime, Active: true},
	})...)
	pts = append(pts, FlightPoint(FlightReading{Host: "leaf01", Port: "Ethernet8", Flight: "Ethernet8/rx_los/lane6@1767323045678",
		Trigger: "rx_los/lane6", Lane: 6, Time: exampleTime, TxBiasMA: fp(7.1), TxPowerMW: fp(1.2), RxPowerMW: fp(0.01), LaneFlags: cmis.RxLOS | cmis.RxCDRLOL,
		TemperatureC: fp(44), VccV: fp(3.29)}))
	pts = append(pts, FlightPoint(FlightReading{Host: "leaf01", Port: "Ethernet8", Flight: "Ethernet8/rx_los/lane6@1767323045678",
		Trigger: "rx_los/lane6", Lane: 6, Time: exampleTime, VDMObservable: "pre_fec_ber_media", Value: fp(2.4e-5),
		VDMFlags: cmis.HighWarning}))
	pts = append(pts, FlightTriggerPoint(FlightTrigger{Host: "leaf01", Port: "Ethernet8", Flight: "Ethernet8/rx_los/lane6@1767323045678",
		Cause: "rx_cdr_lol/lane6", Time: exampleTime, Opened: false}))
	return append(pts, exampleLaserEvent()...)
}

// exampleEnergy: the example module's energy view (advertised), an
// external laser source's (measured), and the totals of the two.
func exampleEnergy() []Point {
	els := &cmis.Module{Spec: "CMIS", IdentifierCode: cmis.IDELSFP, PartNumber: "ELS-8CW", PowerClass: 5, MaxPowerW: fp(10),
		VccV: fp(3.3), SupplyCurrentMA: fp(2150)}
	ports := []*energy.Port{energy.ForModule("Ethernet8", exampleModule()), energy.ForModule("els1", els)}
	pts := EnergyPoint(exampleSource, ports[0])
	pts = append(pts, EnergyPoint(Source{Host: "leaf01", Port: "els1", Time: exampleTime}, ports[1])...)
	return append(pts, EnergyTotalPoints("leaf01", exampleTime, ports)...)
}

// exampleLaserEvent: laser 2 of els1 faults, darkening npo1 lanes 5-8
// (Ethernet2/2), and a lane alarm of npo1 linked to it.
func exampleLaserEvent() []Point {
	ev := &topology.Event{ID: "els1/laser2@1767323045678", Source: "els1", Laser: 2, Firing: true, Cause: topology.CauseFault,
		Time: exampleTime, PowerMW: fp(0), Feeds: []topology.Feed{{Source: "els1", Laser: 2, Engine: "npo1", Lanes: []int{5, 6, 7, 8}, Port: "Ethernet2/2"}},
		Linked: []string{"npo1 lane 5 tx_power_low"}}
	a := AlarmPoint(Alarm{Host: "leaf01", Port: "npo1", Lane: 6, Rule: "tx_power_low", Severity: "major", State: AlarmFiring,
		Value: fp(0.01), Threshold: fp(0.3162), Summary: "npo1 lane 6: Tx power low", Time: exampleTime, Transition: true})
	LinkLaserEvent(&a, ev.ID)
	return []Point{LaserEventPoint("leaf01", ev), a}
}
