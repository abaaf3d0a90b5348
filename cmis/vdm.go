package cmis

import "fmt"

// VDM pages (CMIS 5.3 §8.20; banked, one set per bank of 8 lanes).
const (
	pageVDMDesc   = 0x20 // 20h-23h: descriptors of groups 1-4
	pageVDMSample = 0x24 // 24h-27h: samples
	pageVDMThresh = 0x28 // 28h-2Bh: threshold sets
	pageVDMFlags  = 0x2C // latched flags, 32 bytes a group
	pageVDMCtrl   = 0x2F // 128 b1-0 groups-1; 144 b7 freeze request; 145 b7 freeze done, b6 unfreeze done

	vdmSlots = 64 // descriptors (and samples) per group

	// VDMFreezeRequest is the offset on page 2Fh of the freeze control byte;
	// bit 7 requests a freeze. VDMFreezeStatus is where FreezeDone (b7) and
	// UnfreezeDone (b6) read back.
	VDMFreezeRequest = 144
	VDMFreezeStatus  = 145
)

// Sample formats.
type vdmFormat uint8

const (
	fmtU16 vdmFormat = iota
	fmtS16
	fmtF16
)

// Observable describes one VDM observable type.
type Observable struct {
	Name   string
	Unit   string
	format vdmFormat
	scale  float64
}

// observables is CMIS 5.3 Table 8-166 (ids 1-34, 77-84) and C-CMIS 1.3
// Table 8 (ids 128-152), as collected in docs/DECODING.md.
var observables = map[uint8]Observable{
	1:  {"laser_age", "%", fmtU16, 1},
	2:  {"tec_current", "%", fmtS16, 100.0 / 32767},
	3:  {"laser_frequency_error", "MHz", fmtS16, 10},
	4:  {"laser_temperature", "C", fmtS16, 1.0 / 256},
	5:  {"esnr_media", "dB", fmtU16, 1.0 / 256},
	6:  {"esnr_host", "dB", fmtU16, 1.0 / 256},
	7:  {"ltp_media", "dB", fmtU16, 1.0 / 256},
	8:  {"ltp_host", "dB", fmtU16, 1.0 / 256},
	9:  {"pre_fec_ber_min_media", "ratio", fmtF16, 1},
	10: {"pre_fec_ber_min_host", "ratio", fmtF16, 1},
	11: {"pre_fec_ber_max_media", "ratio", fmtF16, 1},
	12: {"pre_fec_ber_max_host", "ratio", fmtF16, 1},
	13: {"pre_fec_ber_avg_media", "ratio", fmtF16, 1},
	14: {"pre_fec_ber_avg_host", "ratio", fmtF16, 1},
	15: {"pre_fec_ber_media", "ratio", fmtF16, 1},
	16: {"pre_fec_ber_host", "ratio", fmtF16, 1},
	17: {"errored_frames_min_media", "ratio", fmtF16, 1},
	18: {"errored_frames_min_host", "ratio", fmtF16, 1},
	19: {"errored_frames_max_media", "ratio", fmtF16, 1},
	20: {"errored_frames_max_host", "ratio", fmtF16, 1},
	21: {"errored_frames_avg_media", "ratio", fmtF16, 1},
	22: {"errored_frames_avg_host", "ratio", fmtF16, 1},
	23: {"errored_frames_media", "ratio", fmtF16, 1},
	24: {"errored_frames_host", "ratio", fmtF16, 1},
	25: {"ferc_total_media", "count", fmtF16, 1},
	26: {"ferc_total_host", "count", fmtF16, 1},
	27: {"sew_max_min_media", "count", fmtU16, 1},
	28: {"sew_max_min_host", "count", fmtU16, 1},
	29: {"sew_max_max_media", "count", fmtU16, 1},
	30: {"sew_max_max_host", "count", fmtU16, 1},
	31: {"sew_max_avg_media", "count", fmtU16, 1},
	32: {"sew_max_avg_host", "count", fmtU16, 1},
	33: {"sew_max_media", "count", fmtU16, 1},
	34: {"sew_max_host", "count", fmtU16, 1},
	77: {"vcc_2v6", "V", fmtU16, 1e-4},
	78: {"vcc_1v8", "V", fmtU16, 1e-4},
	79: {"vcc_1v2", "V", fmtU16, 1e-4},
	80: {"vcc_0v9", "V", fmtU16, 1e-4},
	81: {"vcc_0v7a", "V", fmtU16, 1e-4},
	82: {"vcc_0v7b", "V", fmtU16, 1e-4},
	83: {"vcc_12v", "V", fmtU16, 2.5e-4},
	84: {"els_input_power", "dBm", fmtS16, 0.01},
	// C-CMIS (coherent) observables.
	128: {"modulator_bias_xi", "%", fmtU16, 100.0 / 65535},
	129: {"modulator_bias_xq", "%", fmtU16, 100.0 / 65535},
	130: {"modulator_bias_yi", "%", fmtU16, 100.0 / 65535},
	131: {"modulator_bias_yq", "%", fmtU16, 100.0 / 65535},
	132: {"modulator_bias_x_phase", "%", fmtU16, 100.0 / 65535},
	133: {"modulator_bias_y_phase", "%", fmtU16, 100.0 / 65535},
	134: {"cd_high_granularity", "ps/nm", fmtS16, 1},
	135: {"cd_low_granularity", "ps/nm", fmtS16, 20},
	136: {"dgd", "ps", fmtU16, 0.01},
	137: {"sopmd", "ps^2", fmtU16, 0.01},
	138: {"pdl", "dB", fmtU16, 0.1},
	139: {"osnr", "dB", fmtU16, 0.1},
	140: {"esnr", "dB", fmtU16, 0.1},
	141: {"cfo", "MHz", fmtS16, 1},
	142: {"evm", "%", fmtU16, 100.0 / 65535},
	143: {"tx_power", "dBm", fmtS16, 0.01},
	144: {"rx_total_power", "dBm", fmtS16, 0.01},
	145: {"rx_signal_power", "dBm", fmtS16, 0.01},
	146: {"sop_rate_of_change", "krad/s", fmtU16, 1},
	147: {"mer", "dB", fmtU16, 0.1},
	148: {"clock_recovery_loop", "%", fmtS16, 100.0 / 32767},
	149: {"sopmd_low_granularity", "ps^2", fmtU16, 1},
	150: {"snr_margin", "dB", fmtS16, 0.1},
	151: {"q_factor", "dB", fmtU16, 0.1},
	152: {"q_margin", "dB", fmtS16, 0.1},
}

