package cmis

import (
	"fmt"
	"math/bits"
)

// CMIS byte offsets (OIF-CMIS 5.3; see docs/DECODING.md for sources).
const (
	cmisRevision     = 1
	cmisMgmtChar     = 2  // b7 flat memory
	cmisGlobalStatus = 3  // b3-1 module state, b0 IntL deasserted
	cmisBankSummary  = 4  // bytes 4-7, one per bank
	cmisModuleFlags  = 8  // 8-11 latched module flags
	cmisTemp         = 14 // S16 1/256 °C
	cmisVcc          = 16 // U16 100 µV
	cmisAux1         = 18
	cmisAux2         = 20
	cmisAux3         = 22
	cmisActiveFW     = 39
	cmisFaultCause   = 41
	cmisFunctionType = 57 // CMIS 5.3: 0 transmission, 1 resource (ELSFP)
	cmisVendorBanks  = 70 // FBOSS convention for CPO (ID 80h): number of banks
	cmisMediaType    = 85
	cmisAppDesc      = 86 // 8 descriptors of 4 bytes

	p00Vendor    = 129
	p00OUI       = 145
	p00PN        = 148
	p00Rev       = 164
	p00SN        = 166
	p00Date      = 182
	p00CLEI      = 190
	p00PowerCl   = 200
	p00MaxPower  = 201
	p00CableLen  = 202
	p00Connector = 203
	p00MediaTech = 212
	p00Checksum  = 222

	p01InactiveFW = 128
	p01HWRev      = 130
	p01Lengths    = 132 // SMF (b7-6 0.1/1/10 km, b5-0 base), OM5, OM4, OM3 (2 m), OM2 (1 m)
	p01Wavelength = 138
	p01Pages      = 142
	p01AuxSelect  = 145
	p01RxPwrType  = 151
	p01TxFlags    = 157
	p01RxFlags    = 158
	p01ModMon     = 159
	p01LaneMon    = 160
	p01MediaLanes = 176 // media lane assignment for AppSel 1-15
	p01AppDesc    = 223 // descriptors 9-15
	p01Checksum   = 255

	p02Checksum = 255

	p11DPState  = 128
	p11Flags    = 134 // 134-153
	p11TxPower  = 154
	p11TxBias   = 170
	p11RxPower  = 186
	p11LastByte = 201
	// p11ActiveSet is the Active Control Set's DPConfigLane bytes, one a
	// lane of the bank: bits 7-4 AppSel, 3-1 DataPathID, 0 explicit control.
	p11ActiveSet = 206
)

var moduleStateNames = [8]string{
	0: "Reserved(0)", 1: "ModuleLowPwr", 2: "ModulePwrUp", 3: "ModuleReady",
	4: "ModulePwrDn", 5: "ModuleFault", 6: "Reserved(6)", 7: "Reserved(7)",
}

// ModuleStateReady is the CMIS ModuleReady state code.
const ModuleStateReady = 3

// dataPathStateName names a data-path state code (page 11h, a nibble a
// lane); reserved codes are named with their number.
var dataPathStateName = [16]string{
	"Reserved(0)", "DPDeactivated", "DPInit", "DPDeinit", "DPActivated", "DPTxTurnOn", "DPTxTurnOff", "DPInitialized",
	"Reserved(8)", "Reserved(9)", "Reserved(10)", "Reserved(11)", "Reserved(12)", "Reserved(13)", "Reserved(14)", "Reserved(15)",
}

// cmisLayout is what the static pages of a CMIS module tell the per-read
// decode.
type cmisLayout struct {
	adv  *Advertisement
	p01  bool  // page 01h read and trusted
	flat bool  // lower byte 2 b7: only lower memory and page 00h exist
	rev  uint8 // lower byte 1: CMIS revision, major in the high nibble
	// perBank is the number of lanes of each bank's page 11h decoded.
	perBank int
	// fw is the active firmware version as the static read found it
	// (lower 39-40), so a read that finds the same bytes needs no
	// formatting.
	fw       [2]byte
	fwName   string
	vdm      []vdmGroup
	vdmCount int // entries over every group
	noDesc   []noDescGroup
	// elsfp: an external laser source, whose lasers are decoded.
	elsfp bool
}

