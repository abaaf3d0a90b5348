package emulator

// The built-in profiles: product classes an AI-fabric switch carries, with
// identities, advertisements and thresholds in the ranges real parts of
// the class publish (IEEE 802.3 optical budgets for the warning limits,
// alarms a few dB or degrees beyond). Vendors and part numbers are
// fictitious; the OUI is a locally administered one.

func lim(ha, la, hw, lw float64) Limits {
	return Limits{HighAlarm: ha, LowAlarm: la, HighWarning: hw, LowWarning: lw}
}

func vccLimits() Limits { return lim(3.63, 2.97, 3.465, 3.135) }

// berLimits: pre-FEC BER against the KP4 RS(544,514) correction limit.
func berLimits() Limits { return lim(2.4e-4, 0, 1e-5, 0) }

// emuOUI is a locally administered OUI (bit 1 of the first byte set).
func emuOUI() [3]byte { return [3]byte{0x02, 0xDD, 0x4D} }

func builtinProfiles() []Profile {
	return []Profile{
		qsfpdd400FR4(), osfp800DR8(), osfp1T6DR8(), osfpXD1T6(), npo3T2(), elsfp8(),
		qsfp28LR4(), sfp28SR(), sfp10LRExtCal(),
	}
}

func qsfpdd400FR4() Profile {
	return Profile{
		Name: "qsfpdd-400g-fr4", Description: "QSFP-DD 400GBASE-FR4, CMIS 4.0, 8 host lanes, 4 media lanes, 2 km",
		Spec: SpecCMIS, Identifier: 0x18, Revision: 0x40,
		Vendor: "EMU OPTICS", VendorOUI: emuOUI(), PartNumber: "EMU-QDD400G-FR4", VendorRev: "A1",
		SerialPrefix: "EQF", DateCode: "240611", CLEI: "EMUQDDFR4A",
		Firmware: [2]uint8{3, 12}, InactiveFirmware: [2]uint8{3, 8}, Hardware: [2]uint8{1, 2},
		MaxPowerW: 12, Connector: 0x07, MediaType: 0x02, MediaTech: 0x06,
		WavelengthNM: 1301, WavelengthTolNM: 6.5, LengthKM: 2,
		Apps:  []App{{Host: 0x11, Media: 0x1D, HostLanes: 8, MediaLanes: 4, HostMask: 0x01, MediaMask: 0x01}},
		Banks: 1, Lanes: 4,
		TempC: 42, Temp: lim(75, -5, 70, 0), VccV: 3.3, Vcc: vccLimits(),
		Aux: [3]Aux{
			{Role: AuxTECCurrent, Nominal: 20, Limits: lim(100, -100, 90, -90)},
			{Role: AuxLaserTemperature, Nominal: 50, Limits: lim(65, 35, 60, 40)},
		},
		TxPowerDBm: 2.0, TxPower: lim(5.5, -6.2, 4.5, -3.2),
		RxPowerDBm: 0.5, RxPower: lim(5.5, -10.1, 4.5, -7.1), RxLOSDBm: -12,
		BiasMA: 55, Bias: lim(100, 10, 90, 15), BiasMultiplier: 1,
		BER: 2e-8, BERSlope: 0.8, ESNRDB: 19, LTPDB: 25,
	}
}

// dr8VDM is the VDM of an 800G DR8: laser temperature, eSNR, pre-FEC BER
// current/min/max/avg and errored frames, media side, one group.
func dr8VDM() [][]VDMObservable {
	b := berLimits()
	return [][]VDMObservable{{
		{Type: 4, Limits: lim(90, -5, 85, 0)},
		{Type: 5, Limits: lim(35, 13, 32, 15)},
		{Type: 15, Limits: b}, {Type: 9, Limits: b}, {Type: 11, Limits: b}, {Type: 13, Limits: b},
		{Type: 23, Limits: lim(0.5, 0, 0.1, 0)},
	}}
}