// LookupObservable returns the description of a VDM type id. Unknown ids
// get a name "vdm_type_N", unit "raw" and a U16 scale of 1, so nothing a
// module reports is dropped.
func LookupObservable(id uint8) (Observable, bool) {
	o, ok := observables[id]
	if !ok {
		return Observable{Name: fmt.Sprintf("vdm_type_%d", id), Unit: "raw", format: fmtU16, scale: 1}, false
	}
	return o, true
}

// Value converts a raw VDM sample or threshold word.
func (o Observable) Value(raw uint16) float64 {
	switch o.format {
	case fmtS16:
		return float64(int16(raw)) * o.scale
	case fmtF16:
		return F16(raw) * o.scale
	}
	return float64(raw) * o.scale
}

// vdmDescriptor is one decoded descriptor slot.
type vdmDescriptor struct {
	slot      int
	typeID    uint8
	lane      int // 0-based within the bank
	threshSet int
}

// vdmGroups returns how many VDM groups the module has: from page 2Fh byte
// 128 when read, else from the descriptor pages present.
func vdmGroups(s *Snapshot) int {
	if b, ok := s.byteAt(Upper(0, pageVDMCtrl), 128); ok {
		return int(b&0x03) + 1
	}
	n := 0
	for g := 0; g < 4 && s.HasPage(Upper(0, pageVDMDesc+uint8(g))); g++ {
		n++
	}
	return n
}

// vdmDescriptors parses the descriptor page of group g (0-based) of bank b.
func vdmDescriptors(s *Snapshot, bank, g int) []vdmDescriptor {
	p := s.Bytes(Upper(uint8(bank), pageVDMDesc+uint8(g)), 128, PageSize)
	if p == nil {
		return nil
	}
	var out []vdmDescriptor
	for i := 0; i < vdmSlots; i++ {
		if p[2*i+1] == 0 {
			continue // unused slot
		}
		out = append(out, vdmDescriptor{slot: i, typeID: p[2*i+1], lane: int(p[2*i] & 0x0f), threshSet: int(p[2*i] >> 4)})
	}
	return out
}

// decodeVDM decodes the VDM samples present in the snapshot, with their
// thresholds and flags, for every bank and group.
func decodeVDM(v *cmisView) {
	s, m := v.s, v.m
	if v.p01 && !v.adv.VDM {
		return
	}
	groups := vdmGroups(s)
	if v.p01 {
		v.adv.VDMGroups = groups
		m.Advertisement.VDMGroups = groups
	}
	for bank := 0; bank < v.adv.Banks; bank++ {
		for g := 0; g < 4; g++ {
			sampleID := Upper(uint8(bank), pageVDMSample+uint8(g))
			descs := vdmDescriptors(s, bank, g)
			if descs == nil {
				if s.HasPage(sampleID) {
					m.warnf("%s holds VDM samples but descriptor page %s was not read (or was not trusted); samples not decoded",
						sampleID, Upper(uint8(bank), pageVDMDesc+uint8(g)))
				}
				continue
			}
			if g >= groups {
				continue
			}
			// One map lookup per page, not per slot: a group holds up to 64.
			samples := s.pages[sampleID]
			thresholds := s.pages[Upper(uint8(bank), pageVDMThresh+uint8(g))]
			flags := s.pages[Upper(uint8(bank), pageVDMFlags)]
			for _, d := range descs {
				if samples == nil || !samples.has(2*d.slot, 2) {
					continue
				}
				raw := u16(samples.data[2*d.slot:])
				obs, _ := LookupObservable(d.typeID)
				val := VDMValue{
					TypeID: d.typeID, Observable: obs.Name, Unit: obs.Unit,
					Lane: 8*bank + d.lane + 1, Raw: raw, Value: obs.Value(raw),
					Group: g + 1, Slot: d.slot, Bank: bank,
				}
				if t := 8 * d.threshSet; thresholds != nil && thresholds.has(t, 8) {
					th := thresholdSet(thresholds.data[t:t+8], func(r []byte) float64 { return obs.Value(u16(r)) })
					val.Thresholds = &th
				}
				if f := 32*g + d.slot/2; flags != nil && flags.has(f, 1) {
					val.Flags = LimitFlags((flags.data[f] >> (4 * (d.slot % 2))) & 0x0f)
				}
				m.VDM = append(m.VDM, val)
			}
		}
	}
}

