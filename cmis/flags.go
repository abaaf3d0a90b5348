package cmis

import (
	"encoding/json"
	"math/bits"
	"strings"
)

// LaneFlags is the set of latched flags of one lane. The bits are ddm's own,
// the same for CMIS, SFF-8636 and SFF-8472; the decoder maps each spec's
// bytes onto them.
type LaneFlags uint32

// Lane flags.
const (
	TxFault LaneFlags = 1 << iota
	TxLOS
	TxCDRLOL
	TxAdaptiveEQFail
	TxPowerHighAlarm
	TxPowerLowAlarm
	TxPowerHighWarning
	TxPowerLowWarning
	TxBiasHighAlarm
	TxBiasLowAlarm
	TxBiasHighWarning
	TxBiasLowWarning
	RxLOS
	RxCDRLOL
	RxPowerHighAlarm
	RxPowerLowAlarm
	RxPowerHighWarning
	RxPowerLowWarning
	DataPathStateChanged
	RxOutputStatusChanged
)

var laneFlagNames = [...]string{
	"tx_fault", "tx_los", "tx_cdr_lol", "tx_adaptive_eq_fail",
	"tx_power_high_alarm", "tx_power_low_alarm", "tx_power_high_warning", "tx_power_low_warning",
	"tx_bias_high_alarm", "tx_bias_low_alarm", "tx_bias_high_warning", "tx_bias_low_warning",
	"rx_los", "rx_cdr_lol",
	"rx_power_high_alarm", "rx_power_low_alarm", "rx_power_high_warning", "rx_power_low_warning",
	"data_path_state_changed", "rx_output_status_changed",
}

// LaneFlagNames lists every lane flag name in bit order.
func LaneFlagNames() []string { return append([]string(nil), laneFlagNames[:]...) }

// NumLaneFlags is how many lane flags LaneFlagNames lists.
const NumLaneFlags = len(laneFlagNames)

// LaneFlagName is the name of lane flag bit i (0 <= i < NumLaneFlags),
// without the copy LaneFlagNames makes (the exporter names every flag of
// every lane every second).
func LaneFlagName(i int) string { return laneFlagNames[i] }

// Names lists the flags that are set.
func (f LaneFlags) Names() []string { return flagNames(uint32(f), laneFlagNames[:]) }

func (f LaneFlags) String() string { return strings.Join(f.Names(), ",") }

// MarshalJSON writes the set flags as a list of names.
func (f LaneFlags) MarshalJSON() ([]byte, error) { return json.Marshal(f.Names()) }

// UnmarshalJSON reads a list of names.
func (f *LaneFlags) UnmarshalJSON(b []byte) error {
	v, err := unmarshalFlags(b, laneFlagNames[:])
	*f = LaneFlags(v)
	return err
}

// ModuleFlags is the set of module-level latched flags.
type ModuleFlags uint32

// Module flags.
const (
	TempHighAlarm ModuleFlags = 1 << iota
	TempLowAlarm
	TempHighWarning
	TempLowWarning
	VccHighAlarm
	VccLowAlarm
	VccHighWarning
	VccLowWarning
	Aux1HighAlarm
	Aux1LowAlarm
	Aux1HighWarning
	Aux1LowWarning
	Aux2HighAlarm
	Aux2LowAlarm
	Aux2HighWarning
	Aux2LowWarning
	Aux3HighAlarm
	Aux3LowAlarm
	Aux3HighWarning
	Aux3LowWarning
	ModuleStateChanged
	ModuleFirmwareError
	DataPathFirmwareError
	CustomMonHighAlarm
	CustomMonLowAlarm
	CustomMonHighWarning
	CustomMonLowWarning
)

var moduleFlagNames = [...]string{
	"temperature_high_alarm", "temperature_low_alarm", "temperature_high_warning", "temperature_low_warning",
	"vcc_high_alarm", "vcc_low_alarm", "vcc_high_warning", "vcc_low_warning",
	"aux1_high_alarm", "aux1_low_alarm", "aux1_high_warning", "aux1_low_warning",
	"aux2_high_alarm", "aux2_low_alarm", "aux2_high_warning", "aux2_low_warning",
	"aux3_high_alarm", "aux3_low_alarm", "aux3_high_warning", "aux3_low_warning",
	"module_state_changed", "module_firmware_error", "data_path_firmware_error",
	"custom_high_alarm", "custom_low_alarm", "custom_high_warning", "custom_low_warning",
}

// ModuleFlagNames lists every module flag name in bit order.
func ModuleFlagNames() []string { return append([]string(nil), moduleFlagNames[:]...) }

// NumModuleFlags is how many module flags ModuleFlagNames lists.
const NumModuleFlags = len(moduleFlagNames)

// ModuleFlagName is the name of module flag bit i (0 <= i < NumModuleFlags),
// without the copy ModuleFlagNames makes.
func ModuleFlagName(i int) string { return moduleFlagNames[i] }

// Names lists the flags that are set.
func (f ModuleFlags) Names() []string { return flagNames(uint32(f), moduleFlagNames[:]) }

func (f ModuleFlags) String() string { return strings.Join(f.Names(), ",") }

// MarshalJSON writes the set flags as a list of names.
func (f ModuleFlags) MarshalJSON() ([]byte, error) { return json.Marshal(f.Names()) }

// UnmarshalJSON reads a list of names.
func (f *ModuleFlags) UnmarshalJSON(b []byte) error {
	v, err := unmarshalFlags(b, moduleFlagNames[:])
	*f = ModuleFlags(v)
	return err
}

// LimitFlags are the four threshold flags of one monitored value (VDM).
type LimitFlags uint8

// Limit flags, in CMIS nibble order (bit 0 high alarm ... bit 3 low warning).
const (
	HighAlarm LimitFlags = 1 << iota
	LowAlarm
	HighWarning
	LowWarning
)

var limitFlagNames = [...]string{"high_alarm", "low_alarm", "high_warning", "low_warning"}

// Names lists the flags that are set.
func (f LimitFlags) Names() []string { return flagNames(uint32(f), limitFlagNames[:]) }

// MarshalJSON writes the set flags as a list of names.
func (f LimitFlags) MarshalJSON() ([]byte, error) { return json.Marshal(f.Names()) }

// UnmarshalJSON reads a list of names.
func (f *LimitFlags) UnmarshalJSON(b []byte) error {
	v, err := unmarshalFlags(b, limitFlagNames[:])
	*f = LimitFlags(v)
	return err
}

func flagNames(v uint32, names []string) []string {
	if v == 0 {
		return nil
	}
	out := make([]string, 0, bits.OnesCount32(v))
	for i, n := range names {
		if v&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

func unmarshalFlags(b []byte, names []string) (uint32, error) {
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return 0, err
	}
	var v uint32
	for _, s := range list {
		for i, n := range names {
			if n == s {
				v |= 1 << i
			}
		}
	}
	return v, nil
}