func osfp800DR8() Profile {
	return Profile{
		Name: "osfp-800g-dr8", Description: "OSFP 800GBASE-DR8 (2x400G-DR4, 8x100G-DR), CMIS 5.0, 8 lanes, VDM",
		Spec: SpecCMIS, Identifier: 0x19, Revision: 0x50,
		Vendor: "EMU OPTICS", VendorOUI: emuOUI(), PartNumber: "EMU-OSFP800G-DR8", VendorRev: "B0",
		SerialPrefix: "EOD", DateCode: "250114", CLEI: "EMUOSFPD8B",
		Firmware: [2]uint8{2, 41}, InactiveFirmware: [2]uint8{2, 37}, Hardware: [2]uint8{2, 0},
		MaxPowerW: 16, Connector: 0x28, MediaType: 0x02, MediaTech: 0x06,
		WavelengthNM: 1311, WavelengthTolNM: 6.5, LengthKM: 0.5, FastI2C: true,
		Apps: []App{
			{Host: 0x51, Media: 0x56, HostLanes: 8, MediaLanes: 8, HostMask: 0x01, MediaMask: 0x01},
			{Host: 0x4F, Media: 0x1C, HostLanes: 4, MediaLanes: 4, HostMask: 0x11, MediaMask: 0x11},
			{Host: 0x4B, Media: 0x14, HostLanes: 1, MediaLanes: 1, HostMask: 0xFF, MediaMask: 0xFF},
		},
		Banks: 1, Lanes: 8,
		TempC: 48, Temp: lim(80, -5, 75, 0), VccV: 3.3, Vcc: vccLimits(),
		Aux:        [3]Aux{{}, {Role: AuxLaserTemperature, Nominal: 52, Limits: lim(90, -5, 85, 0)}},
		TxPowerDBm: 1.5, TxPower: lim(6.0, -6.0, 4.0, -2.9),
		RxPowerDBm: 0.0, RxPower: lim(6.0, -8.9, 4.0, -5.9), RxLOSDBm: -11,
		BiasMA: 75, Bias: lim(150, 20, 130, 30), BiasMultiplier: 2,
		BER: 1e-8, BERSlope: 0.75, ESNRDB: 19, LTPDB: 24,
		VDM: dr8VDM(),
	}
}

func osfp1T6DR8() Profile {
	b := berLimits()
	return Profile{
		Name: "osfp-1.6t-dr8", Description: "OSFP 1.6TBASE-DR8 (8x200G, 1.6TAUI-8), CMIS 5.3, VDM in two groups",
		Spec: SpecCMIS, Identifier: 0x19, Revision: 0x53,
		Vendor: "EMU OPTICS", VendorOUI: emuOUI(), PartNumber: "EMU-OSFP1T6-DR8", VendorRev: "A0",
		SerialPrefix: "ETD", DateCode: "251020", CLEI: "EMUOSF16TA",
		Firmware: [2]uint8{1, 9}, InactiveFirmware: [2]uint8{1, 7}, Hardware: [2]uint8{1, 0},
		MaxPowerW: 25, Connector: 0x28, MediaType: 0x02, MediaTech: 0x06,
		WavelengthNM: 1311, WavelengthTolNM: 6.5, LengthKM: 0.5, FastI2C: true,
		Apps: []App{
			{Host: 0x83, Media: 0x7F, HostLanes: 8, MediaLanes: 8, HostMask: 0x01, MediaMask: 0x01},
			{Host: 0x82, Media: 0x77, HostLanes: 4, MediaLanes: 4, HostMask: 0x11, MediaMask: 0x11},
			{Host: 0x80, Media: 0x73, HostLanes: 1, MediaLanes: 1, HostMask: 0xFF, MediaMask: 0xFF},
		},
		Banks: 1, Lanes: 8,
		TempC: 52, Temp: lim(80, -5, 75, 0), VccV: 3.3, Vcc: vccLimits(),
		Aux: [3]Aux{{}, {Role: AuxLaserTemperature, Nominal: 55, Limits: lim(90, -5, 85, 0)},
			{Role: AuxVcc2, Nominal: 1.8, Limits: lim(1.98, 1.62, 1.89, 1.71)}},
		TxPowerDBm: 2.5, TxPower: lim(6.5, -4.9, 4.5, -1.9),
		RxPowerDBm: 1.0, RxPower: lim(6.5, -7.4, 4.5, -4.4), RxLOSDBm: -10,
		BiasMA: 85, Bias: lim(150, 20, 140, 30), BiasMultiplier: 2,
		BER: 3e-7, BERSlope: 0.7, ESNRDB: 17.5, LTPDB: 26,
		VDM: [][]VDMObservable{{
			{Type: 15, Limits: b}, {Type: 9, Limits: b}, {Type: 11, Limits: b}, {Type: 13, Limits: b},
			{Type: 25, Limits: lim(2e10, 0, 1e10, 0)},
			{Type: 5, Limits: lim(32, 12, 30, 13.5)},
			{Type: 7, Limits: lim(45, 16, 40, 18)},
			{Type: 4, Limits: lim(90, -5, 85, 0)},
		}, {
			{Type: 16, Limits: lim(1e-5, 0, 1e-6, 0)},
			{Type: 23, Limits: lim(0.5, 0, 0.1, 0)},
		}},
	}
}

