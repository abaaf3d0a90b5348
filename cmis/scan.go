package cmis

// The flag scan: between two fast reads a poller reads only what says
// whether a latched flag is set, and follows up on what it shows.
//
//   - CMIS: lower bytes 3-13 (state and IntL, the per-bank flag summaries
//     4-7, the module flags 8-13); when bank b's summary (byte 4+b bit 0)
//     shows a flag on its page 11h, that bank's lane flags 11h:134-153,
//     and only those banks; on request (a scan driven by IntL), the VDM
//     flags of page 2Ch of the banks whose summary bit 3 is set
//     (ScanFollowUpVDM).
//   - SFF-8636: lower bytes 3-14, every flag there is.
//   - SFF-8472: A2h 110-117 (status, alarm and warning flags).
//
// Reading a latched flag clears it: whatever a scan returns must be
// accounted as the fast read's flags are.

// Summary bytes of a CMIS flag scan.
const (
	cmisScanEnd   = 14 // lower 3-13
	cmisSummary   = 4  // 4-7: bank 0-3 flag summaries
	qsfpScanEnd   = 15 // lower 3-14
	sfpScanStart  = sfpStatus
	summaryBanks  = 4
	summaryPage11 = 0x01
	summaryPage2C = 0x08 // some VDM flag latched on the bank's page 2Ch
)

// ScanPlan returns the ranges of a flag scan's first read: the summaries.
// It is nil for a module with nothing to scan (no diagnostics).
func (l *Layout) ScanPlan() []Range {
	switch l.family {
	case FamilyCMIS:
		return []Range{{Page: Lower, Offset: cmisGlobalStatus, Length: cmisScanEnd - cmisGlobalStatus}}
	case FamilySFF8636:
		return []Range{{Page: Lower, Offset: qsfpLOS, Length: qsfpScanEnd - qsfpLOS}}
	case FamilySFF8472:
		if l.sfpDiag {
			return []Range{{Page: A2Lower, Offset: sfpScanStart, Length: sfpFastEnd - sfpScanStart}}
		}
	}
	return nil
}

// ScanFollowUp appends to dst the lane flag ranges a scan must read at
// once because read (a read of ScanPlan) shows a latched flag there: page
// 11h bytes 134-153 of each CMIS bank whose summary is set, while the
// module is ModuleReady (page 11h is not read otherwise, as in the fast
// plan). Other families' summaries are their flags: nothing to add.
func (l *Layout) ScanFollowUp(read *Snapshot, dst []Range) []Range {
	if l.family != FamilyCMIS || l.cmis.flat || l.cmis.adv == nil || l.isELSFP() {
		return dst
	}
	b := read.Bytes(Lower, cmisGlobalStatus, cmisScanEnd-cmisGlobalStatus)
	if b == nil || (b[0]>>1)&0x07 != ModuleStateReady {
		return dst
	}
	for bank := 0; bank < min(l.cmis.adv.Banks, summaryBanks); bank++ {
		if b[cmisSummary+bank-cmisGlobalStatus]&summaryPage11 != 0 {
			dst = append(dst, Range{Page: Upper(uint8(bank), 0x11), Offset: p11Flags, Length: 20})
		}
	}
	return dst
}

// ScanFollowUpVDM appends to dst the VDM flag ranges (page 2Ch, the bytes
// the VDM plan reads) of each CMIS bank whose summary in read (a read of
// ScanPlan) shows a latched VDM flag, while the module is ModuleReady. A
// host that scans on IntL must read them or the line stays low until the
// VDM cadence does; the caller must then hand what it read to the VDM
// read (they cleared on the module).
func (l *Layout) ScanFollowUpVDM(read *Snapshot, dst []Range) []Range {
	if l.family != FamilyCMIS || l.cmis.flat || l.cmis.adv == nil {
		return dst
	}
	b := read.Bytes(Lower, cmisGlobalStatus, cmisScanEnd-cmisGlobalStatus)
	if b == nil || (b[0]>>1)&0x07 != ModuleStateReady {
		return dst
	}
	for _, rg := range l.vdm {
		if rg.Page.Lower || rg.Page.Page != pageVDMFlags || int(rg.Page.Bank) >= summaryBanks {
			continue
		}
		if b[cmisSummary+int(rg.Page.Bank)-cmisGlobalStatus]&summaryPage2C != 0 {
			dst = append(dst, rg)
		}
	}
	return dst
}

func (l *Layout) isELSFP() bool {
	id, _ := l.src.byteAt(Lower, 0)
	return id == IDELSFP
}

// ScanFlags decodes a flag scan's read (ScanPlan and ScanFollowUp): the
// module flags and, in lanes (grown to Lanes(), index lane-1), each lane's
// flags; a CMIS bank whose flags were not read (its summary clear) has
// none. Like the fast decode, it reads nothing the read does not hold.
func (l *Layout) ScanFlags(read *Snapshot, lanes []LaneFlags) (ModuleFlags, []LaneFlags) {
	n := l.Lanes()
	lanes = append(lanes[:0], make([]LaneFlags, n)...)
	var mf ModuleFlags
	switch l.family {
	case FamilyCMIS:
		if b := read.Bytes(Lower, cmisModuleFlags, 4); b != nil {
			mf = decodeCMISModuleFlags(b)
		}
		if l.cmis.adv == nil {
			break
		}
		for bank := 0; bank < l.cmis.adv.Banks; bank++ {
			b := read.Bytes(Upper(uint8(bank), 0x11), p11Flags, 20)
			if b == nil {
				continue
			}
			f := cmisLaneFlags(b)
			for i := 0; i < l.cmis.perBank && 8*bank+i < n; i++ {
				lanes[8*bank+i] = f[i]
			}
		}
	case FamilySFF8636:
		b := read.Bytes(Lower, qsfpLOS, qsfpScanEnd-qsfpLOS)
		if b == nil {
			break
		}
		t, v := b[qsfpTempFlags-qsfpLOS], b[qsfpVccFlags-qsfpLOS]
		mf |= qsfpNibble(t>>4, TempHighAlarm, TempLowAlarm, TempHighWarning, TempLowWarning)
		mf |= qsfpNibble(v>>4, VccHighAlarm, VccLowAlarm, VccHighWarning, VccLowWarning)
		if t&0x01 != 0 {
			mf |= ModuleStateChanged
		}
		for i := 0; i < min(n, qsfpLanes); i++ {
			lanes[i] = qsfpLaneFlags(b, i)
		}
	case FamilySFF8472:
		b := read.Bytes(A2Lower, sfpScanStart, sfpFastEnd-sfpScanStart)
		if b == nil || n == 0 {
			break
		}
		var m Module
		var ln Lane
		ln.Flags = sfpBits(b[0], [8]LaneFlags{1: RxLOS, 2: TxFault})
		m.setSFPFlags(&ln, b[sfpAlarms-sfpScanStart:])
		mf, lanes[0] = m.Flags, ln.Flags
	}
	return mf, lanes
}
