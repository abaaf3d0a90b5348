package emulator

import (
	"fmt"
	"sort"
	"strings"
)

// Spec is a module's management interface.
type Spec int

// Management interfaces.
const (
	SpecCMIS    Spec = iota + 1 // OIF CMIS (QSFP-DD, OSFP, OSFP-XD, ELSFP, CPO/NPO)
	SpecSFF8636                 // SFF-8636 (QSFP28)
	SpecSFF8472                 // SFF-8472 (SFP, SFP28)
)

func (s Spec) String() string {
	switch s {
	case SpecCMIS:
		return "CMIS"
	case SpecSFF8636:
		return "SFF-8636"
	case SpecSFF8472:
		return "SFF-8472"
	}
	return fmt.Sprintf("Spec(%d)", int(s))
}

// Limits are a monitor's alarm and warning thresholds in the monitor's unit
// (°C, V, mA, dBm for optical power, the observable's unit for VDM).
type Limits struct {
	HighAlarm, LowAlarm, HighWarning, LowWarning float64
}

// App is a CMIS application advertisement: SFF-8024 host and media
// interface IDs, lane counts and lane-assignment masks.
type App struct {
	Host, Media           uint8
	HostLanes, MediaLanes int
	HostMask, MediaMask   uint8
}

// Aux monitor roles (CMIS lower bytes 18-23, advertised by 01h:145/159).
const (
	AuxNone             = ""
	AuxLaserTemperature = "laser_temperature"
	AuxTECCurrent       = "tec_current"
	AuxVcc2             = "vcc2"
)

// Aux is one CMIS auxiliary monitor: its role, nominal value and limits
// (°C, % or V).
type Aux struct {
	Role    string
	Nominal float64
	Limits  Limits
}

// VDMObservable is one VDM observable type, reported for every lane of
// every bank, with its thresholds in the observable's unit (crib §5.4).
type VDMObservable struct {
	Type   uint8
	Limits Limits
}

// Profile is a product class: identity, advertisement, nominal values,
// thresholds and the parameters of its dynamics. The built-in profiles are
// listed by Profiles and returned by LookupProfile; a modified copy can be
// emulated with NewModuleFromProfile.
type Profile struct {
	Name        string
	Description string
	Spec        Spec
	// Identifier is the SFF-8024 identifier (byte 0).
	Identifier uint8
	// Revision: CMIS lower byte 1 (0x52 = 5.2); SFF-8636 revision
	// compliance (byte 1); SFF-8472 compliance (A0h byte 94).
	Revision uint8

	Vendor       string
	VendorOUI    [3]byte
	PartNumber   string
	VendorRev    string
	SerialPrefix string
	DateCode     string // YYMMDD
	CLEI         string
	// Firmware and hardware versions (major, minor).
	Firmware, InactiveFirmware, Hardware [2]uint8

	MaxPowerW       float64
	Connector       uint8 // SFF-8024 connector type
	MediaType       uint8 // CMIS lower byte 85
	MediaTech       uint8 // CMIS 00h:212; SFF-8636 00h:147 (device technology)
	WavelengthNM    float64
	WavelengthTolNM float64
	LengthKM        float64 // SMF reach
	Apps            []App
	// FunctionType is CMIS 5.3 lower byte 57 (1: resource module, ELSFP).
	FunctionType uint8
	// VendorBanks is lower byte 70, the bank count FBOSS reads on CPO
	// engines (0: not set).
	VendorBanks uint8
	// FastI2C advertises 1 MHz management (lower byte 2 bits 3-2).
	FastI2C bool

	// Banks (1, 2 or 4) and Lanes with monitors (at most 8 a bank).
	Banks, Lanes int

	TempC, VccV float64
	Temp, Vcc   Limits
	Aux         [3]Aux

	TxPowerDBm, RxPowerDBm, BiasMA float64
	TxPower, RxPower, Bias         Limits
	// BiasMultiplier is the CMIS Tx-bias multiplier (1, 2, 4).
	BiasMultiplier int
	// NoBias: no Tx bias monitor (an optical engine fed by external lasers).
	NoBias bool
	// RxLOSDBm: Rx LOS is flagged below this power.
	RxLOSDBm float64

	// Link model: BER is the pre-FEC BER at RxPowerDBm, rising BERSlope
	// decades per dB of Rx power lost; ESNRDB and LTPDB are the eSNR and
	// PAM4 level-transition parameter at that BER.
	BER, BERSlope float64
	ESNRDB, LTPDB float64

	// VDM groups (each at most 64 instances a bank).
	VDM [][]VDMObservable

	// Optical engine fed by an external laser source: ELS input power per
	// lane, and the loss from it to the lane's Tx power.
	ELSInputDBm, ModulatorLossDB float64

	// External laser source (ELSFP): lasers and their nominal values.
	Lasers                                    int
	LaserPowerDBm, LaserBiasMA, LaserVoltageV float64
	LaserPower, LaserBias                     Limits

	// SFF-8636 / SFF-8472 compliance: codes (8636 131-138, 8472 3-10),
	// extended compliance (8636 192, 8472 36), encoding, nominal rate.
	Compliance    [8]byte
	ExtCompliance byte
	Encoding      byte
	BitRateMbps   float64
	// ExternalCal: SFF-8472 externally calibrated (A0h 92 b4).
	ExternalCal bool
}

