package cmis

import (
	"slices"

	"github.com/ddm-agent/ddm/schema"
)

// Module is the decoded state of one module: what Decode makes of a Snapshot.
// Values are in the units their JSON names carry. A field the module does not
// support, or whose bytes were not read, is nil or empty and omitted from JSON.
type Module struct {
	// Spec is the management interface: "CMIS", "SFF-8636", "SFF-8436" or
	// "SFF-8472"; SpecRevision its revision as the module reports it ("5.1").
	Spec           string `json:"spec"`
	SpecRevision   string `json:"spec_revision,omitempty"`
	IdentifierCode uint8  `json:"identifier_code"`
	Identifier     string `json:"identifier"`

	Vendor       string `json:"vendor,omitempty"`
	VendorOUI    string `json:"vendor_oui,omitempty"`
	PartNumber   string `json:"part_number,omitempty"`
	Revision     string `json:"revision,omitempty"`
	SerialNumber string `json:"serial_number,omitempty"`
	DateCode     string `json:"date_code,omitempty"`
	CLEI         string `json:"clei,omitempty"`

	Connector    string   `json:"connector,omitempty"`
	MediaType    string   `json:"media_type,omitempty"`
	MediaTech    string   `json:"media_technology,omitempty"`
	WavelengthNM *float64 `json:"wavelength_nm,omitempty"`
	// WavelengthTolNM is the ± tolerance of WavelengthNM (SFF-8636, CMIS).
	WavelengthTolNM *float64 `json:"wavelength_tolerance_nm,omitempty"`
	// NominalBitRateMbps is the nominal signalling rate (SFF-8636, SFF-8472).
	NominalBitRateMbps *float64 `json:"nominal_bit_rate_mbps,omitempty"`
	// CableAttenuationDB is a copper cable's attenuation by frequency
	// ("2.5GHz", "5GHz", "7GHz", "12.9GHz", "25.8GHz").
	CableAttenuationDB map[string]float64 `json:"cable_attenuation_db,omitempty"`
	PowerClass         int                `json:"power_class,omitempty"`
	MaxPowerW          *float64           `json:"max_power_w,omitempty"`
	CableLengthM       *float64           `json:"cable_length_m,omitempty"`
	// LinkLengthM is the link length the module supports on each medium it
	// names, in metres: fibre types "smf", "om5", "om4", "om3", "om2",
	// "om1", and "copper" for a BASE-T module's twisted pair (ethtool's
	// "Length (SMF)", "Length (OM3)", "Length (Copper or Active cable)").
	// A medium the module gives 0 for is absent.
	LinkLengthM   map[string]float64 `json:"link_length_m,omitempty"`
	FlatMemory    bool               `json:"flat_memory,omitempty"`
	FirmwareVer   string             `json:"firmware_version,omitempty"`
	FirmwareInact string             `json:"firmware_inactive_version,omitempty"`
	HardwareVer   string             `json:"hardware_version,omitempty"`
	// FunctionType is "transmission" or "laser source" (CMIS 5.3 byte 57, ELSFP).
	FunctionType string `json:"function_type,omitempty"`

	Applications []Application `json:"applications,omitempty"`
	// ActiveAppSel is the AppSel of each host lane's active data path
	// configuration (CMIS page 11h bytes 206-213 of every bank, bits 7-4;
	// index lane-1, 0 = lane unused), read with the static pages.
	ActiveAppSel []uint8 `json:"active_appsel,omitempty"`

	// ModuleState is the CMIS module state machine (ModuleReady, ...) or,
	// for SFF modules, "ready"/"data not ready".
	ModuleState      string `json:"module_state,omitempty"`
	ModuleStateCode  uint8  `json:"module_state_code,omitempty"`
	ModuleFaultCause string `json:"module_fault_cause,omitempty"`
	// Interrupt is true when the module asserts IntL.
	Interrupt bool `json:"interrupt,omitempty"`

	TemperatureC      *float64 `json:"temperature_c,omitempty"`
	VccV              *float64 `json:"vcc_v,omitempty"`
	LaserTemperatureC *float64 `json:"laser_temperature_c,omitempty"`
	TECCurrentPct     *float64 `json:"tec_current_pct,omitempty"`
	Vcc2V             *float64 `json:"vcc2_v,omitempty"`
	// SupplyCurrentMA is the module's supply current where it reports one:
	// an external laser source's ICC monitor (OIF-ELSFP page 1Bh:240).
	// With VccV it gives a measured power consumption.
	SupplyCurrentMA *float64 `json:"supply_current_ma,omitempty"`
	// Flags lists the module-level latched flags that are set.
	Flags ModuleFlags `json:"flags,omitempty"`

	Advertisement *Advertisement `json:"advertisement,omitempty"`

	Lanes []Lane `json:"lanes,omitempty"`

	// Thresholds by quantity, keyed by the same names as the monitors
	// (temperature_c, vcc_v, tx_bias_ma, tx_power_mw, rx_power_mw, ...).
	Thresholds map[string]Thresholds `json:"thresholds,omitempty"`

	VDM []VDMValue  `json:"vdm,omitempty"`
	PM  *CoherentPM `json:"coherent_pm,omitempty"`

	// LaserSource holds the per-laser monitors of an ELSFP (OIF-ELSFP page 1Bh).
	LaserSource []Laser `json:"laser_source,omitempty"`

	Checksums []Checksum `json:"checksums,omitempty"`
	Warnings  []string   `json:"warnings,omitempty"`
}