// staticCMIS decodes the static pages of a CMIS module into l.base.
func (l *Layout) staticCMIS() {
	s, m, c := l.src, &l.base, &l.cmis
	m.Spec = "CMIS"
	if b, ok := s.byteAt(Lower, cmisRevision); ok {
		c.rev = b
		m.SpecRevision = fmt.Sprintf("%d.%d", b>>4, b&0x0f)
	}
	if b, ok := s.byteAt(Lower, cmisMgmtChar); ok {
		c.flat = b&0x80 != 0
		m.FlatMemory = c.flat
	}
	l.view, l.hidden, l.p00 = hideCopies(s, m)
	v := l.view
	c.adv, c.p01 = cmisAdvertisement(v, m, c.flat)
	c.staticLower(v, m)
	c.identity(v, m)
	c.thresholds(v, m)
	c.perBank = 8
	if c.adv.Banks == 1 {
		c.perBank = laneCount(m.Applications)
	}
	l.staticVDM()
	if !c.flat {
		m.ActiveAppSel = activeAppSel(v, c.adv.Banks)
	}
	c.elsfp = m.IdentifierCode == IDELSFP || m.FunctionType == "laser source"
	if b := v.Bytes(Lower, cmisActiveFW, 2); b != nil {
		c.fw, c.fwName = [2]byte{b[0], b[1]}, fmt.Sprintf("%d.%d", b[0], b[1])
	}
}

// dynamicCMIS decodes what changes from read to read: module state,
// flags and monitors, lanes, VDM samples, coherent PM, lasers.
func (l *Layout) dynamicCMIS(m *Module, mem *layered, st *storage) {
	c := &l.cmis
	adv := c.adv
	lower := mem.page(Lower) // every field below is in lower memory
	if b := lower.bytes(cmisGlobalStatus, 1); b != nil {
		m.ModuleStateCode = (b[0] >> 1) & 0x07
		m.Interrupt = b[0]&0x01 == 0
		if c.flat {
			// Flat-memory modules have no state machine and always read ready.
			m.ModuleStateCode = ModuleStateReady
		}
		m.ModuleState = moduleStateNames[m.ModuleStateCode]
	}
	if b := lower.bytes(cmisModuleFlags, 4); b != nil {
		m.Flags = decodeCMISModuleFlags(b)
	}
	if b := lower.bytes(cmisTemp, 4); b != nil {
		if adv.TempMonitor {
			m.TemperatureC = put(st.temp, Temperature(s16(b[0:2])))
		}
		if adv.VccMonitor {
			m.VccV = put(st.vcc, Voltage(u16(b[2:4])))
		}
	}
	if b := lower.bytes(cmisAux1, 6); b != nil {
		for i, role := range [3]string{adv.Aux1, adv.Aux2, adv.Aux3} {
			raw := b[2*i : 2*i+2]
			switch role {
			case QLaserTemperature:
				m.LaserTemperatureC = put(st.laserTemp, Temperature(s16(raw)))
			case QTECCurrent:
				m.TECCurrentPct = put(st.tec, float64(s16(raw))*100/32767)
			case QVcc2:
				m.Vcc2V = put(st.vcc2, Voltage(u16(raw)))
			}
		}
	}
	if b := lower.bytes(cmisActiveFW, 2); b != nil {
		if c.fwName != "" && b[0] == c.fw[0] && b[1] == c.fw[1] {
			m.FirmwareVer = c.fwName
		} else {
			m.FirmwareVer = fmt.Sprintf("%d.%d", b[0], b[1])
		}
	}
	if m.ModuleStateCode == 5 {
		if b := lower.bytes(cmisFaultCause, 1); b != nil {
			m.ModuleFaultCause = faultCauseName[b[0]]
		}
	}
	if !c.flat {
		m.Lanes = l.cmisLanes(mem, st.lanes)
	}
	m.VDM = l.vdmSamples(m, mem, st.vdm)
	m.PM = coherentPM(mem, st.pm)
	if c.elsfp {
		m.LaserSource = l.elsfpLasers(mem, st.lasers)
		if b := mem.bytes(Upper(0, pageELSFPMon), elsfpICC, 2); b != nil {
			m.SupplyCurrentMA = put(st.icc, float64(u16(b))*0.2)
		}
	}
}