// coherent media interface IDs (SMF table): 400ZR, OpenZR+, 800ZR and
// friends. Their modules carry C-CMIS PM pages 34h/35h.
func isCoherentMedia(id uint8) bool {
	switch {
	case id == 0x3E, id == 0x3F, id >= 0x46 && id <= 0x49, id == 0x4D,
		id >= 0x58 && id <= 0x5E, id >= 0x6C && id <= 0x6E, id >= 0x81 && id <= 0x8E:
		return true
	}
	return false
}

// decodeCoherentPM decodes C-CMIS pages 34h (FEC PM) and 35h (link PM) of
// media lane 1, in brief: the averages an operator graphs.
func decodeCoherentPM(v *cmisView) {
	s := v.s
	p34 := s.Bytes(Upper(0, 0x34), 128, 60)
	p35 := s.Bytes(Upper(0, 0x35), 128, 72)
	if p34 == nil && p35 == nil {
		return
	}
	pm := &CoherentPM{}
	if p34 != nil {
		u64 := func(off int) uint64 {
			var x uint64
			for _, c := range p34[off-128 : off-120] {
				x = x<<8 | uint64(c)
			}
			return x
		}
		u32 := func(off int) uint32 {
			b := p34[off-128 : off-124]
			return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
		}
		if bitsPM := u64(128); bitsPM != 0 {
			pm.PreFECBERAvg = ptr(float64(u64(144)) / float64(bitsPM))
		}
		if sub := u64(136); sub != 0 {
			pm.PreFECBERMin = ptr(float64(u64(152)) / float64(sub))
			pm.PreFECBERMax = ptr(float64(u64(160)) / float64(sub))
		}
		pm.Frames = ptr(u32(168))
		pm.UncorrectedFrames = ptr(u32(176))
	}
	if p35 != nil {
		at := func(off int) []byte { return p35[off-128 : off-126] }
		cd := p35[0:4]
		pm.CDAvgPsNm = ptr(float64(int32(uint32(cd[0])<<24 | uint32(cd[1])<<16 | uint32(cd[2])<<8 | uint32(cd[3]))))
		pm.DGDAvgPs = ptr(float64(u16(at(140))) * 0.01)
		pm.OSNRAvgDB = ptr(float64(u16(at(158))) * 0.1)
		pm.ESNRAvgDB = ptr(float64(u16(at(164))) * 0.1)
		pm.CFOAvgMHz = ptr(float64(s16(at(170))))
		pm.TxPowerAvgDBM = ptr(float64(s16(at(182))) * 0.01)
		pm.RxTotalPowerDBM = ptr(float64(s16(at(188))) * 0.01)
		pm.RxSignalPowerDBM = ptr(float64(s16(at(194))) * 0.01)
	}
	v.m.PM = pm
}

// ELSFP pages (OIF-ELSFP-CMIS-01.0), banked, 8 lasers a bank.
const (
	pageELSFPCtrl = 0x1A // 221-222: lane state, 2 bits a laser
	pageELSFPMon  = 0x1B // 184 bias (100 µA), 200 power (10 µW), 232 voltage (15 mV)
)

var laserStateNames = [4]string{"off", "ramping", "on", "reserved"}

// decodeELSFP decodes the per-laser monitors of an external laser source.
func decodeELSFP(v *cmisView) {
	s, m := v.s, v.m
	if m.IdentifierCode != IDELSFP && m.FunctionType != "laser source" {
		return
	}
	for bank := 0; bank < v.adv.Banks; bank++ {
		mon := s.Bytes(Upper(uint8(bank), pageELSFPMon), 184, 56)
		state := s.Bytes(Upper(uint8(bank), pageELSFPCtrl), 221, 2)
		if mon == nil && state == nil {
			continue
		}
		for i := 0; i < 8; i++ {
			l := Laser{Lane: 8*bank + i + 1}
			if mon != nil {
				l.BiasMA = ptr(float64(u16(mon[2*i:])) * 0.1)
				l.PowerMW = ptr(float64(u16(mon[16+2*i:])) * 0.01)
				l.PowerDBM = DBm(*l.PowerMW)
				l.VoltageV = ptr(float64(mon[48+i]) * 0.015)
			}
			if state != nil {
				l.State = laserStateNames[(state[i/4]>>(2*(i%4)))&0x03]
			}
			m.LaserSource = append(m.LaserSource, l)
		}
	}
}
