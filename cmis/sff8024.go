package cmis

import "fmt"

// Family is the management-interface family a module identifier selects.
type Family int

// Families.
const (
	FamilyUnknown Family = iota
	FamilyCMIS
	FamilySFF8636 // also SFF-8436 (QSFP+) and QSFP
	FamilySFF8472 // SFP/SFP+/SFP28 (SFF-8472 diagnostics over SFF-8079/8419 ID)
)

// SFF-8024 identifier codes (byte 0) that ddm decodes.
const (
	IDGBIC      = 0x01
	IDSoldered  = 0x02
	IDSFP       = 0x03
	IDDWDMSFP   = 0x0B
	IDQSFP      = 0x0C
	IDQSFPPlus  = 0x0D
	IDQSFP28    = 0x11
	IDQSFPDD    = 0x18
	IDOSFP      = 0x19
	IDSFPDD     = 0x1A
	IDDSFP      = 0x1B
	IDQSFPCMIS  = 0x1E // QSFP+ or later with CMIS: QSFP112, QSFP56
	IDSFPDDCMIS = 0x1F
	IDSFPCMIS   = 0x20
	IDOSFPXD    = 0x21
	IDELSFP     = 0x22
	IDCDFPx4    = 0x23
	IDCDFPx8    = 0x24
	IDCDFPx16   = 0x25
	// IDCPO is vendor-specific 0x80, used by FBOSS and SONiC for co-packaged
	// and near-packaged optical engines that speak CMIS.
	IDCPO = 0x80
)

// IdentifierName returns the SFF-8024 name of an identifier code.
func IdentifierName(id uint8) string {
	switch id {
	case 0x00:
		return "Unknown or unspecified"
	case IDGBIC:
		return "GBIC"
	case IDSoldered:
		return "Module soldered to motherboard"
	case IDSFP:
		return "SFP/SFP+/SFP28"
	case 0x04:
		return "300 pin XBI"
	case 0x05:
		return "XENPAK"
	case 0x06:
		return "XFP"
	case 0x07:
		return "XFF"
	case 0x08:
		return "XFP-E"
	case 0x09:
		return "XPAK"
	case 0x0A:
		return "X2"
	case IDDWDMSFP:
		return "DWDM-SFP/SFP+"
	case IDQSFP:
		return "QSFP"
	case IDQSFPPlus:
		return "QSFP+"
	case 0x0E:
		return "CXP"
	case 0x0F:
		return "Shielded Mini Multilane HD 4X"
	case 0x10:
		return "Shielded Mini Multilane HD 8X"
	case IDQSFP28:
		return "QSFP28"
	case 0x12:
		return "CXP2"
	case 0x13:
		return "CDFP (Style 1/2)"
	case 0x14:
		return "Shielded Mini Multilane HD 4X Fanout"
	case 0x15:
		return "Shielded Mini Multilane HD 8X Fanout"
	case 0x16:
		return "CDFP (Style 3)"
	case 0x17:
		return "microQSFP"
	case IDQSFPDD:
		return "QSFP-DD"
	case IDOSFP:
		return "OSFP"
	case IDSFPDD:
		return "SFP-DD"
	case IDDSFP:
		return "DSFP"
	case 0x1C:
		return "MiniLink x4"
	case 0x1D:
		return "MiniLink x8"
	case IDQSFPCMIS:
		return "QSFP+ or later with CMIS (QSFP112/QSFP56)"
	case IDSFPDDCMIS:
		return "SFP-DD with CMIS"
	case IDSFPCMIS:
		return "SFP+ with CMIS"
	case IDOSFPXD:
		return "OSFP-XD"
	case IDELSFP:
		return "OIF-ELSFP external laser source"
	case IDCDFPx4:
		return "CDFP x4 PCIe"
	case IDCDFPx8:
		return "CDFP x8 PCIe"
	case IDCDFPx16:
		return "CDFP x16 PCIe"
	case IDCPO:
		return "Co-packaged/near-packaged optical engine (vendor 80h)"
	}
	if id >= 0x80 {
		return fmt.Sprintf("Vendor specific (%02Xh)", id)
	}
	return fmt.Sprintf("Reserved (%02Xh)", id)
}

// SFF8472Identifiers are the identifier codes of SFF-8472 modules (GBIC,
// soldered, SFP/SFP+/SFP28, DWDM-SFP/SFP+): two devices, A0h and A2h, and
// an A0h whose bytes 128-255 are plain memory with no page select (byte
// 127 is vendor data). The I²C guard is given this list so that it never
// writes a page select there. FamilyOf is the one definition.
func SFF8472Identifiers() []uint8 {
	var ids []uint8
	for id := 0; id <= 0xFF; id++ {
		if FamilyOf(uint8(id)) == FamilySFF8472 {
			ids = append(ids, uint8(id))
		}
	}
	return ids
}

// FamilyOf returns the management family of an identifier code.
func FamilyOf(id uint8) Family {
	switch id {
	case IDGBIC, IDSoldered, IDSFP, IDDWDMSFP:
		return FamilySFF8472
	case IDQSFP, IDQSFPPlus, IDQSFP28:
		return FamilySFF8636
	case IDQSFPDD, IDOSFP, IDSFPDD, IDDSFP, IDQSFPCMIS, IDSFPDDCMIS, IDSFPCMIS, IDOSFPXD, IDELSFP,
		IDCDFPx4, IDCDFPx8, IDCDFPx16, IDCPO:
		return FamilyCMIS
	}
	return FamilyUnknown
}

// connectorName returns the SFF-8024 connector type name (Table 4-3).
func connectorName(c uint8) string {
	switch c {
	case 0x00:
		return ""
	case 0x01:
		return "SC"
	case 0x02:
		return "FC Style 1 copper"
	case 0x03:
		return "FC Style 2 copper"
	case 0x04:
		return "BNC/TNC"
	case 0x05:
		return "FC coax"
	case 0x06:
		return "Fiber Jack"
	case 0x07:
		return "LC"
	case 0x08:
		return "MT-RJ"
	case 0x09:
		return "MU"
	case 0x0A:
		return "SG"
	case 0x0B:
		return "Optical pigtail"
	case 0x0C:
		return "MPO 1x12"
	case 0x0D:
		return "MPO 2x16"
	case 0x20:
		return "HSSDC II"
	case 0x21:
		return "Copper pigtail"
	case 0x22:
		return "RJ45"
	case 0x23:
		return "No separable connector"
	case 0x24:
		return "MXC 2x16"
	case 0x25:
		return "CS optical connector"
	case 0x26:
		return "SN optical connector"
	case 0x27:
		return "MPO 2x12"
	case 0x28:
		return "MPO 1x16"
	}
	if c >= 0x80 {
		return fmt.Sprintf("Vendor specific (%02Xh)", c)
	}
	return fmt.Sprintf("Reserved (%02Xh)", c)
}