// hideCopies returns s without the upper pages that read back identical to
// page 00h, warning for each, the pages it hid, and page 00h when it
// looked for copies at all. A module (or a capture tool) that does not act
// on a page select returns page 00h again; such a page must never be
// decoded as what it claims to be. One real dump (the Acacia ZR+) shows it
// for VDM pages 22h, 23h, 2Ah and 2Bh.
func hideCopies(s *Snapshot, m *Module) (view *Snapshot, hidden []PageID, p00 *window) {
	if b, full := s.Page(Upper(0, 0)); !full || allSame(b) {
		return s, nil, nil
	}
	p00 = s.window(Upper(0, 0))
	for _, id := range s.Pages() {
		if mayBeCopy(id) && sameAsPage00(s.pages[id.norm()], p00.data[:]) {
			hidden = append(hidden, id)
		}
	}
	if len(hidden) == 0 {
		return s, nil, p00
	}
	view = &Snapshot{Time: s.Time, pages: make(map[PageID]*window, len(s.pages))}
	for id, w := range s.pages {
		view.pages[id] = w
	}
	for _, id := range hidden {
		delete(view.pages, id.norm())
		m.warnf("%s reads back identical to page 00h: the page select did not take effect; page not decoded", id)
	}
	return view, hidden, p00
}

// sameAsPage00 reports whether every byte read of window w equals page
// 00h's byte at the same offset, with at least 16 bytes read: a fast read
// of page 11h covers bytes 128-201 only, and a module that ignored the
// select returns page 00h there too.
func sameAsPage00(w *window, p00 []byte) bool {
	n := 0
	for j := 0; j < PageSize; j++ {
		if w.valid[j/64]&(1<<(j%64)) == 0 {
			continue
		}
		if w.data[j] != p00[j] {
			return false
		}
		n++
	}
	return n >= 16
}

func allSame(b []byte) bool {
	for _, c := range b {
		if c != b[0] {
			return false
		}
	}
	return true
}

