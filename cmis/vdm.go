package cmis

import (
	"encoding/binary"
	"fmt"
)

// VDM pages (CMIS 5.3 §8.20; banked, one set per bank of 8 lanes).
const (
	pageVDMDesc   = 0x20           // 20h-23h: descriptors of groups 1-4
	pageVDMSample = 0x24           // 24h-27h: samples
	pageVDMThresh = 0x28           // 28h-2Bh: threshold sets
	pageVDMFlags  = 0x2C           // latched flags, 32 bytes a group
	pageVDMCtrl   = VDMControlPage // 128 b1-0 groups-1; 144 b7 freeze request; 145 b7 freeze done, b6 unfreeze done

	vdmSlots = 64 // descriptors (and samples) per group
)

// The VDM freeze handshake (CMIS 5.3 §8.20.3), defined here once: the
// module reader runs the handshake with these, and the I²C guard admits
// the one write it needs (bit VDMFreezeRequestBit of VDMFreezeRequest on
// VDMControlPage) from them.
const (
	// VDMControlPage is the module-wide VDM control page.
	VDMControlPage = 0x2F
	// VDMFreezeRequest is the offset on page 2Fh of the freeze control
	// byte; bit VDMFreezeRequestBit requests a freeze.
	VDMFreezeRequest    = 144
	VDMFreezeRequestBit = 0x80
	// VDMFreezeStatus is where FreezeDone (VDMFreezeDoneBit) and
	// UnfreezeDone (VDMUnfreezeDoneBit) read back.
	VDMFreezeStatus    = 145
	VDMFreezeDoneBit   = 0x80
	VDMUnfreezeDoneBit = 0x40
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

// Step is the value of one count of a fixed-point observable (U16, S16),
// the precision its samples carry; 0 for the F16 format, whose precision
// is its 11-bit mantissa (4 significant digits) at any magnitude.
func (o Observable) Step() float64 {
	if o.format == fmtF16 {
		return 0
	}
	return o.scale
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

// vdmGroup is one bank's VDM group as its descriptors lay it out.
type vdmGroup struct {
	samples, flags PageID
	// sampleSpan and flagSpan are the bytes of the sample and flag pages
	// (window offsets, from and to) that hold the group's used slots.
	sampleSpan, flagSpan [2]int
	entries              []vdmEntry
}

// vdmEntry is one used descriptor slot, with what its samples need.
type vdmEntry struct {
	// value is the slot's VDMValue less the sample (Raw, Value, Flags).
	value VDMValue
	// conv converts the sample (its format and scale; no names).
	conv      Observable
	flagByte  uint8
	flagShift uint8
}

// staticVDM decodes the VDM descriptors and threshold sets of every bank
// and group.
func (l *Layout) staticVDM() {
	c, s := &l.cmis, l.view
	if c.p01 && !c.adv.VDM {
		return
	}
	groups := vdmGroups(s)
	if c.p01 {
		c.adv.VDMGroups = groups
	}
	for bank := 0; bank < c.adv.Banks; bank++ {
		for g := 0; g < 4; g++ {
			sampleID := Upper(uint8(bank), pageVDMSample+uint8(g))
			descs := vdmDescriptors(s, bank, g)
			if descs == nil {
				// Samples without descriptors cannot be decoded; whether
				// there are any depends on the read (the VDM plan may ask
				// for them when the descriptor page read back as a copy of
				// page 00h), so the warning is the per-read decode's.
				c.noDesc = append(c.noDesc, noDescGroup{samples: sampleID, warning: fmt.Sprintf(
					"%s holds VDM samples but descriptor page %s was not read (or was not trusted); samples not decoded",
					sampleID, Upper(uint8(bank), pageVDMDesc+uint8(g)))})
				continue
			}
			if g >= groups {
				continue
			}
			grp := vdmGroup{samples: sampleID, flags: Upper(uint8(bank), pageVDMFlags)}
			if n := len(descs); n > 0 {
				first, last := descs[0].slot, descs[n-1].slot
				grp.sampleSpan = [2]int{2 * first, 2*last + 2}
				grp.flagSpan = [2]int{32*g + first/2, 32*g + last/2 + 1}
			}
			thresholds := s.window(Upper(uint8(bank), pageVDMThresh+uint8(g)))
			grp.entries = make([]vdmEntry, 0, len(descs))
			for _, d := range descs {
				obs, _ := LookupObservable(d.typeID)
				e := vdmEntry{conv: Observable{format: obs.format, scale: obs.scale},
					flagByte: uint8(32*g + d.slot/2), flagShift: uint8(4 * (d.slot % 2)), value: VDMValue{
						TypeID: d.typeID, Observable: obs.Name, Unit: obs.Unit, Lane: 8*bank + d.lane + 1,
						Group: g + 1, Slot: d.slot, Bank: bank,
					}}
				if t := 8 * d.threshSet; thresholds != nil && thresholds.has(t, 8) {
					th := thresholdSet(thresholds.data[t:t+8], func(r []byte) float64 { return obs.Value(u16(r)) })
					e.value.Thresholds = &th
				}
				grp.entries = append(grp.entries, e)
			}
			c.vdm = append(c.vdm, grp)
			c.vdmCount += len(grp.entries)
		}
	}
}

// sameSlot reports whether v holds the fields of the VDM value template t
// that do not depend on the sample.
func sameSlot(v, t *VDMValue) bool {
	return v.Slot == t.Slot && v.Bank == t.Bank && v.Group == t.Group && v.Lane == t.Lane && v.TypeID == t.TypeID &&
		v.Thresholds == t.Thresholds && v.Observable == t.Observable && v.Unit == t.Unit
}

// noDescGroup is a VDM group whose descriptors were not read or not
// trusted, with the warning a read of its samples draws.
type noDescGroup struct {
	samples PageID
	warning string
}

// vdmSamples decodes the VDM samples present in mem, with their thresholds
// and flags, for every bank and group, appending to out. Samples of a
// group without descriptors draw a warning.
func (l *Layout) vdmSamples(m *Module, mem *layered, out []VDMValue) []VDMValue {
	for _, g := range l.cmis.noDesc {
		if mem.hasPage(g.samples) {
			m.Warnings = append(m.Warnings, g.warning)
		}
	}
	for gi := range l.cmis.vdm {
		g := &l.cmis.vdm[gi]
		samples := mem.page(g.samples)
		if !samples.present() {
			continue
		}
		flags := mem.page(g.flags)
		// A VDM read reads each group's slots in one range: when one layer
		// holds all of them, the slots need no check of their own.
		sw, fw := samples.all(g.sampleSpan), flags.all(g.flagSpan)
		for ei := range g.entries {
			e := &g.entries[ei]
			j := 2 * e.value.Slot
			var w []byte
			if sw != nil {
				w = sw.data[j : j+2]
			} else if w = samples.bytes(j, 2); w == nil {
				continue
			}
			raw := u16(w)
			var v *VDMValue
			if n := len(out); n < cap(out) && sameSlot(&out[:n+1][n], &e.value) {
				// A refilled Module holds this slot's value from the last
				// read: only the sample changes (copying the whole value,
				// strings and pointer included, costs more than checking).
				out = out[:n+1]
				v = &out[n]
				v.Flags = 0
			} else {
				out = append(out, e.value)
				v = &out[n]
			}
			v.Raw, v.Value = raw, e.conv.Value(raw)
			var f []byte
			if fw != nil {
				f = fw.data[e.flagByte : e.flagByte+1]
			} else {
				f = flags.bytes(int(e.flagByte), 1)
			}
			if f != nil {
				v.Flags = LimitFlags((f[0] >> e.flagShift) & 0x0f)
			}
		}
	}
	return out
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

// coherentPM decodes C-CMIS pages 34h (FEC PM) and 35h (link PM) of
// media lane 1, in brief: the averages an operator graphs. It reuses pm's
// storage when pm is not nil.
func coherentPM(mem *layered, pm *CoherentPM) *CoherentPM {
	p34 := mem.bytes(Upper(0, 0x34), 128, 60)
	p35 := mem.bytes(Upper(0, 0x35), 128, 72)
	if p34 == nil && p35 == nil {
		return nil
	}
	if pm == nil {
		pm = &CoherentPM{}
	}
	old := *pm
	*pm = CoherentPM{}
	if p34 != nil {
		u64 := func(off int) uint64 { return binary.BigEndian.Uint64(p34[off-128:]) }
		u32 := func(off int) uint32 { return binary.BigEndian.Uint32(p34[off-128:]) }
		if bitsPM := u64(128); bitsPM != 0 {
			pm.PreFECBERAvg = put(old.PreFECBERAvg, float64(u64(144))/float64(bitsPM))
		}
		if sub := u64(136); sub != 0 {
			pm.PreFECBERMin = put(old.PreFECBERMin, float64(u64(152))/float64(sub))
			pm.PreFECBERMax = put(old.PreFECBERMax, float64(u64(160))/float64(sub))
		}
		pm.Frames = put(old.Frames, u32(168))
		pm.UncorrectedFrames = put(old.UncorrectedFrames, u32(176))
	}
	if p35 != nil {
		at := func(off int) []byte { return p35[off-128 : off-126] }
		pm.CDAvgPsNm = put(old.CDAvgPsNm, float64(int32(binary.BigEndian.Uint32(p35[0:4]))))
		pm.DGDAvgPs = put(old.DGDAvgPs, float64(u16(at(140)))*0.01)
		pm.OSNRAvgDB = put(old.OSNRAvgDB, float64(u16(at(158)))*0.1)
		pm.ESNRAvgDB = put(old.ESNRAvgDB, float64(u16(at(164)))*0.1)
		pm.CFOAvgMHz = put(old.CFOAvgMHz, float64(s16(at(170))))
		pm.TxPowerAvgDBM = put(old.TxPowerAvgDBM, float64(s16(at(182)))*0.01)
		pm.RxTotalPowerDBM = put(old.RxTotalPowerDBM, float64(s16(at(188)))*0.01)
		pm.RxSignalPowerDBM = put(old.RxSignalPowerDBM, float64(s16(at(194)))*0.01)
	}
	return pm
}

// ELSFP pages (OIF-ELSFP-CMIS-01.0), banked, 8 lasers a bank.
const (
	pageELSFPCtrl = 0x1A // 221-222: lane state, 2 bits a laser
	pageELSFPMon  = 0x1B // 184 bias (100 µA), 200 power (10 µW), 232 voltage (15 mV)
	// elsfpFaults is the fault bitmap (166-173) followed by the warning
	// bitmap (174-181) on page 1Ah; a bank's lasers are its bits 0-7.
	elsfpFaults = 166
	// elsfpICC is the module's supply current monitor on page 1Bh (U16,
	// 200 µA).
	elsfpICC = 240
)

var laserStateNames = [4]string{"off", "ramping", "on", "reserved"}

// elsfpLasers decodes the per-laser monitors of an external laser source,
// appending to out.
func (l *Layout) elsfpLasers(mem *layered, out []Laser) []Laser {
	for bank := 0; bank < l.cmis.adv.Banks; bank++ {
		mon := mem.bytes(Upper(uint8(bank), pageELSFPMon), 184, 56)
		state := mem.bytes(Upper(uint8(bank), pageELSFPCtrl), 221, 2)
		flags := mem.bytes(Upper(uint8(bank), pageELSFPCtrl), elsfpFaults, 16)
		if mon == nil && state == nil {
			continue
		}
		for i := 0; i < 8; i++ {
			var ls *Laser
			var old Laser
			out, ls, old = grow(out)
			ls.Lane = 8*bank + i + 1
			if mon != nil {
				ls.BiasMA = put(old.BiasMA, float64(u16(mon[2*i:]))*0.1)
				mw := float64(u16(mon[16+2*i:])) * 0.01
				ls.PowerMW, ls.PowerDBM = put(old.PowerMW, mw), putDBm(old.PowerDBM, mw)
				ls.VoltageV = put(old.VoltageV, float64(mon[48+i])*0.015)
			}
			if state != nil {
				ls.State = laserStateNames[(state[i/4]>>(2*(i%4)))&0x03]
			}
			ls.Fault, ls.Warning = false, false
			if flags != nil {
				ls.Fault, ls.Warning = flags[i/8]&(1<<(i%8)) != 0, flags[8+i/8]&(1<<(i%8)) != 0
			}
		}
	}
	return out
}
