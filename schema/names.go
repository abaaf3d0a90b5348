package schema

// Measurements.
const (
	XcvrModule      = "xcvr_module"
	XcvrLane        = "xcvr_lane"
	XcvrVDM         = "xcvr_vdm"
	XcvrCoherent    = "xcvr_coherent"
	XcvrLaser       = "xcvr_laser"
	XcvrInfo        = "xcvr_info"
	XcvrThreshold   = "xcvr_threshold"
	XcvrAlarm       = "xcvr_alarm"
	XcvrAgent       = "xcvr_agent"
	XcvrForecast    = "xcvr_forecast"
	XcvrCohort      = "xcvr_cohort"
	XcvrEnergy      = "xcvr_energy"
	XcvrEnergyTotal = "xcvr_energy_total"
	XcvrLaserEvent  = "xcvr_laser_event"
	XcvrFlagEvent   = "xcvr_flag_event"
	XcvrFlag        = "xcvr_flag"
	XcvrFlight      = "xcvr_flight"
	// XcvrFlightTrigger is each trigger that opened or joined a flight.
	XcvrFlightTrigger = "xcvr_flight_trigger"
)

// Tags.
const (
	TagHost       = "host"       // the host ddm runs on
	TagPort       = "port"       // the port (cage) name
	TagLane       = "lane"       // 1-based lane, global across banks; absent for module-level values
	TagObservable = "observable" // a VDM observable without its side suffix
	TagSide       = "side"       // media or host, for VDM observables that come in both
	TagQuantity   = "quantity"   // the monitored quantity of xcvr_threshold, named as its field
	TagRule       = "rule"       // the alarm rule
	TagSeverity   = "severity"   // the alarm severity
	TagLimit      = "limit"      // the module threshold a threshold alarm crossed
	TagBus        = "bus"        // the bus worker of an xcvr_agent point
	TagFlag       = "flag"       // the latched flag of an xcvr_flag_event point (a cmis flag name)
	TagFlight     = "flight"     // the flight-recorder window of an xcvr_flight point (port/trigger@ms)
	TagSource     = "source"     // what made an xcvr_flight reading: fast, scan or vdm
)

// Fields of xcvr_flag: a latched flag's counters since the module was
// inserted.
const (
	FlagEvents    = "events"
	FlagReads     = "reads"
	FlagFirstSeen = "first_seen"
	FlagLastSeen  = "last_seen"
	FlagActive    = "active"
)

// Fields of xcvr_agent for the flag scan.
const (
	ScanPeriodS    = "scan_period_s"
	CyclePeriodS   = "cycle_period_s"
	BusUtilisation = "bus_utilisation"
	ScanStretched  = "scan_stretched"
)

// Fields of xcvr_module.
const (
	Present           = "present"
	ModuleState       = "module_state"
	ModuleStateCode   = "module_state_code"
	ModuleFaultCause  = "module_fault_cause"
	Interrupt         = "interrupt"
	TemperatureC      = "temperature_c"
	VccV              = "vcc_v"
	LaserTemperatureC = "laser_temperature_c"
	TECCurrentPct     = "tec_current_pct"
	Vcc2V             = "vcc2_v"
)

// Fields of xcvr_lane.
const (
	DataPathState = "data_path_state"
	TxBiasMA      = "tx_bias_ma"
	TxPowerMW     = "tx_power_mw"
	TxPowerDBM    = "tx_power_dbm"
	RxPowerMW     = "rx_power_mw"
	RxPowerDBM    = "rx_power_dbm"
)

// Fields of xcvr_vdm (value also in xcvr_alarm, the four thresholds also in
// xcvr_threshold).
const (
	Value                = "value"
	TypeID               = "type_id"
	HighAlarmThreshold   = "high_alarm_threshold"
	LowAlarmThreshold    = "low_alarm_threshold"
	HighWarningThreshold = "high_warning_threshold"
	LowWarningThreshold  = "low_warning_threshold"
	HighAlarm            = "high_alarm"
	LowAlarm             = "low_alarm"
	HighWarning          = "high_warning"
	LowWarning           = "low_warning"
)