// cmisAdvertisement reads page 01h. Without it (flat memory, not read, or
// a bad checksum) the decoder assumes one bank, multiplier 1 and every
// monitor present, which is what a flat-memory module implies. p01 reports
// whether page 01h was read and trusted; then m.Advertisement is set, with
// the inactive firmware and hardware versions.
func cmisAdvertisement(s *Snapshot, m *Module, flat bool) (a *Advertisement, p01 bool) {
	a = &Advertisement{Banks: 1, TxBiasMultiplier: 1, TempMonitor: true, VccMonitor: true,
		TxBiasMonitor: true, TxPowerMonitor: true, RxPowerMonitor: true}
	id := Upper(0, 1)
	if flat || !s.Has(id, 128, PageSize) {
		return a, false
	}
	if ok, _ := m.verifyChecksum(s, id, 130, p01Checksum); !ok {
		m.warnf("page 01h fails its checksum: advertisement not trusted; assuming 1 bank, bias multiplier 1")
		return a, false
	}
	p := s.Bytes(id, 128, PageSize)
	at := func(off int) byte { return p[off-128] }
	a.Page03 = at(p01Pages)&0x04 != 0
	a.DiagPages = at(p01Pages)&0x20 != 0
	a.VDM = at(p01Pages)&0x40 != 0
	a.NetworkPathPages = at(p01Pages)&0x80 != 0
	switch at(p01Pages) & 0x03 {
	case 0:
		a.Banks = 1
	case 1:
		a.Banks = 2
	case 2:
		a.Banks = 4
	default:
		m.warnf("page 01h byte 142: BanksSupported 11b is reserved; reading bank 0 only")
	}
	if m.IdentifierCode == IDCPO && a.Banks == 1 {
		// FBOSS reads the bank count of a CPO engine (ID 80h) from vendor
		// byte 70 of lower memory; accept it only when it is a valid count.
		if b, ok := s.byteAt(Lower, cmisVendorBanks); ok && (b == 2 || b == 4) {
			a.Banks = int(b)
			m.warnf("bank count %d taken from vendor byte 70 (CPO engine with page 01h byte 142 = 0)", b)
		}
	}
	switch (at(p01LaneMon) >> 3) & 0x03 {
	case 0:
		a.TxBiasMultiplier = 1
	case 1:
		a.TxBiasMultiplier = 2
	case 2:
		a.TxBiasMultiplier = 4
	default:
		a.TxBiasMultiplier = 1
		m.warnf("page 01h byte 160: Tx bias multiplier 11b is reserved; using 1")
	}
	a.RxPowerIsOMA = at(p01RxPwrType)&0x10 == 0
	mm := at(p01ModMon)
	a.TempMonitor, a.VccMonitor = mm&0x01 != 0, mm&0x02 != 0
	lm := at(p01LaneMon)
	a.TxBiasMonitor, a.TxPowerMonitor, a.RxPowerMonitor = lm&0x01 != 0, lm&0x02 != 0, lm&0x04 != 0
	aux := at(p01AuxSelect)
	if mm&0x04 != 0 {
		a.Aux1 = pick(aux&0x01 != 0, QTECCurrent, "custom")
	}
	if mm&0x08 != 0 {
		a.Aux2 = pick(aux&0x02 != 0, QTECCurrent, QLaserTemperature)
	}
	if mm&0x10 != 0 {
		a.Aux3 = pick(aux&0x04 != 0, QVcc2, QLaserTemperature)
	}
	a.TxFlags, a.RxFlags = at(p01TxFlags), at(p01RxFlags)
	m.Advertisement = a
	m.FirmwareInact = fmt.Sprintf("%d.%d", at(p01InactiveFW), at(p01InactiveFW+1))
	m.HardwareVer = fmt.Sprintf("%d.%d", at(p01HWRev), at(p01HWRev+1))
	return a, true
}

func pick(c bool, a, b string) string {
	if c {
		return a
	}
	return b
}

// staticLower decodes the static part of lower memory: function type and
// applications.
func (c *cmisLayout) staticLower(s *Snapshot, m *Module) {
	if b, ok := s.byteAt(Lower, cmisFunctionType); ok && (m.IdentifierCode == IDELSFP || c.rev >= 0x53) {
		switch b {
		case 0:
			m.FunctionType = "transmission"
		case 1:
			m.FunctionType = "laser source"
		}
	}
	c.applications(s, m)
}

// decodeCMISModuleFlags maps lower bytes 8-11. Byte 8: b0 ModuleStateChanged, b1
// module firmware error, b2 data path firmware error. Bytes 9-11: nibbles
// of (HA, LA, HW, LW) from bit 0 up, for temperature, Vcc, Aux1, Aux2, Aux3,
// custom monitor.
func decodeCMISModuleFlags(b []byte) ModuleFlags {
	var f ModuleFlags
	if b[0]&0x01 != 0 {
		f |= ModuleStateChanged
	}
	if b[0]&0x02 != 0 {
		f |= ModuleFirmwareError
	}
	if b[0]&0x04 != 0 {
		f |= DataPathFirmwareError
	}
	// Temperature, Vcc, Aux1, Aux2, Aux3 nibbles map onto consecutive
	// ModuleFlags groups of four starting at TempHighAlarm.
	nibbles := [5]uint8{b[1] & 0x0f, b[1] >> 4, b[2] & 0x0f, b[2] >> 4, b[3] & 0x0f}
	for i, n := range nibbles {
		f |= ModuleFlags(n) << (4 * i)
	}
	f |= ModuleFlags(b[3]>>4) * CustomMonHighAlarm
	return f
}

