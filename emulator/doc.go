// Package emulator emulates transceiver modules and whole switches behind
// periph's i2c.Bus (periph.io/x/conn/v3/i2c), closely enough to hardware
// that the agent's pager cannot tell it from /dev/i2c-N: the same code path
// runs against it in every test and in the demo.
//
// # Buses
//
// NewBus makes a root adapter; Bus.AddMux puts a PCA9548 on it whose
// channels are buses of their own, as the kernel exposes them. Tx dispatches
// to the Device at the address; nothing there, or a device that does not
// acknowledge, is an error wrapping syscall.ENXIO (the kernel's address
// NACK). Every transaction adds its wire time at the bus speed to BusTime:
// a start bit, 9 bits for the address byte and each data byte with their
// acknowledge, a repeated start and second address byte for the read phase
// of a write-then-read, a stop bit; a NACK costs start, address and stop,
// and a channel switch costs a mux control write. SetPacing makes each
// transaction also take that long in real time.
//
// # Modules
//
// NewModule(profile, options) returns a Module (a Device) of a built-in
// profile (Profiles) or of a saved dump ("file:PATH"). Its memory follows
// CMIS, SFF-8636 or SFF-8472 as the crib (shared/reference/cmis-crib.md)
// maps them, encoded by this package and never by the decoder:
//
//   - A write [off, data...] sets the address pointer and writes from it; a
//     write [off] then a read reads sequentially. The pointer runs from 127
//     into the upper page and wraps from 255 to 128, so the upper page
//     repeats (CMIS, SFF-8636); SFF-8472 A0h/A2h are 256-byte devices and
//     wrap to 0. A read alone continues from the pointer.
//   - Byte 127 selects the page. A page the module does not have is refused:
//     127 reads back 0 and page 00h is served. Pages 10h-2Eh are banked per
//     the advertised bank count (2Fh, VDM control, is module-wide); the bank
//     written to 126 takes effect when 127 is written, so a 2-byte write at
//     126 sets both (CMIS 5.3 §8.2.15).
//   - Latched flags (CMIS lower 8-11, page 11h 134-153 per bank, VDM page
//     2Ch; SFF-8636 lower 3-14) clear when read and latch again at the next
//     internal update while the condition lasts; a FaultLOSPulses pulse
//     latches RxLOS and RxCDR LOL at its onset and at every access while it
//     lasts, whatever the update interval, as a real module's latch does
//     (Module.Onsets lists the onsets). Byte 3 bit 0 (IntL) and the
//     bank summaries 4-7 (CMIS), byte 2 bit 1 (SFF-8636) follow them, and
//     so does the IntL line itself: Platform.GPIO("IntL-PORT") is the
//     cage's IntL as a periph gpio.PinIn (IntLPin), falling at a pulse's
//     onset on the module's clock (intl.go).
//   - Writes to read-only bytes are ignored and counted (Module.Writes,
//     Module.WriteCounts), so a test can prove the agent never made one.
//   - VDM freeze: setting 2Fh:144 bit 7 sets FreezeDone (145 bit 7) after
//     the freeze delay (5 ms of clock time by default) and holds the VDM
//     statistics (min, max, average, FERC); clearing it sets UnfreezeDone
//     (bit 6) after the delay and starts a new interval.
//   - After insertion the module is ModuleLowPwr, then ModulePwrUp, then
//     ModuleReady (Timings); its data paths go DPDeactivated, DPInit,
//     DPTxTurnOn, DPActivated; each change latches ModuleStateChanged or
//     DPStateChanged. SFF modules clear Data_Not_Ready (Data_Ready_Bar).
//   - Page checksums (CMIS 00h:222, 01h:255, 02h:255; SFF-8636 00h:191,
//     223; SFF-8472 A0h:63, 95, A2h:95) are computed when the image is
//     built and whenever the emulator changes those pages.
//
// Values move on the injected Clock (RealClock, or ManualClock in tests),
// lazily: each access runs the internal updates (every 100 ms by default)
// due since the last one. Temperature warms up after insertion and follows
// the load factor; powers drift slowly; each lane's pre-FEC BER follows
// its Rx power log-linearly, and eSNR, LTP and errored frames follow the
// BER (errored frames in whole KP4 codewords of an update interval, as a
// module counts them: 0 on a healthy link). Degradations script changes by lane (TxFade, RxFade, BERRamp,
// TempRunaway, LaserAgeing, HostErrors; LaserFault darkens an ELSFP laser and the
// engine lanes the platform says it lights) and Faults inject misbehaviour (FaultNACK with a seeded
// RNG, FaultBusy, FaultUnplug, FaultRefusedPages, FaultCorrupt,
// FaultSlowFreeze) or end a link (FaultFiberCut, FaultModule, FaultLOSPulses), each on a
// time Window. No goroutines are started.
//
// The slow degradations a forecast looks for run on the virtual clock
// over simulated days (a ManualClock advanced by days costs at most
// maxTicks updates):
// laser ageing (bias climbing to a plateau near 65 mA while the Tx power
// holds, then falling), a dirty connector (RxFade on one lane at tenths
// of a dB a day), exponential pre-FEC BER growth (BERRamp), host-side
// errors, and a slow thermal rise (TempRunaway at a small rate).
//
// # Platforms
//
// A Platform is a whole switch, loaded from YAML (LoadPlatform; errors name
// the line) or built in (DefaultPlatform). The default, "ai-fabric-64",
// models a 64-port AI-fabric switch:
//
//	root bus  speed    PCA9548 0x70 channels  ports (one module at 0x50 a channel)
//	i2c-1     1 MHz    i2c-10..i2c-17         Ethernet1/1-8     osfp-800g-dr8
//	i2c-2     1 MHz    i2c-18..i2c-25         Ethernet1/9-16    osfp-800g-dr8
//	i2c-3     1 MHz    i2c-26..i2c-33         Ethernet1/17-24   osfp-800g-dr8
//	i2c-4     1 MHz    i2c-34..i2c-41         Ethernet1/25-28   osfp-800g-dr8
//	                                          Ethernet1/29-32   osfp-1.6t-dr8
//	i2c-5     1 MHz    i2c-42..i2c-49         Ethernet1/33-40   osfp-1.6t-dr8
//	i2c-6     400 kHz  i2c-50..i2c-57         Ethernet1/41-44   osfp-1.6t-dr8
//	                                          Ethernet1/45-48   qsfpdd-400g-fr4
//	i2c-7     400 kHz  i2c-58..i2c-65         Ethernet1/49-52   qsfpdd-400g-fr4
//	                                          Ethernet1/53      osfpxd-1.6t-16
//	                                          Ethernet1/54-55   osfp-800g-dr8
//	                                          npo1              npo-3.2t (fed by els1: laser k lights lanes 4k-3..4k, port Ethernet2/k)
//	i2c-8     100 kHz  i2c-66..i2c-73         els1              elsfp
//	                                          Ethernet1/56-59   qsfp28-100g-lr4
//	                                          Ethernet1/60-61   sfp28-25g (0x50 and 0x51)
//	                                          mgmt0             sfp-10g-lr-extcal (0x50, 0x51)
//
// Its scenarios, from the platform's start, unfold within a minute and a
// half so that a demo sees each of them raise an alarm:
//
//	Ethernet1/5   lane 3 pre-FEC BER ramps to 3e-4 over the first 10 s (past the KP4 limit 2.4e-4)
//	Ethernet1/12  lane 6 Tx power fades 2400 dB/h for 15 s (below its low alarm within ~10 s)
//	Ethernet1/30  temperature runs away 90 °C/min from 5 s up to 90 °C (past its 80 °C alarm)
//	Ethernet1/20  NACKs 2% of transactions
//	Ethernet1/47  unplugged from 15 s for 20 s (then every 10 min), powering up again each time
//	Ethernet1/38  pages 21h, 25h, 29h (VDM group 2) read back as page 00h (the Acacia behaviour)
package emulator
