package cmis

import "fmt"

// SFF-8024 Rev 4.13 interface IDs used in CMIS application advertisements.
// Ethernet (100G to 1.6T), InfiniBand and the coherent codes a fabric meets;
// an unlisted code is shown by number, never blanked.

// hostInterfaces is SFF-8024 Table 4-5 (host electrical interface IDs).
var hostInterfaces = map[uint8]string{
	0x01: "1000BASE-CX", 0x02: "XAUI", 0x03: "XFI", 0x04: "SFI", 0x05: "25GAUI C2M",
	0x06: "XLAUI C2M", 0x07: "XLPPI", 0x08: "LAUI-2 C2M", 0x09: "50GAUI-2 C2M", 0x0A: "50GAUI-1 C2M",
	0x0B: "CAUI-4 C2M", 0x0C: "100GAUI-4 C2M", 0x0D: "100GAUI-2 C2M", 0x0E: "200GAUI-8 C2M",
	0x0F: "200GAUI-4 C2M", 0x10: "400GAUI-16 C2M", 0x11: "400GAUI-8 C2M", 0x13: "10GBASE-CX4",
	0x14: "25GBASE-CR CA-L", 0x15: "25GBASE-CR CA-S", 0x16: "25GBASE-CR CA-N", 0x17: "40GBASE-CR4",
	0x18: "50GBASE-CR", 0x19: "100GBASE-CR10", 0x1A: "100GBASE-CR4", 0x1B: "100GBASE-CR2",
	0x1C: "200GBASE-CR4", 0x1D: "400G CR8", 0x1E: "200GBASE-CR1", 0x1F: "400GBASE-CR2",
	0x20: "LEI-100G-PAM4-1", 0x21: "LEI-200G-PAM4-2", 0x22: "LEI-400G-PAM4-4", 0x23: "LEI-800G-PAM4-8",
	0x25: "8GFC", 0x26: "10GFC", 0x27: "16GFC", 0x28: "32GFC", 0x29: "64GFC", 0x2A: "128GFC", 0x2B: "256GFC",
	0x2C: "IB SDR", 0x2D: "IB DDR", 0x2E: "IB QDR", 0x2F: "IB FDR", 0x30: "IB EDR", 0x31: "IB HDR", 0x32: "IB NDR",
	0x37: "OTL3.4", 0x38: "OTL4.10", 0x39: "OTL4.4", 0x3A: "OTLC.4",
	0x41: "CAUI-4 C2M without FEC", 0x42: "CAUI-4 C2M with RS FEC",
	0x46: "100GBASE-CR1", 0x47: "200GBASE-CR2", 0x48: "400GBASE-CR4", 0x49: "800G-ETC-CR8",
	0x4B: "100GAUI-1-S C2M", 0x4C: "100GAUI-1-L C2M", 0x4D: "200GAUI-2-S C2M", 0x4E: "200GAUI-2-L C2M",
	0x4F: "400GAUI-4-S C2M", 0x50: "400GAUI-4-L C2M", 0x51: "800GAUI-8 S C2M", 0x52: "800GAUI-8 L C2M",
	0x53: "OTL4.2", 0x55: "1.6TAUI-16-S C2M", 0x56: "1.6TAUI-16-L C2M", 0x57: "800GBASE-CR4", 0x58: "1.6TBASE-CR8",
	0x70: "PCIe 4.0", 0x71: "PCIe 5.0", 0x72: "PCIe 6.0", 0x73: "PCIe 7.0", 0x74: "CEI-112G-LINEAR-PAM4",
	0x80: "200GAUI-1 C2M", 0x81: "400GAUI-2 C2M", 0x82: "800GAUI-4 C2M", 0x83: "1.6TAUI-8 C2M",
	0x90: "EEI-100G-RTLR-1-S", 0x91: "EEI-100G-RTLR-1-L", 0x92: "EEI-200G-RTLR-2-S", 0x93: "EEI-200G-RTLR-2-L",
	0x94: "EEI-400G-RTLR-4-S", 0x95: "EEI-400G-RTLR-4-L", 0x96: "EEI-800G-RTLR-8-S", 0x97: "EEI-800G-RTLR-8-L",
	0xA0: "IB XDR",
}