// Fields of xcvr_coherent.
const (
	PreFECBERAvg        = "pre_fec_ber_avg"
	PreFECBERMin        = "pre_fec_ber_min"
	PreFECBERMax        = "pre_fec_ber_max"
	UncorrectedFrames   = "uncorrected_frames"
	Frames              = "frames"
	CDAvgPsNM           = "cd_avg_ps_nm"
	DGDAvgPs            = "dgd_avg_ps"
	OSNRAvgDB           = "osnr_avg_db"
	ESNRAvgDB           = "esnr_avg_db"
	CFOAvgMHz           = "cfo_avg_mhz"
	TxPowerAvgDBM       = "tx_power_avg_dbm"
	RxTotalPowerAvgDBM  = "rx_total_power_avg_dbm"
	RxSignalPowerAvgDBM = "rx_signal_power_avg_dbm"
)

// Fields of xcvr_laser (state also in xcvr_alarm).
const (
	BiasMA   = "bias_ma"
	PowerMW  = "power_mw"
	PowerDBM = "power_dbm"
	VoltageV = "voltage_v"
	State    = "state"
)

// Fields of xcvr_info.
const (
	Spec                    = "spec"
	SpecRevision            = "spec_revision"
	Identifier              = "identifier"
	Vendor                  = "vendor"
	VendorOUI               = "vendor_oui"
	PartNumber              = "part_number"
	Revision                = "revision"
	SerialNumber            = "serial_number"
	DateCode                = "date_code"
	CLEI                    = "clei"
	Connector               = "connector"
	MediaType               = "media_type"
	MediaTechnology         = "media_technology"
	FirmwareVersion         = "firmware_version"
	FirmwareInactiveVersion = "firmware_inactive_version"
	HardwareVersion         = "hardware_version"
	FunctionType            = "function_type"
	Applications            = "applications"
	IdentifierCode          = "identifier_code"
	PowerClass              = "power_class"
	Lanes                   = "lanes"
	Banks                   = "banks"
	WavelengthNM            = "wavelength_nm"
	WavelengthToleranceNM   = "wavelength_tolerance_nm"
	NominalBitRateMbps      = "nominal_bit_rate_mbps"
	MaxPowerW               = "max_power_w"
	CableLengthM            = "cable_length_m"
	FlatMemory              = "flat_memory"
	RxPowerOMA              = "rx_power_oma"
	VDMSupported            = "vdm_supported"
	ChecksumErrors          = "checksum_errors"
	Warnings                = "warnings"
)

// Fields of xcvr_threshold.
const (
	ChecksumFailed = "checksum_failed"
)

// Fields of xcvr_alarm.
const (
	Firing     = "firing"
	Transition = "transition"
	Threshold  = "threshold"
	Summary    = "summary"
	Cause      = "cause"
	Evidence   = "evidence"
	LaserEvent = "laser_event"
)

// Fields of xcvr_agent.
const (
	CycleTimeS      = "cycle_time_s"
	BusTimeS        = "bus_time_s"
	Transactions    = "transactions"
	BytesRead       = "bytes_read"
	BytesWritten    = "bytes_written"
	PageSelects     = "page_selects"
	NACKs           = "nacks"
	Retries         = "retries"
	BusErrors       = "bus_errors"
	ReadErrors      = "read_errors"
	Ports           = "ports"
	ModulesPresent  = "modules_present"
	QueueDepth      = "queue_depth"
	SpoolBytes      = "spool_bytes"
	SpoolPoints     = "spool_points"
	WrittenPoints   = "written_points"
	SentPoints      = "sent_points"
	DroppedPoints   = "dropped_points"
	RejectedPoints  = "rejected_points"
	InvalidPoints   = "invalid_points"
	CorruptPoints   = "corrupt_points"
	NonFiniteFields = "nonfinite_fields"
	WriteRequests   = "write_requests"
	WriteRetries    = "write_retries"
	AuthErrors      = "auth_errors"
	WriteLatencyS   = "write_latency_s"
	ClockStepsBack  = "clock_steps_back"
)

// Fields of xcvr_forecast (threshold also in xcvr_alarm).
const (
	TrendPerDay     = "trend_per_day"
	DaysToThreshold = "days_to_threshold"
	DaysLow         = "days_low"
	DaysHigh        = "days_high"
)

// Fields of xcvr_cohort.
const (
	Z      = "z"
	Median = "median"
	Peers  = "peers"
)

// Fields of xcvr_energy (part_number, also a tag of xcvr_energy_total, is
// xcvr_info's).
const (
	PowerW         = "power_w"
	Basis          = "basis"
	MeasuredPowerW = "measured_power_w"
	DataRateGbps   = "data_rate_gbps"
	LaneRateGbps   = "lane_rate_gbps"
	PJPerBit       = "pj_per_bit"
	LoadFraction   = "load_fraction"
	NearLimit      = "near_limit"
	ReferenceClass = "reference_class"
	Reference      = "reference"
)

