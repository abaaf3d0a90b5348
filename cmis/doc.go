// Package cmis decodes transceiver management memory: pure functions from
// the bytes of a module's memory (a Snapshot) to a typed Module, and the
// read plans that say which bytes a module needs at each cadence. It does
// no I/O, reads no clock and logs nothing, so the same code serves live
// polling, saved dumps, the emulator's self-checks and the tests on real
// modules.
//
// # Decode once, then per read
//
// Decode decodes one snapshot. A poller that reads a module every second
// makes a Layout from the module's static pages once (NewLayout: identity,
// applications, advertisement, thresholds, VDM descriptors, the cached
// Fast and VDM plans) and decodes each cycle's read with
// Layout.DecodeInto into a Module it reuses, without allocating. The
// result is the Module Decode makes of the static pages merged with the
// read.
//
// # Specs
//
//   - SFF-8024 Rev 4.13: identifiers (byte 0), connector types, host and
//     media interface codes of CMIS application advertisements.
//   - OIF-CMIS 3.0 to 5.3 (QSFP-DD 18h, OSFP 19h, QSFP112 1Eh, OSFP-XD 21h,
//     ELSFP 22h, and near-packaged engines in the vendor range at 80h):
//     lower memory, pages 00h-02h, 10h/11h per bank (1, 2 or 4 banks, lanes
//     numbered 1-32), VDM pages 20h-2Fh, C-CMIS 1.3 pages 34h/35h in brief,
//     OIF-ELSFP pages 1Ah/1Bh.
//   - SFF-8636 2.11 and SFF-8436 4.9 (QSFP28, QSFP+): lower page, upper page
//     00h, page 03h thresholds.
//   - SFF-8472 12.4 (SFP): A0h identity, A2h diagnostics with internal and
//     external calibration.
//
// docs/DECODING.md maps every byte read to its source and lists where
// ethtool 7.0, SONiC and FBOSS decode differently, and why ddm's choice is
// the spec's.
//
// # Errata handled
//
// The CMIS Tx-bias multiplier multiplies (ethtool divides); lane flag bit i
// is lane i+1 (ethtool masks with i); F16 is m·10^(e-24), not IEEE half
// precision; a page that reads back identical to page 00h is a refused page
// select and is not decoded; 0 mW has no dBm.
package cmis