// mmfMedia is SFF-8024 Table 4-6 (multimode fibre media interface IDs).
var mmfMedia = map[uint8]string{
	0x01: "10GBASE-SW", 0x02: "10GBASE-SR", 0x03: "25GBASE-SR", 0x04: "40GBASE-SR4", 0x05: "40GE SWDM4",
	0x06: "40GE BiDi", 0x07: "50GBASE-SR", 0x08: "100GBASE-SR10", 0x09: "100GBASE-SR4", 0x0A: "100GE SWDM4",
	0x0B: "100GE BiDi", 0x0C: "100GBASE-SR2", 0x0D: "100GBASE-SR1", 0x0E: "200GBASE-SR4", 0x0F: "400GBASE-SR16",
	0x10: "400GBASE-SR8", 0x11: "400GBASE-SR4", 0x12: "800GBASE-SR8", 0x1A: "400GBASE-SR4.2",
	0x1B: "200GBASE-SR2", 0x1D: "100GBASE-VR1", 0x1E: "200GBASE-VR2", 0x1F: "400GBASE-VR4",
	0x20: "800GBASE-VR8", 0x21: "800G-VR4.2", 0x22: "800G-SR4.2", 0x23: "1.6T-VR8.2", 0x24: "1.6T-SR8.2",
}

// smfMedia is SFF-8024 Table 4-7 (single-mode fibre media interface IDs).
var smfMedia = map[uint8]string{
	0x01: "10GBASE-LW", 0x02: "10GBASE-EW", 0x03: "10G-ZW", 0x04: "10GBASE-LR", 0x05: "10GBASE-ER",
	0x06: "10G-ZR", 0x07: "25GBASE-LR", 0x08: "25GBASE-ER", 0x09: "40GBASE-LR4", 0x0A: "40GBASE-FR",
	0x0B: "50GBASE-FR", 0x0C: "50GBASE-LR", 0x0D: "100GBASE-LR4", 0x0E: "100GBASE-ER4", 0x0F: "100G PSM4",
	0x10: "100G CWDM4", 0x11: "100G 4WDM-10", 0x12: "100G 4WDM-20", 0x13: "100G 4WDM-40", 0x14: "100GBASE-DR",
	0x15: "100G-FR/100GBASE-FR1", 0x16: "100G-LR/100GBASE-LR1", 0x17: "200GBASE-DR4", 0x18: "200GBASE-FR4",
	0x19: "200GBASE-LR4", 0x1A: "400GBASE-FR8", 0x1B: "400GBASE-LR8", 0x1C: "400GBASE-DR4",
	0x1D: "400G-FR4/400GBASE-FR4", 0x1E: "400G-LR4-10",
	0x3E: "400ZR DWDM amplified", 0x3F: "400ZR single wavelength unamplified", 0x40: "50GBASE-ER",
	0x41: "200GBASE-ER4", 0x42: "400GBASE-ER8", 0x43: "400GBASE-LR4-6", 0x44: "100GBASE-ZR",
	0x46: "ZR400-OFEC-16QAM", 0x47: "ZR300-OFEC-8QAM", 0x48: "ZR200-OFEC-QPSK", 0x49: "ZR100-OFEC-QPSK",
	0x4A: "100G-LR1-20", 0x4B: "100G-ER1-30", 0x4C: "100G-ER1-40", 0x4D: "400GBASE-ZR",
	0x55: "400GBASE-DR4-2", 0x56: "800GBASE-DR8", 0x57: "800GBASE-DR8-2",
	0x6C: "800ZR-A DWDM", 0x6D: "800ZR-B DWDM", 0x6E: "800ZR-C DWDM", 0x6F: "400G-ER4-30",
	0x73: "200GBASE-DR1", 0x74: "200GBASE-DR1-2", 0x75: "400GBASE-DR2", 0x76: "400GBASE-DR2-2",
	0x77: "800GBASE-DR4", 0x78: "800GBASE-DR4-2", 0x79: "800GBASE-FR4-500", 0x7A: "800GBASE-FR4",
	0x7B: "800GBASE-LR4", 0x7C: "800GBASE-LR1", 0x7D: "800GBASE-ER1-20", 0x7E: "800GBASE-ER1",
	0x7F: "1.6TBASE-DR8", 0x80: "1.6TBASE-DR8-2",
	0x8F: "100G-DR1-LPO", 0x90: "200G-DR2-LPO", 0x91: "400G-DR4-LPO", 0x92: "800G-DR8-LPO",
}