// faultCauseName names lower byte 41, the cause of ModuleFault.
var faultCauseName = func() (t [256]string) {
	for b := range t {
		switch {
		case b < 4:
			t[b] = [4]string{"none", "TEC runaway", "data memory corrupted", "program memory corrupted"}[b]
		case b >= 32 && b <= 63:
			t[b] = fmt.Sprintf("custom (%d)", b)
		default:
			t[b] = fmt.Sprintf("reserved (%d)", b)
		}
	}
	return t
}()

func (c *cmisLayout) applications(s *Snapshot, m *Module) {
	mt, ok := s.byteAt(Lower, cmisMediaType)
	if !ok {
		return
	}
	m.MediaType = mediaTypeName(mt)
	var descs [][]byte
	if b := s.Bytes(Lower, cmisAppDesc, 32); b != nil {
		for i := 0; i < 8; i++ {
			descs = append(descs, b[4*i:4*i+4])
		}
	}
	if c.p01 && len(descs) == 8 {
		b := s.Bytes(Upper(0, 1), p01AppDesc, 28)
		for i := 0; i < 7; i++ {
			descs = append(descs, b[4*i:4*i+4])
		}
	}
	for i, d := range descs {
		if d[0] == 0xFF || (d[0] == 0 && d[1] == 0) {
			break // end of list
		}
		app := Application{
			AppSel:          i + 1,
			HostInterfaceID: d[0],
			HostInterface:   HostInterfaceName(d[0]),
			MediaID:         d[1],
			MediaInterface:  MediaInterfaceName(mt, d[1]),
			HostLanes:       int(d[2] >> 4),
			MediaLanes:      int(d[2] & 0x0f),
			HostLaneMask:    d[3],
		}
		if c.p01 {
			app.MediaLaneMask = s.Bytes(Upper(0, 1), p01MediaLanes+i, 1)[0]
		}
		m.Applications = append(m.Applications, app)
	}
}

func (c *cmisLayout) identity(s *Snapshot, m *Module) {
	id := Upper(0, 0)
	if !s.Has(id, 128, 95) {
		return
	}
	if ok, read := m.verifyChecksum(s, id, 128, p00Checksum); read && !ok {
		m.warnf("page 00h fails its checksum: identity not decoded")
		return
	}
	b := func(off, n int) []byte { return s.Bytes(id, off, n) }
	if c := b(128, 1)[0]; c != m.IdentifierCode {
		m.warnf("page 00h byte 128 identifier %02Xh differs from lower byte 0 (%02Xh)", c, m.IdentifierCode)
	}
	m.Vendor = text(b(p00Vendor, 16))
	m.VendorOUI = oui(b(p00OUI, 3))
	m.PartNumber = text(b(p00PN, 16))
	m.Revision = text(b(p00Rev, 2))
	m.SerialNumber = text(b(p00SN, 16))
	m.DateCode = text(b(p00Date, 8))
	m.CLEI = text(b(p00CLEI, 10))
	m.PowerClass = int(b(p00PowerCl, 1)[0]>>5) + 1
	m.MaxPowerW = ptr(float64(b(p00MaxPower, 1)[0]) * 0.25)
	if l := b(p00CableLen, 1)[0]; l&0x3f != 0 {
		mult := [4]float64{0.1, 1, 10, 100}[l>>6]
		m.CableLengthM = ptr(float64(l&0x3f) * mult)
	}
	m.Connector = connectorName(b(p00Connector, 1)[0])
	m.MediaTech = mediaTechName(b(p00MediaTech, 1)[0])
	if l := s.Bytes(Upper(0, 1), p01Lengths, 5); c.p01 && l != nil {
		m.cmisLinkLengths(l)
	}
	// Optical technologies carry a nominal wavelength in 01h:138; copper
	// codes (0Ah-0Fh, 12h-14h) carry attenuation instead.
	if tech := b(p00MediaTech, 1)[0]; c.p01 && (tech < 0x0A || tech == 0x10 || tech == 0x11) {
		if w := u16(s.Bytes(Upper(0, 1), p01Wavelength, 2)); w != 0 {
			m.WavelengthNM = ptr(float64(w) * 0.05)
			m.WavelengthTolNM = ptr(float64(u16(s.Bytes(Upper(0, 1), p01Wavelength+2, 2))) * 0.005)
		}
	} else if tech >= 0x0A {
		a := b(204, 4)
		m.CableAttenuationDB = map[string]float64{"5GHz": float64(a[0]), "7GHz": float64(a[1]), "12.9GHz": float64(a[2]), "25.8GHz": float64(a[3])}
	}
}

