package cmis

// CMIS read plans. Static pages are read whole (one 128-byte transaction
// each) because they are read once per insertion; the fast and VDM plans
// read only the byte ranges that hold values.

func wholePage(id PageID) Range { return Range{Page: id, Offset: id.Base(), Length: PageSize} }

func planCMIS(s *Snapshot, c Cadence) []Range {
	switch c {
	case Static:
		return missing(s, cmisStaticRanges(s))
	case Fast:
		return cmisFastRanges(s)
	case VDM:
		return cmisVDMRanges(s)
	}
	return nil
}

// cmisAdvert decodes just enough of a snapshot to plan reads.
func cmisAdvert(s *Snapshot) (adv *Advertisement, flat, p01 bool) {
	m := &Module{}
	if id, ok := s.byteAt(Lower, 0); ok {
		m.IdentifierCode = id
	}
	if b, ok := s.byteAt(Lower, cmisMgmtChar); ok {
		flat = b&0x80 != 0
	}
	adv, p01 = cmisAdvertisement(s, m, flat)
	return adv, flat, p01
}

func cmisStaticRanges(s *Snapshot) []Range {
	rs := []Range{wholePage(Lower), wholePage(Upper(0, 0))}
	if !s.Has(Lower, 0, PageSize) {
		return rs[:1]
	}
	adv, flat, p01 := cmisAdvert(s)
	if flat {
		return rs
	}
	rs = append(rs, wholePage(Upper(0, 1)), wholePage(Upper(0, 2)))
	if !p01 {
		return rs // the rest depends on the advertisement
	}
	id, _ := s.byteAt(Lower, 0)
	if adv.VDM {
		rs = append(rs, Range{Page: Upper(0, pageVDMCtrl), Offset: 128, Length: 1})
		if !s.Has(Upper(0, pageVDMCtrl), 128, 1) {
			return rs
		}
		groups := vdmGroups(s)
		for bank := 0; bank < adv.Banks; bank++ {
			for g := 0; g < groups; g++ {
				rs = append(rs, wholePage(Upper(uint8(bank), pageVDMDesc+uint8(g))))
			}
		}
		// Threshold sets: only as many as the descriptors name.
		for bank := 0; bank < adv.Banks; bank++ {
			for g := 0; g < groups; g++ {
				if !s.HasPage(Upper(uint8(bank), pageVDMDesc+uint8(g))) {
					continue
				}
				maxSet := -1
				for _, d := range vdmDescriptors(s, bank, g) {
					maxSet = max(maxSet, d.threshSet)
				}
				if maxSet >= 0 {
					rs = append(rs, Range{Page: Upper(uint8(bank), pageVDMThresh+uint8(g)), Offset: 128, Length: 8 * (maxSet + 1)})
				}
			}
		}
	}
	if id == IDELSFP {
		for bank := 0; bank < adv.Banks; bank++ {
			rs = append(rs, wholePage(Upper(uint8(bank), pageELSFPCtrl)))
		}
	} else {
		// The active control set: which application each host lane runs
		// (the data rate of the energy view).
		for bank := 0; bank < adv.Banks; bank++ {
			rs = append(rs, Range{Page: Upper(uint8(bank), 0x11), Offset: p11ActiveSet, Length: 8})
		}
	}
	return rs
}

// cmisFastRanges: module state, flags and monitors from lower memory, and
// page 11h (data-path state, lane flags, lane monitors) of every bank. A
// module that is not ModuleReady gets lower memory only: CMIS says its
// upper pages may be unreliable, and reading them slows its power-up.
func cmisFastRanges(s *Snapshot) []Range {
	rs := []Range{
		{Page: Lower, Offset: cmisGlobalStatus, Length: cmisAux3 + 2 - cmisGlobalStatus}, // 3-23: state, bank summaries, flags, monitors
		{Page: Lower, Offset: cmisActiveFW, Length: 3},                                   // 39-41: firmware, fault cause
	}
	adv, flat, _ := cmisAdvert(s)
	if flat {
		return rs
	}
	if st, ok := s.byteAt(Lower, cmisGlobalStatus); ok && (st>>1)&0x07 != ModuleStateReady {
		return rs
	}
	id, _ := s.byteAt(Lower, 0)
	for bank := 0; bank < adv.Banks; bank++ {
		if id == IDELSFP {
			rs = append(rs,
				Range{Page: Upper(uint8(bank), pageELSFPCtrl), Offset: 165, Length: 222 - 165 + 1},
				Range{Page: Upper(uint8(bank), pageELSFPMon), Offset: 184, Length: elsfpICC + 2 - 184})
			continue
		}
		rs = append(rs, Range{Page: Upper(uint8(bank), 0x11), Offset: p11DPState, Length: p11LastByte - p11DPState + 1})
	}
	return rs
}

// cmisVDMRanges: the sample words the descriptors name (per bank and
// group, from the first to the last used slot), the VDM flag bytes, and for
// coherent modules the C-CMIS PM pages. All are read inside one freeze.
func cmisVDMRanges(s *Snapshot) []Range {
	adv, flat, p01 := cmisAdvert(s)
	if flat || !p01 {
		return nil
	}
	var rs []Range
	if adv.VDM {
		groups := vdmGroups(s)
		for bank := 0; bank < adv.Banks; bank++ {
			lastFlagByte := -1
			for g := 0; g < groups; g++ {
				descs := vdmDescriptors(s, bank, g)
				if len(descs) == 0 {
					continue
				}
				first, last := descs[0].slot, descs[len(descs)-1].slot
				rs = append(rs, Range{Page: Upper(uint8(bank), pageVDMSample+uint8(g)), Offset: 128 + 2*first, Length: 2 * (last - first + 1)})
				lastFlagByte = 32*g + last/2
			}
			if lastFlagByte >= 0 {
				rs = append(rs, Range{Page: Upper(uint8(bank), pageVDMFlags), Offset: 128, Length: lastFlagByte + 1})
			}
		}
	}
	if isCoherent(s) {
		rs = append(rs, Range{Page: Upper(0, 0x34), Offset: 128, Length: 60}, Range{Page: Upper(0, 0x35), Offset: 128, Length: 72})
	}
	return rs
}

func isCoherent(s *Snapshot) bool {
	mt, ok := s.byteAt(Lower, cmisMediaType)
	if !ok || mt != mediaSMF {
		return false
	}
	b := s.Bytes(Lower, cmisAppDesc, 32)
	for i := 0; b != nil && i < 8; i++ {
		if b[4*i] == 0xFF {
			break
		}
		if isCoherentMedia(b[4*i+1]) {
			return true
		}
	}
	return false
}