// copperMedia, activeCableMedia and baseTMedia are SFF-8024 Tables 4-8 to 4-10.
var (
	copperMedia      = map[uint8]string{0x01: "Copper cable", 0xBF: "Passive loopback module"}
	activeCableMedia = map[uint8]string{
		0x01: "Active cable assembly, BER < 1e-12", 0x02: "Active cable assembly, BER < 5e-5",
		0x03: "Active cable assembly, BER < 2.6e-4", 0x04: "Active cable assembly, BER < 1e-6",
		0xBF: "Active loopback module",
	}
	baseTMedia = map[uint8]string{0x01: "1000BASE-T", 0x02: "2.5GBASE-T", 0x03: "5GBASE-T", 0x04: "10GBASE-T",
		0x05: "25GBASE-T", 0x06: "40GBASE-T", 0x07: "50GBASE-T"}
)

// Media types (lower byte 85), selecting the media interface table.
const (
	mediaMMF         = 0x01
	mediaSMF         = 0x02
	mediaCopper      = 0x03
	mediaActiveCable = 0x04
	mediaBaseT       = 0x05
)

// HostInterfaceName returns the SFF-8024 name of a host electrical interface ID.
func HostInterfaceName(id uint8) string { return codeName(hostInterfaces, id) }

// MediaInterfaceName returns the SFF-8024 name of a media interface ID,
// which depends on the module's media type (lower byte 85).
func MediaInterfaceName(mediaType, id uint8) string {
	switch mediaType {
	case mediaMMF:
		return codeName(mmfMedia, id)
	case mediaSMF:
		return codeName(smfMedia, id)
	case mediaCopper:
		return codeName(copperMedia, id)
	case mediaActiveCable:
		return codeName(activeCableMedia, id)
	case mediaBaseT:
		return codeName(baseTMedia, id)
	}
	return fmt.Sprintf("media %02Xh (media type %02Xh)", id, mediaType)
}

func codeName(table map[uint8]string, id uint8) string {
	if id == 0 {
		return "Undefined"
	}
	if id >= 0xC0 && id != 0xFF {
		return fmt.Sprintf("Custom (%02Xh)", id)
	}
	if n, ok := table[id]; ok {
		return n
	}
	if id == 0xFF {
		return "Vendor specific/custom"
	}
	return fmt.Sprintf("Unknown (%02Xh)", id)
}

func mediaTypeName(t uint8) string {
	switch t {
	case 0:
		return "Undefined"
	case mediaMMF:
		return "Multimode fibre (MMF)"
	case mediaSMF:
		return "Single-mode fibre (SMF)"
	case mediaCopper:
		return "Passive copper cable"
	case mediaActiveCable:
		return "Active cable assembly"
	case mediaBaseT:
		return "BASE-T"
	}
	if t >= 0x40 && t <= 0x8F {
		return fmt.Sprintf("Custom (%02Xh)", t)
	}
	return fmt.Sprintf("Reserved (%02Xh)", t)
}

// mediaTechName is CMIS page 00h byte 212, media interface technology.
func mediaTechName(t uint8) string {
	names := [...]string{
		"850 nm VCSEL", "1310 nm VCSEL", "1550 nm VCSEL", "1310 nm FP", "1310 nm DFB", "1550 nm DFB",
		"1310 nm EML", "1550 nm EML", "Other", "1490 nm DFB",
		"Copper cable, unequalized", "Copper cable, passive equalized",
		"Copper cable, near and far end limiting active equalizers",
		"Copper cable, far end limiting active equalizers",
		"Copper cable, near end limiting active equalizers", "Copper cable, linear active equalizers",
		"C-band tunable laser", "L-band tunable laser",
		"Copper cable, near and far end linear active equalizers",
		"Copper cable, far end linear active equalizers", "Copper cable, near end linear active equalizers",
	}
	if int(t) < len(names) {
		return names[t]
	}
	return fmt.Sprintf("Reserved (%02Xh)", t)
}