// Application is one CMIS application advertisement (AppSel code).
type Application struct {
	AppSel          int    `json:"appsel"`
	HostInterfaceID uint8  `json:"host_interface_id"`
	HostInterface   string `json:"host_interface"`
	MediaInterface  string `json:"media_interface"`
	MediaID         uint8  `json:"media_interface_id"`
	HostLanes       int    `json:"host_lanes"`
	MediaLanes      int    `json:"media_lanes"`
	HostLaneMask    uint8  `json:"host_lane_assignment"`
	MediaLaneMask   uint8  `json:"media_lane_assignment,omitempty"`
}

// Advertisement is what a CMIS module's page 01h says it supports; it drives
// decoding (bias multiplier, Rx power type) and read plans (banks, VDM).
type Advertisement struct {
	Banks            int  `json:"banks"`
	VDM              bool `json:"vdm"`
	VDMGroups        int  `json:"vdm_groups,omitempty"`
	DiagPages        bool `json:"diagnostic_pages,omitempty"`
	Page03           bool `json:"page_03h,omitempty"`
	NetworkPathPages bool `json:"network_path_pages,omitempty"`
	// TxBiasMultiplier scales the 2 µA bias LSB (1, 2 or 4).
	TxBiasMultiplier int  `json:"tx_bias_multiplier"`
	RxPowerIsOMA     bool `json:"rx_power_oma,omitempty"`

	TempMonitor    bool `json:"temperature_monitor"`
	VccMonitor     bool `json:"vcc_monitor"`
	TxBiasMonitor  bool `json:"tx_bias_monitor"`
	TxPowerMonitor bool `json:"tx_power_monitor"`
	RxPowerMonitor bool `json:"rx_power_monitor"`
	// Aux monitor roles from 01h:145 (laser temperature, TEC current, ...).
	Aux1, Aux2, Aux3 string `json:"-"`
	TxFlags          uint8  `json:"-"` // 01h:157
	RxFlags          uint8  `json:"-"` // 01h:158
}

// Lane is one lane's monitors and flags. Lane numbers are global and 1-based:
// lane 8·bank + i + 1 for bit i of a bank's page 11h.
type Lane struct {
	Lane          int       `json:"lane"`
	DataPathState string    `json:"data_path_state,omitempty"`
	TxBiasMA      *float64  `json:"tx_bias_ma,omitempty"`
	TxPowerMW     *float64  `json:"tx_power_mw,omitempty"`
	TxPowerDBM    *float64  `json:"tx_power_dbm,omitempty"`
	RxPowerMW     *float64  `json:"rx_power_mw,omitempty"`
	RxPowerDBM    *float64  `json:"rx_power_dbm,omitempty"`
	Flags         LaneFlags `json:"flags,omitempty"`
}