func osfpXD1T6() Profile {
	b := berLimits()
	return Profile{
		Name: "osfpxd-1.6t-16", Description: "OSFP-XD 1.6T (2x800GBASE-DR8), CMIS 5.2, 16 lanes in 2 banks, VDM per bank",
		Spec: SpecCMIS, Identifier: 0x21, Revision: 0x52,
		Vendor: "EMU OPTICS", VendorOUI: emuOUI(), PartNumber: "EMU-OXD1T6-2DR8", VendorRev: "A2",
		SerialPrefix: "EXD", DateCode: "250805", CLEI: "EMUOXD16TA",
		Firmware: [2]uint8{1, 4}, InactiveFirmware: [2]uint8{1, 2}, Hardware: [2]uint8{1, 1},
		MaxPowerW: 33, Connector: 0x0D, MediaType: 0x02, MediaTech: 0x06,
		WavelengthNM: 1311, WavelengthTolNM: 6.5, LengthKM: 0.5,
		Apps:  []App{{Host: 0x51, Media: 0x56, HostLanes: 8, MediaLanes: 8, HostMask: 0x01, MediaMask: 0x01}},
		Banks: 2, Lanes: 16,
		TempC: 50, Temp: lim(80, -5, 75, 0), VccV: 3.3, Vcc: vccLimits(),
		Aux:        [3]Aux{{}, {Role: AuxLaserTemperature, Nominal: 54, Limits: lim(90, -5, 85, 0)}},
		TxPowerDBm: 1.5, TxPower: lim(6.0, -6.0, 4.0, -2.9),
		RxPowerDBm: 0.0, RxPower: lim(6.0, -8.9, 4.0, -5.9), RxLOSDBm: -11,
		BiasMA: 75, Bias: lim(150, 20, 130, 30), BiasMultiplier: 2,
		BER: 1.5e-8, BERSlope: 0.75, ESNRDB: 19, LTPDB: 24,
		VDM: [][]VDMObservable{{
			{Type: 4, Limits: lim(90, -5, 85, 0)},
			{Type: 5, Limits: lim(35, 13, 32, 15)},
			{Type: 15, Limits: b}, {Type: 9, Limits: b}, {Type: 11, Limits: b}, {Type: 13, Limits: b},
		}},
	}
}