// thresholds reads page 02h. Lane thresholds are shared by every lane of
// every bank (page 02h is not banked); the bias thresholds carry the same
// multiplier as the bias monitor.
func (c *cmisLayout) thresholds(s *Snapshot, m *Module) {
	id := Upper(0, 2)
	if c.flat || !s.Has(id, 128, PageSize) {
		return
	}
	ok, _ := m.verifyChecksum(s, id, 128, p02Checksum)
	if !ok {
		if p, _ := s.Page(id); allSame(p) {
			m.warnf("page 02h fails its checksum and holds %02Xh throughout: no thresholds", p[0])
			return
		}
		// Many modules never set this checksum: decode the limits and
		// mark them, rather than lose them.
		m.warnf("page 02h fails its checksum: thresholds decoded anyway and marked checksum_failed")
		defer m.markThresholdsChecksumFailed()
	}
	b := func(off int) []byte { return s.Bytes(id, off, 8) }
	temp := func(r []byte) float64 { return Temperature(s16(r)) }
	volt := func(r []byte) float64 { return Voltage(u16(r)) }
	pow := func(r []byte) float64 { return PowerMW(u16(r)) }
	mult := c.adv.TxBiasMultiplier
	bias := func(r []byte) float64 { return BiasMA(u16(r), mult) }
	a := c.adv
	if a.TempMonitor {
		m.setThreshold(QTemperature, thresholdSet(b(128), temp))
	}
	if a.VccMonitor {
		m.setThreshold(QVcc, thresholdSet(b(136), volt))
	}
	for i, role := range []string{a.Aux1, a.Aux2, a.Aux3} {
		raw := b(144 + 8*i)
		switch role {
		case QLaserTemperature:
			m.setThreshold(QLaserTemperature, thresholdSet(raw, temp))
		case QTECCurrent:
			m.setThreshold(QTECCurrent, thresholdSet(raw, func(r []byte) float64 { return float64(s16(r)) * 100 / 32767 }))
		case QVcc2:
			m.setThreshold(QVcc2, thresholdSet(raw, volt))
		}
	}
	if a.TxPowerMonitor {
		m.setThreshold(QTxPower, thresholdSet(b(176), pow))
	}
	if a.TxBiasMonitor {
		m.setThreshold(QTxBias, thresholdSet(b(184), bias))
	}
	if a.RxPowerMonitor {
		m.setThreshold(QRxPower, thresholdSet(b(192), pow))
	}
}

// laneCount is the number of lanes of bank 0 that carry traffic: the widest
// reach of any advertised application (first lane it may start on plus its
// lane count), at most 8. Without applications every lane counts.
func laneCount(apps []Application) int {
	n := 0
	for _, a := range apps {
		lanes, mask := a.HostLanes, a.HostLaneMask
		if a.MediaLaneMask != 0 && a.MediaLanes > 0 {
			lanes, mask = a.MediaLanes, a.MediaLaneMask
		}
		for i := 7; i >= 0; i-- {
			if mask&(1<<i) != 0 {
				n = max(n, i+lanes)
				break
			}
		}
	}
	if n == 0 || n > 8 {
		return 8
	}
	return n
}