// Thresholds are a monitor's alarm and warning limits, in the monitor's unit.
type Thresholds struct {
	HighAlarm   float64 `json:"high_alarm"`
	LowAlarm    float64 `json:"low_alarm"`
	HighWarning float64 `json:"high_warning"`
	LowWarning  float64 `json:"low_warning"`
	// ChecksumFailed marks limits decoded from a page whose checksum does
	// not match (CMIS page 02h, SFF-8472 A2h CC_DMI). Many modules never
	// set that checksum, so the limits are kept; alarm rules choose whether
	// to use them (trust_failed_checksum).
	ChecksumFailed bool `json:"checksum_failed,omitempty"`
}

// VDMValue is one CMIS VDM (versatile diagnostics) observable instance.
type VDMValue struct {
	TypeID     uint8       `json:"type_id"`
	Observable string      `json:"observable"`
	Lane       int         `json:"lane"` // global, 1-based
	Value      float64     `json:"value"`
	Unit       string      `json:"unit"`
	Raw        uint16      `json:"raw"`
	Group      int         `json:"group"` // 1-4
	Slot       int         `json:"slot"`  // 0-63 within the group
	Bank       int         `json:"bank"`
	Thresholds *Thresholds `json:"thresholds,omitempty"`
	Flags      LimitFlags  `json:"flags,omitempty"`
}

// Laser is one laser of an external laser source (ELSFP).
type Laser struct {
	Lane     int      `json:"lane"`
	BiasMA   *float64 `json:"bias_ma,omitempty"`
	PowerMW  *float64 `json:"power_mw,omitempty"`
	PowerDBM *float64 `json:"power_dbm,omitempty"`
	VoltageV *float64 `json:"voltage_v,omitempty"`
	State    string   `json:"state,omitempty"`
	// Fault and Warning are the laser's bits of the ELSFP fault and
	// warning bitmaps (page 1Ah 166-181): the laser is outside its alarm
	// or warning limits, or has failed.
	Fault   bool `json:"fault,omitempty"`
	Warning bool `json:"warning,omitempty"`
}

// CoherentPM is the C-CMIS performance monitoring of pages 34h/35h, in brief
// (media lane 1).
type CoherentPM struct {
	PreFECBERAvg *float64 `json:"pre_fec_ber_avg,omitempty"`
	PreFECBERMin *float64 `json:"pre_fec_ber_min,omitempty"`
	PreFECBERMax *float64 `json:"pre_fec_ber_max,omitempty"`
	// UncorrectedFrames is the count of frames FEC could not correct.
	UncorrectedFrames *uint32  `json:"uncorrected_frames,omitempty"`
	Frames            *uint32  `json:"frames,omitempty"`
	CDAvgPsNm         *float64 `json:"cd_avg_ps_nm,omitempty"`
	DGDAvgPs          *float64 `json:"dgd_avg_ps,omitempty"`
	OSNRAvgDB         *float64 `json:"osnr_avg_db,omitempty"`
	ESNRAvgDB         *float64 `json:"esnr_avg_db,omitempty"`
	CFOAvgMHz         *float64 `json:"cfo_avg_mhz,omitempty"`
	TxPowerAvgDBM     *float64 `json:"tx_power_avg_dbm,omitempty"`
	RxTotalPowerDBM   *float64 `json:"rx_total_power_avg_dbm,omitempty"`
	RxSignalPowerDBM  *float64 `json:"rx_signal_power_avg_dbm,omitempty"`
}

// Checksum is the verification of one page checksum.
type Checksum struct {
	Page     string `json:"page"`
	Offset   int    `json:"offset"`
	Stored   uint8  `json:"stored"`
	Computed uint8  `json:"computed"`
	OK       bool   `json:"ok"`
}

