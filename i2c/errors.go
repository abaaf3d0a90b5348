package i2c

import (
	"errors"
	"fmt"
)

// Errors callers branch on. Every error from this package wraps one of them.
var (
	// ErrAbsent: nothing answers at the address (no module in the cage).
	ErrAbsent = errors.New("module absent")
	// ErrBusy: the module NACKed and kept NACKing until the retries or the
	// deadline ran out (a module may NACK while it updates its memory).
	ErrBusy = errors.New("module busy")
	// ErrRefused: the module did not switch to the requested page or bank
	// (page select read back differently), so the page does not exist.
	ErrRefused = errors.New("page refused")
	// ErrBus: the bus or adapter failed (timeout, arbitration lost, adapter
	// does not support the transfer).
	ErrBus = errors.New("bus error")
	// ErrWriteRefused: a write outside the allowlist was attempted. It never
	// reaches the module.
	ErrWriteRefused = errors.New("write refused: a monitoring agent writes only bank/page select and the VDM freeze bit")
	// ErrRange: an access outside what a module's memory map allows: more
	// than 128 bytes, across the 127/128 boundary, past byte 255, a bank
	// above the module's, a device other than A0h/A2h. It never reaches
	// the module.
	ErrRange = errors.New("access out of range")
	// ErrNotSupported: the transport cannot do this (for example a write
	// through ethtool netlink, which has no module write).
	ErrNotSupported = errors.New("not supported by this transport")
)

// Error describes a failed access with where it happened.
type Error struct {
	Op     string // "read", "write", "select"
	Module string // transport and address, e.g. "/dev/i2c-12 0x50"
	Bank   uint8
	Page   uint8
	Offset int
	Length int
	Err    error
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s bank %d page %02Xh offset %d length %d: %v", e.Module, e.Op, e.Bank, e.Page, e.Offset, e.Length, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }
