package forecast

import "fmt"

// Cause is a likely cause of a link alarm.
type Cause string

// The causes Classify names.
const (
	CauseLaserAgeing Cause = "laser_ageing"
	CauseDirtyFibre  Cause = "dirty_or_damaged_fibre"
	CauseFarEndOrCut Cause = "far_end_or_fibre_cut"
	CauseHostSide    Cause = "host_side"
	CauseModuleFault Cause = "module_fault"
	CauseThermal     Cause = "thermal"
	CauseUnknown     Cause = "unknown"
)

// Evidence is what ddm knows about one module when an alarm fires on it
// (Lane: the alarm's lane, 0 for a module-level alarm). Trends are
// Trend.UnitPerDay values of the module's histories, 0 when unknown or not
// significant; the caller fills what it has and leaves the rest zero.
type Evidence struct {
	Lane  int `json:"lane,omitempty"`
	Lanes int `json:"lanes"`

	// Module: state ModuleFault, or a fault flag (module or data path
	// firmware error, a lane's tx_fault).
	ModuleFault bool `json:"module_fault,omitempty"`
	// Media side, per lane counts.
	RxLOSLanes   int  `json:"rx_los_lanes,omitempty"`      // lanes with rx_los or rx_cdr_lol
	RxLowLanes   int  `json:"rx_low_lanes,omitempty"`      // lanes with Rx power below its low warning (LOS included)
	TxLowLanes   int  `json:"tx_low_lanes,omitempty"`      // lanes with Tx power below its low warning, or tx_los
	AlarmLaneRx  bool `json:"alarm_lane_rx_low,omitempty"` // the alarm's lane has Rx low or LOS
	MediaBERHigh bool `json:"media_ber_high,omitempty"`    // media-side pre-FEC BER above its warning
	// Host side: tx_los/tx_cdr_lol on the host lanes, or host-side VDM
	// errors (pre-FEC BER, SNR) past their warning.
	HostLOL       bool `json:"host_lol,omitempty"`
	HostVDMErrors bool `json:"host_vdm_errors,omitempty"`
	// Trends of the alarm's lane (model scale per day) and whether they
	// are significant.
	BiasPerDay    float64 `json:"tx_bias_ma_per_day,omitempty"`
	TxPowerPerDay float64 `json:"tx_power_mw_per_day,omitempty"`
	TempPerDay    float64 `json:"temperature_c_per_day,omitempty"`
	// BiasHigh: bias above its high warning; TempHigh: module or laser
	// temperature above its high warning.
	BiasHigh bool `json:"bias_high,omitempty"`
	TempHigh bool `json:"temp_high,omitempty"`
}

// Diagnosis is Classify's verdict with what it rests on.
type Diagnosis struct {
	Cause    Cause    `json:"cause"`
	Reasons  []string `json:"reasons"`
	Evidence Evidence `json:"evidence"`
}

// Trend sizes below which Classify calls a trend flat: a bias rise of
// 0.05 mA/day is 1.5 mA a month, a temperature rise of 0.1 °C/day 3 °C.
const (
	biasRiseMin = 0.05
	tempRiseMin = 0.1
)

// Classify names the likely cause from the evidence, the first rule that
// holds in this order (the most specific evidence first):
//
//  1. module fault: the module says so (state or fault flags);
//  2. far end or fibre cut: LOS on every lane while Tx is healthy;
//  3. host side: host-side LOL or VDM errors with the media side clean;
//  4. thermal: temperature above its warning, or rising;
//  5. laser ageing: bias high or rising while Tx power holds or falls;
//  6. dirty or damaged fibre: Rx low on some lanes, not all, Tx healthy;
//  7. unknown: rather than a guess.
func Classify(ev Evidence) Diagnosis {
	d := Diagnosis{Cause: CauseUnknown, Evidence: ev}
	txHealthy := ev.TxLowLanes == 0 && !ev.ModuleFault
	mediaClean := ev.RxLOSLanes == 0 && ev.RxLowLanes == 0 && !ev.MediaBERHigh
	biasRising := ev.BiasPerDay >= biasRiseMin
	switch {
	case ev.ModuleFault:
		d.Cause = CauseModuleFault
		d.Reasons = []string{"module reports a fault (state or fault flags)"}
	case ev.Lanes > 0 && ev.RxLOSLanes == ev.Lanes && txHealthy:
		d.Cause = CauseFarEndOrCut
		d.Reasons = []string{fmt.Sprintf("LOS on all %d lanes", ev.Lanes), "Tx healthy on every lane"}
	case (ev.HostLOL || ev.HostVDMErrors) && mediaClean:
		d.Cause = CauseHostSide
		if ev.HostLOL {
			d.Reasons = append(d.Reasons, "host-side loss of lock")
		}
		if ev.HostVDMErrors {
			d.Reasons = append(d.Reasons, "host-side VDM errors past their warning")
		}
		d.Reasons = append(d.Reasons, "media side clean")
	case ev.TempHigh || ev.TempPerDay >= tempRiseMin:
		d.Cause = CauseThermal
		if ev.TempHigh {
			d.Reasons = append(d.Reasons, "temperature above its high warning")
		}
		if ev.TempPerDay >= tempRiseMin {
			d.Reasons = append(d.Reasons, fmt.Sprintf("temperature rising %.2f °C/day", ev.TempPerDay))
		}
	case (ev.BiasHigh || biasRising) && ev.TxPowerPerDay <= 0:
		d.Cause = CauseLaserAgeing
		if biasRising {
			d.Reasons = append(d.Reasons, fmt.Sprintf("bias rising %.3f mA/day", ev.BiasPerDay))
		}
		if ev.BiasHigh {
			d.Reasons = append(d.Reasons, "bias above its high warning")
		}
		d.Reasons = append(d.Reasons, "Tx power holding or falling")
	case ev.RxLowLanes > 0 && (ev.Lanes == 0 || ev.RxLowLanes < ev.Lanes) && txHealthy && (ev.Lane == 0 || ev.AlarmLaneRx):
		d.Cause = CauseDirtyFibre
		d.Reasons = []string{fmt.Sprintf("Rx low on %d of %d lanes", ev.RxLowLanes, ev.Lanes), "Tx healthy, module healthy"}
	default:
		d.Reasons = []string{"no rule matched the evidence"}
	}
	return d
}