// cmisLanes decodes page 11h of every advertised bank, appending to lanes.
func (l *Layout) cmisLanes(mem *layered, lanes []Lane) []Lane {
	c := &l.cmis
	a := c.adv
	for bank := 0; bank < a.Banks; bank++ {
		p := mem.page(Upper(uint8(bank), 0x11))
		if !p.present() {
			continue
		}
		dp := p.bytes(p11DPState-PageSize, 4)
		var flags [8]LaneFlags
		if b := p.bytes(p11Flags-PageSize, 20); b != nil {
			flags = cmisLaneFlags(b)
		}
		mon := p.bytes(p11TxPower-PageSize, p11LastByte-p11TxPower+1)
		for i := 0; i < c.perBank; i++ {
			var ln *Lane
			var old Lane
			lanes, ln, old = grow(lanes)
			ln.Lane = 8*bank + i + 1
			if dp != nil {
				ln.DataPathState = dataPathStateName[(dp[i/2]>>(4*(i%2)))&0x0f]
			}
			ln.Flags = flags[i]
			if mon == nil {
				continue
			}
			if a.TxPowerMonitor {
				mw := PowerMW(u16(mon[2*i:]))
				ln.TxPowerMW, ln.TxPowerDBM = put(old.TxPowerMW, mw), putDBm(old.TxPowerDBM, mw)
			}
			if a.TxBiasMonitor {
				ln.TxBiasMA = put(old.TxBiasMA, BiasMA(u16(mon[p11TxBias-p11TxPower+2*i:]), a.TxBiasMultiplier))
			}
			if a.RxPowerMonitor {
				mw := PowerMW(u16(mon[p11RxPower-p11TxPower+2*i:]))
				ln.RxPowerMW, ln.RxPowerDBM = put(old.RxPowerMW, mw), putDBm(old.RxPowerDBM, mw)
			}
		}
	}
	return lanes
}

// cmisLaneFlagBytes lists, for page 11h bytes 134-153 in order, the lane
// flag each byte carries; bit i of every byte is lane i+1 of the bank.
var cmisLaneFlagBytes = [20]LaneFlags{
	DataPathStateChanged, TxFault, TxLOS, TxCDRLOL, TxAdaptiveEQFail,
	TxPowerHighAlarm, TxPowerLowAlarm, TxPowerHighWarning, TxPowerLowWarning,
	TxBiasHighAlarm, TxBiasLowAlarm, TxBiasHighWarning, TxBiasLowWarning,
	RxLOS, RxCDRLOL,
	RxPowerHighAlarm, RxPowerLowAlarm, RxPowerHighWarning, RxPowerLowWarning,
	RxOutputStatusChanged,
}

// cmisLaneFlags collects the flags of a bank's lanes (f[i] is lane i+1 of
// the bank) from page 11h bytes 134-153. Bit i is lane i+1: ethtool 7.0
// uses i itself as the mask, a known bug (lane 1 never shows a flag).
func cmisLaneFlags(b []byte) (f [8]LaneFlags) {
	for j, flag := range cmisLaneFlagBytes {
		for v := b[j]; v != 0; v &= v - 1 {
			f[bits.TrailingZeros8(v)] |= flag
		}
	}
	return f
}

// cmisLinkLengths decodes page 01h bytes 132-136: the SMF length is a
// 6-bit base times 100 m, 1 km or 10 km (multiplier 11b is reserved), the
// OM5, OM4 and OM3 lengths are in 2 m units, OM2 in 1 m.
func (m *Module) cmisLinkLengths(l []byte) {
	if mult := l[0] >> 6; mult < 3 {
		m.setLinkLength("smf", float64(l[0]&0x3f)*[3]float64{100, 1000, 10000}[mult])
	}
	m.setLinkLength("om5", 2*float64(l[1]))
	m.setLinkLength("om4", 2*float64(l[2]))
	m.setLinkLength("om3", 2*float64(l[3]))
	m.setLinkLength("om2", float64(l[4]))
}

// activeAppSel returns the AppSel each host lane's active data path runs
// (page 11h 206-213 of each bank, lane 8·bank+i+1), or nil when bank 0's
// bytes were not read. A missing later bank ends the list.
func activeAppSel(s *Snapshot, banks int) []uint8 {
	var out []uint8
	for bank := 0; bank < banks; bank++ {
		b := s.Bytes(Upper(uint8(bank), 0x11), p11ActiveSet, 8)
		if b == nil {
			break
		}
		for _, c := range b {
			out = append(out, c>>4)
		}
	}
	return out
}