func npo3T2() Profile {
	b := berLimits()
	return Profile{
		Name: "npo-3.2t", Description: "near-packaged 3.2T optical engine (8x400G-DR4, 32 lanes in 4 banks), external laser, VDM per bank",
		Spec: SpecCMIS, Identifier: 0x80, Revision: 0x52,
		Vendor: "EMU SILICON PHOT", VendorOUI: emuOUI(), PartNumber: "EMU-NPO3T2-8DR4", VendorRev: "1A",
		SerialPrefix: "ENP", DateCode: "250930", CLEI: "EMUNPO32TA",
		Firmware: [2]uint8{0, 27}, InactiveFirmware: [2]uint8{0, 25}, Hardware: [2]uint8{1, 0},
		MaxPowerW: 30, Connector: 0x28, MediaType: 0x02, MediaTech: 0x08,
		WavelengthNM: 1311, WavelengthTolNM: 6.5, LengthKM: 0.5, VendorBanks: 4,
		Apps:  []App{{Host: 0x4F, Media: 0x1C, HostLanes: 4, MediaLanes: 4, HostMask: 0x11, MediaMask: 0x11}},
		Banks: 4, Lanes: 32,
		TempC: 60, Temp: lim(95, -5, 90, 0), VccV: 3.3, Vcc: vccLimits(),
		Aux:        [3]Aux{{}, {}, {Role: AuxVcc2, Nominal: 0.9, Limits: lim(0.99, 0.81, 0.95, 0.85)}},
		TxPowerDBm: 1.5, TxPower: lim(5.0, -5.0, 4.0, -3.0), NoBias: true,
		RxPowerDBm: 0.0, RxPower: lim(6.0, -8.9, 4.0, -5.9), RxLOSDBm: -11,
		BER: 2e-8, BERSlope: 0.75, ESNRDB: 19, LTPDB: 24,
		ELSInputDBm: 10.5, ModulatorLossDB: 9,
		VDM: [][]VDMObservable{{
			{Type: 84, Limits: lim(16, 6, 15, 7)},
			{Type: 15, Limits: b}, {Type: 9, Limits: b}, {Type: 11, Limits: b}, {Type: 13, Limits: b},
			{Type: 5, Limits: lim(35, 13, 32, 15)},
		}},
	}
}

func elsfp8() Profile {
	return Profile{
		Name: "elsfp", Description: "OIF ELSFP external laser source, 8 CW lasers at 1311 nm (pages 1Ah/1Bh)",
		Spec: SpecCMIS, Identifier: 0x22, Revision: 0x52, FunctionType: 1,
		Vendor: "EMU LASERS", VendorOUI: emuOUI(), PartNumber: "EMU-ELSFP-8CW", VendorRev: "A0",
		SerialPrefix: "ELS", DateCode: "250702", CLEI: "EMUELSFP8A",
		Firmware: [2]uint8{1, 3}, InactiveFirmware: [2]uint8{1, 1}, Hardware: [2]uint8{1, 0},
		MaxPowerW: 10, Connector: 0x0C, MediaType: 0x02, MediaTech: 0x04,
		WavelengthNM: 1311, WavelengthTolNM: 1,
		Banks: 1, Lasers: 8,
		TempC: 40, Temp: lim(75, -5, 70, 0), VccV: 3.3, Vcc: vccLimits(),
		Aux: [3]Aux{
			{Role: AuxTECCurrent, Nominal: 30, Limits: lim(100, -100, 90, -90)},
			{Role: AuxLaserTemperature, Nominal: 45, Limits: lim(60, 30, 55, 35)},
		},
		LaserPowerDBm: 18, LaserPower: lim(21, 15, 20, 16),
		LaserBiasMA: 350, LaserBias: lim(500, 150, 450, 200),
		LaserVoltageV: 1.65,
	}
}

