// Package i2c moves bytes between ddm and a module's memory, and nothing
// else: it knows no module standard (it does not import the decoder) and
// runs no read plan (modread does).
//
// Every transport is a Link: a raw periph.io i2c.Bus under a Pager (Linux
// i2c-dev through periph's sysfs bus or the SMBus fallback, the emulator),
// the optoe driver's sysfs file, ethtool netlink. The only Memory is a
// Guard over a Link (the interface is sealed), so every access on every
// transport passes the same checks and counters (guard.go):
//
//   - range: 1 to 128 bytes at the role addresses 0x50/0x51, within lower
//     memory or one upper page, never across 127/128 (ErrRange); lower
//     memory is page 0 bank 0 and an unbanked page is bank 0, so every
//     Link sees the same normalised access; no bank at or above
//     Rules.MaxBanks, no page but 00h of an A0h without page select;
//   - writes: a monitoring agent must never change a module. Exactly three
//     writes pass: the page select (127), bank and page together (126-127),
//     and the VDM freeze bit, written read-modify-write so that no other
//     bit of its byte changes. Everything else is ErrWriteRefused before
//     it reaches the Link, and every write is refused until the Memory is
//     given its Rules (where the freeze bit is, which identifiers have no
//     page select), which modread takes from the decoder;
//   - counters: transactions, bytes, page selects, NACKs, retries, errors
//     and wire time (the emulator's virtual bus clock where there is one).
//
// Bus behaviour on a raw bus (see docs/ARCHITECTURE.md): the page (and
// bank) are written only when they change, bank and page together as one
// 2-byte write at 126 when the bank changes; the page select is read back
// the first time; the identifier is known before any select, so an
// SFF-8472 A0h is never page-selected; a NACK (module busy) is retried with
// backoff within the context's deadline; nothing sleeps for a fixed time.
// optoe and netlink drivers select pages themselves.
package i2c
