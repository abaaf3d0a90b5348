// Package dumpfile reads and writes saved transceiver module-memory dumps
// as cmis.Snapshot values, so that the decoder can be run, tested and
// compared on modules that are not plugged in.
//
// Read detects the format:
//
//   - Vectors: the project's text format (testdata/vectors/README.txt).
//     '#' comments, section headers "[lower]", "[page 11h]",
//     "[page 11h bank 1]", "[a0]", "[a2]" (SFF-8472 A0h/A2h, bytes 00-FF),
//     "[a2 lower]", "[a2 page 01h]", and "[read N: <section>]" for a later
//     re-read, which becomes snapshot N: the first snapshot with the re-read
//     sections laid over it. Data lines are "XX: b0 .. b15" with XX the I2C
//     offset (upper pages start at 80). A section may give only some lines.
//   - EthtoolHex: the output of "ethtool -m DEV hex on", printed by ethtool's
//     dump_hex (ethtool.c): an "Offset\t\tValues" header, a "------" line and
//     "0x%04x:\t\t" offsets followed by 16 "%02x " bytes. Without page, bank
//     or i2c arguments ethtool falls back to the legacy ETHTOOL_GMODULEEEPROM
//     ioctl and the offsets index the linear image (below). With them
//     (netlink, "ethtool -m DEV page 0x11 bank 1 hex on") it dumps one page
//     with page-relative offsets, 0x0080-0x00ff for an upper page; the page is
//     not in the output, so the command line must be kept above the dump.
//   - Raw: a binary ioctl image of 256, 512 or 640 bytes.
//   - Optoe: a binary optoe sysfs "eeprom" file of any other multiple of 128
//     bytes (at least 256).
//
// Binary images and legacy ethtool dumps use the linear layouts of the
// kernel's ethtool_modinfo types and of the optoe driver, chosen by the
// SFF-8024 identifier in byte 0 (only needed past byte 255, where they
// differ):
//
//   - SFF-8472 (identifier 01h-03h; ETH_MODULE_SFF_8472, optoe2): A0h at
//     0-255, A2h at 256-511, A2h upper page N at 384+128*N.
//   - SFF-8636 (0Ch, 0Dh, 11h) and CMIS (18h-1Bh, 1Eh-25h, 80h-FFh;
//     ETH_MODULE_SFF_8636, optoe1/optoe3): lower memory at 0-127, upper page
//     N at 128*(N+1), so 256 bytes = lower + 00h, 512 = + 01h + 02h (mlxsw's
//     CMIS image), 640 = + 03h (ETH_MODULE_SFF_8636_MAX_LEN). Banked pages
//     10h-FFh of bank B >= 1 follow at 128*(240*B+N+1), the SONiC optoe bank
//     extension (SONiC HLD "CMIS Banking Support").
//
// Every window of a binary file is stored, even one that is all FFh: the
// decoder decides what a page means.
//
// Write writes a Dump in the vectors format; see Write for what it keeps.
//
// Sources: ethtool.c dump_hex and netlink/module-eeprom.c nl_getmodule
// (ethtool 7.0), include/uapi/linux/ethtool.h (ETH_MODULE_SFF_* lengths),
// the optoe driver's layout comment, the SONiC CMIS banking HLD, and the
// project's reference notes on Linux module access (linux-access.md, 1-3).
package dumpfile