// lanesPerBank is the number of lanes in each bank's page 11h.
func (p *Profile) lanesPerBank() int {
	if p.Banks > 1 {
		return 8
	}
	return min(max(p.Lanes, 1), 8)
}

// validate checks what the encoders rely on.
func (p *Profile) validate() error {
	switch {
	case p.Spec < SpecCMIS || p.Spec > SpecSFF8472:
		return fmt.Errorf("profile %s: unknown spec", p.Name)
	case p.Banks != 1 && p.Banks != 2 && p.Banks != 4:
		return fmt.Errorf("profile %s: %d banks (want 1, 2 or 4)", p.Name, p.Banks)
	case p.Lanes < 0 || p.Lanes > 8*p.Banks:
		return fmt.Errorf("profile %s: %d lanes for %d banks", p.Name, p.Lanes, p.Banks)
	case p.Lasers < 0 || p.Lasers > 8:
		return fmt.Errorf("profile %s: %d lasers (at most 8)", p.Name, p.Lasers)
	case len(p.VDM) > 4:
		return fmt.Errorf("profile %s: %d VDM groups (at most 4)", p.Name, len(p.VDM))
	case len(p.Apps) > 8:
		return fmt.Errorf("profile %s: %d applications (at most 8)", p.Name, len(p.Apps))
	}
	for g, obs := range p.VDM {
		if n := len(obs) * p.lanesPerBank(); n > 64 || len(obs) == 0 {
			return fmt.Errorf("profile %s: VDM group %d has %d instances (1 to 64)", p.Name, g+1, n)
		}
	}
	return nil
}

// Profiles lists the built-in profile names, sorted. NewModule also takes
// "file:PATH", which serves a saved dump.
func Profiles() []string {
	var names []string
	for _, p := range builtinProfiles() {
		names = append(names, p.Name)
	}
	sort.Strings(names)
	return names
}

// LookupProfile returns a copy of a built-in profile.
func LookupProfile(name string) (Profile, bool) {
	for _, p := range builtinProfiles() {
		if p.Name == name {
			return p, true
		}
	}
	return Profile{}, false
}

// FilePrefix starts a profile name that serves a dump file.
const FilePrefix = "file:"

// NewModule returns an emulated module of a built-in profile, or of the dump
// in PATH for "file:PATH" (any format cmis/dumpfile reads; its first
// snapshot is served, statically).
func NewModule(profile string, opts ...Option) (*Module, error) {
	if path, ok := strings.CutPrefix(profile, FilePrefix); ok {
		return newFileModule(path, newConfig(opts))
	}
	p, ok := LookupProfile(profile)
	if !ok {
		return nil, fmt.Errorf("emulator: unknown profile %q (have %s, or file:PATH)", profile, strings.Join(Profiles(), ", "))
	}
	return NewModuleFromProfile(p, opts...)
}

// NewModuleFromProfile returns an emulated module of p.
func NewModuleFromProfile(p Profile, opts ...Option) (*Module, error) {
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("emulator: %w", err)
	}
	c := newConfig(opts)
	for _, f := range c.faults {
		if err := f.Validate(); err != nil {
			return nil, fmt.Errorf("emulator: %s: %w", p.Name, err)
		}
	}
	for _, d := range c.degradations {
		if err := d.Validate(); err != nil {
			return nil, fmt.Errorf("emulator: %s: %w", p.Name, err)
		}
	}
	var pers personality
	switch p.Spec {
	case SpecCMIS:
		pers = newCMIS(&p, c.timings)
	case SpecSFF8636:
		pers = newSFF8636(&p)
	case SpecSFF8472:
		pers = newSFF8472(&p)
	}
	return newModule(p.Name, pers, newModel(&p, c), c), nil
}