// Fields of xcvr_energy_total.
const (
	MeasuredPorts   = "measured_ports"
	AdvertisedPorts = "advertised_ports"
	RatedPowerW     = "rated_power_w"
	WPerTbps        = "w_per_tbps"
	NearLimitPorts  = "near_limit_ports"
	LimitKnownPorts = "limit_known_ports"
	NearLimitShare  = "near_limit_share"
)

// Fields of xcvr_laser_event (state, firing, cause, ports, lanes, power_mw
// and summary are named as elsewhere).
const (
	EventID      = "event_id"
	LinkedAlarms = "linked_alarms"
)

// Fields of xcvr_flag_event.
const (
	FlagCount     = "flag_count"      // the flag's count with this event
	OnsetWindowMS = "onset_window_ms" // the onset lies within this long before the point's time
	ByScan        = "by_scan"         // seen by a flag scan (not a fast read)
)

// Window statistics of the reduced export (package winstat, `ddm run
// --reduce`): each field F of ReducedStatistics is sent once per window as
// F+StatMin, F+StatMean, F+StatMax and the times of the extremes as ms
// after the window's start, F+StatMinOffsetMS and F+StatMaxOffsetMS (left
// out when min equals max: every sample had that value), on a point stamped
// with the window's start that also carries WindowNS and WindowSamples
// (OpenConfig's min/avg/max/min-time/max-time/interval).
const (
	StatMin         = "_min"
	StatMean        = "_mean"
	StatMax         = "_max"
	StatMinOffsetMS = "_min_offset_ms"
	StatMaxOffsetMS = "_max_offset_ms"
	WindowNS        = "window_ns"      // the window's length in ns (shorter when cut by a module swap or shutdown)
	WindowSamples   = "window_samples" // the samples folded into the window
)

// Reduced is a measurement the reduced export sends as window statistics.
type Reduced struct {
	Measurement string
	// Statistics are the fields sent as window statistics; the
	// measurement's other fields (flags, states, thresholds) are sent at a
	// read's own time when they change.
	Statistics []string
	// Derived are fields left out of the reduced export, each with the
	// statistic it is computed from: dBm = 10·log10(mW), so the dBm
	// minimum and maximum are those of the mW statistics exactly.
	Derived map[string]string
	// OwnStatistic names the series (by their observable tag) whose value
	// is already a statistic the module keeps over its own interval, each
	// with the one window statistic sent for it: the minimum of the
	// module's minima (with its offset), the maximum of its maxima (with
	// its offset), the mean of its averages. The others would say little
	// (the highest of the minima) and cost as much.
	OwnStatistic map[string]string
}

// ReducedStatistics lists, once, the measurements and fields the reduced
// export sends as window statistics (readers of reduced data use it to
// name what they query). Each call returns a new list.
func ReducedStatistics() []Reduced {
	return []Reduced{
		{Measurement: XcvrModule, Statistics: []string{TemperatureC, VccV, LaserTemperatureC, TECCurrentPct, Vcc2V}},
		{Measurement: XcvrLane, Statistics: []string{TxBiasMA, TxPowerMW, RxPowerMW},
			Derived: map[string]string{TxPowerDBM: TxPowerMW, RxPowerDBM: RxPowerMW}},
		{Measurement: XcvrVDM, Statistics: []string{Value}, OwnStatistic: map[string]string{
			"pre_fec_ber_min": StatMin, "pre_fec_ber_max": StatMax, "pre_fec_ber_avg": StatMean,
			"errored_frames_min": StatMin, "errored_frames_max": StatMax, "errored_frames_avg": StatMean,
			"sew_max_min": StatMin, "sew_max_max": StatMax, "sew_max_avg": StatMean,
		}},
		{Measurement: XcvrLaser, Statistics: []string{BiasMA, PowerMW, VoltageV}, Derived: map[string]string{PowerDBM: PowerMW}},
		{Measurement: XcvrEnergy, Statistics: []string{PowerW, MeasuredPowerW, PJPerBit, LoadFraction}},
	}
}

// Fields of xcvr_flight (beside the monitors and flags named as in
// xcvr_lane and xcvr_module).
const (
	Trigger = "trigger" // what opened the flight: a flag or an alarm rule, with its lane (xcvr_flight_trigger: its tag, each trigger's)
	Flags   = "flags"   // the latched flags the read saw set, comma separated
	Opened  = "opened"  // xcvr_flight_trigger: this trigger opened the flight (false: it joined it)
)