func qsfp28LR4() Profile {
	return Profile{
		Name: "qsfp28-100g-lr4", Description: "QSFP28 100GBASE-LR4, SFF-8636 rev 2.8, page 03h thresholds",
		Spec: SpecSFF8636, Identifier: 0x11, Revision: 0x08,
		Vendor: "EMU OPTICS", VendorOUI: emuOUI(), PartNumber: "EMU-Q28-100G-LR4", VendorRev: "A1",
		SerialPrefix: "EQL", DateCode: "230317",
		MaxPowerW: 3.5, Connector: 0x07, MediaTech: 0x40,
		WavelengthNM: 1310, WavelengthTolNM: 2, LengthKM: 10,
		Compliance: [8]byte{0x80}, ExtCompliance: 0x03, Encoding: 0x05, BitRateMbps: 25780,
		Banks: 1, Lanes: 4,
		TempC: 38, Temp: lim(80, -10, 75, -5), VccV: 3.3, Vcc: lim(3.6, 3.0, 3.5, 3.1),
		TxPowerDBm: 1.0, TxPower: lim(5.5, -7.3, 4.5, -4.3),
		RxPowerDBm: -3.0, RxPower: lim(5.5, -13.6, 4.5, -10.6), RxLOSDBm: -16,
		BiasMA: 45, Bias: lim(80, 10, 75, 15), BiasMultiplier: 1,
		BER: 1e-12, BERSlope: 1,
	}
}

func sfp28SR() Profile {
	return Profile{
		Name: "sfp28-25g", Description: "SFP28 25GBASE-SR, SFF-8472, internally calibrated",
		Spec: SpecSFF8472, Identifier: 0x03, Revision: 0x08,
		Vendor: "EMU OPTICS", VendorOUI: emuOUI(), PartNumber: "EMU-S28-25G-SR", VendorRev: "A0",
		SerialPrefix: "ES2", DateCode: "240129",
		Connector: 0x07, WavelengthNM: 850,
		ExtCompliance: 0x02, Encoding: 0x06, BitRateMbps: 25780,
		Banks: 1, Lanes: 1,
		TempC: 40, Temp: lim(80, -10, 75, -5), VccV: 3.3, Vcc: lim(3.6, 3.0, 3.5, 3.1),
		TxPowerDBm: -1.0, TxPower: lim(3.4, -11.4, 2.4, -8.4),
		RxPowerDBm: -2.0, RxPower: lim(3.4, -13.4, 2.4, -10.3), RxLOSDBm: -15,
		BiasMA: 7.5, Bias: lim(13, 2, 12, 3), BiasMultiplier: 1,
		BER: 1e-12, BERSlope: 1,
	}
}

func sfp10LRExtCal() Profile {
	return Profile{
		Name: "sfp-10g-lr-extcal", Description: "SFP+ 10GBASE-LR, SFF-8472, externally calibrated (slopes, offsets, Rx polynomial)",
		Spec: SpecSFF8472, Identifier: 0x03, Revision: 0x05,
		Vendor: "EMU OPTICS", VendorOUI: emuOUI(), PartNumber: "EMU-SFP10G-LR-XC", VendorRev: "1.0",
		SerialPrefix: "ESL", DateCode: "190822",
		Connector: 0x07, WavelengthNM: 1310, LengthKM: 10,
		Compliance: [8]byte{0x20}, Encoding: 0x06, BitRateMbps: 10300, ExternalCal: true,
		Banks: 1, Lanes: 1,
		TempC: 35, Temp: lim(80, -10, 75, -5), VccV: 3.3, Vcc: lim(3.6, 3.0, 3.5, 3.1),
		TxPowerDBm: -1.0, TxPower: lim(2.0, -11.2, 0.5, -8.2),
		RxPowerDBm: -6.0, RxPower: lim(2.5, -18, 0.5, -14.4), RxLOSDBm: -20,
		BiasMA: 35, Bias: lim(90, 10, 80, 15), BiasMultiplier: 1,
		BER: 1e-12, BERSlope: 1,
	}
}
