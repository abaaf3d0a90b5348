// Package i2c reads module memory: the pager, which turns CMIS (bank, page,
// offset, length) reads into I²C transactions on a periph.io i2c.Bus, and
// the transports that reach a module (Linux i2c-dev, optoe sysfs files,
// ethtool netlink, and the emulator through the same i2c.Bus).
//
// A monitoring agent must never change a module. Every Memory in this
// package accepts exactly three writes: the bank and page select bytes (126
// and 127) and bit 7 of VDM control (page 2Fh byte 144, the freeze request,
// written read-modify-write). Anything else is refused with ErrWriteRefused
// before it reaches the bus.
//
// Bus behaviour (see docs/ARCHITECTURE.md): reads never cross the 127/128
// boundary and are at most 128 bytes; the page (and bank) are written only
// when they change, bank and page together as one 2-byte write at 126 when
// the bank changes; the page select is read back where a module may refuse
// a page; a NACK (module busy) is retried with backoff within the context's
// deadline; nothing sleeps for a fixed time.
package i2c