// Threshold set names, shared by the decoder, the exporter and the alarm
// rules: each quantity is named as the field that carries its value.
const (
	QTemperature      = schema.TemperatureC
	QVcc              = schema.VccV
	QTxBias           = schema.TxBiasMA
	QTxPower          = schema.TxPowerMW
	QRxPower          = schema.RxPowerMW
	QLaserTemperature = schema.LaserTemperatureC
	QTECCurrent       = schema.TECCurrentPct
	QVcc2             = schema.Vcc2V
)

// ptr returns a pointer to v, for optional values.
func ptr[T any](v T) *T { return &v }

// Clone returns a copy of m that no later decode into m changes: its
// monitors, lanes, VDM values, lasers and coherent PM are its own, with
// all their floats in one allocation. The parts that come from the static
// pages (identity, applications, thresholds, advertisement, checksums,
// warnings, VDM thresholds) are shared: no decode writes into them, and
// neither may the holder of either copy.
func (m *Module) Clone() *Module {
	if m == nil {
		return nil
	}
	c := *m
	// Room for every float the copy points to, so that append never moves
	// the block while pointers into it are handed out.
	floats := make([]float64, 0, 6+5*len(m.Lanes)+4*len(m.LaserSource)+11)
	own := func(p *float64) *float64 {
		if p == nil {
			return nil
		}
		floats = append(floats, *p)
		return &floats[len(floats)-1]
	}
	c.TemperatureC, c.VccV, c.LaserTemperatureC, c.TECCurrentPct, c.Vcc2V =
		own(m.TemperatureC), own(m.VccV), own(m.LaserTemperatureC), own(m.TECCurrentPct), own(m.Vcc2V)
	c.SupplyCurrentMA = own(m.SupplyCurrentMA)
	c.Lanes = slices.Clone(m.Lanes)
	for i := range c.Lanes {
		l := &c.Lanes[i]
		l.TxBiasMA, l.TxPowerMW, l.TxPowerDBM, l.RxPowerMW, l.RxPowerDBM =
			own(l.TxBiasMA), own(l.TxPowerMW), own(l.TxPowerDBM), own(l.RxPowerMW), own(l.RxPowerDBM)
	}
	c.LaserSource = slices.Clone(m.LaserSource)
	for i := range c.LaserSource {
		l := &c.LaserSource[i]
		l.BiasMA, l.PowerMW, l.PowerDBM, l.VoltageV = own(l.BiasMA), own(l.PowerMW), own(l.PowerDBM), own(l.VoltageV)
	}
	c.VDM = slices.Clone(m.VDM)
	if m.PM != nil {
		pm := *m.PM
		pm.PreFECBERAvg, pm.PreFECBERMin, pm.PreFECBERMax = own(pm.PreFECBERAvg), own(pm.PreFECBERMin), own(pm.PreFECBERMax)
		pm.CDAvgPsNm, pm.DGDAvgPs, pm.OSNRAvgDB, pm.ESNRAvgDB, pm.CFOAvgMHz = own(pm.CDAvgPsNm), own(pm.DGDAvgPs), own(pm.OSNRAvgDB), own(pm.ESNRAvgDB), own(pm.CFOAvgMHz)
		pm.TxPowerAvgDBM, pm.RxTotalPowerDBM, pm.RxSignalPowerDBM = own(pm.TxPowerAvgDBM), own(pm.RxTotalPowerDBM), own(pm.RxSignalPowerDBM)
		if pm.Frames != nil {
			pm.Frames = ptr(*pm.Frames)
		}
		if pm.UncorrectedFrames != nil {
			pm.UncorrectedFrames = ptr(*pm.UncorrectedFrames)
		}
		c.PM = &pm
	}
	c.Warnings = slices.Clip(m.Warnings)
	return &c
}

// setLinkLength records a supported link length; 0 (not supported on
// that medium) is left out.
func (m *Module) setLinkLength(medium string, metres float64) {
	if metres <= 0 {
		return
	}
	if m.LinkLengthM == nil {
		m.LinkLengthM = map[string]float64{}
	}
	m.LinkLengthM[medium] = metres
}
