package i2c

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// The optoe transport reads a module through the optoe kernel driver's
// sysfs file (/sys/bus/i2c/devices/N-0050/eeprom), the usual owner of
// module EEPROMs on white-box switches (SONiC, ONL). The driver does the
// page (and bank) selects itself, per 128-byte chunk, under its own lock,
// and returns the module to page 00h afterwards, so this transport never
// writes a select byte: reading the bus directly with i2c-dev while optoe
// is bound would race those selects.
//
// Layout of the file (the driver's layout comment, the SONiC CMIS banking
// HLD, and the project's reference notes linux-access.md §3):
//
//   - dev_class 1 (SFF-8636) and 3 (CMIS), one address: lower memory at
//     0-127, upper page N of bank 0 at 128·(N+1), so I²C offset off
//     (128-255) of page N is at 128·N + off.
//   - dev_class 2 (SFF-8472), two addresses: A0h at 0-255, A2h lower at
//     256-383, A2h upper page N at 384 + 128·N + (off-128).
//   - Banks (SONiC's optoe with a bank_size attribute > 0, optoe3 only):
//     pages 00h-0Fh exist once; banked pages 10h-FFh of bank b >= 1 are at
//     128·(b·BankPages + N) + off. With the HLD's 240 that puts bank 1 page
//     11h byte 128 at 33024 (HLD table §7.4.1).
//
// Beyond the pages a module has (flat memory, pages it does not advertise,
// a dev_class that does not match the module) optoe returns 0 bytes.

// Optoe device classes (the driver's dev_class attribute).
const (
	OptoeQSFP = 1 // optoe1: SFF-8636 / SFF-8436, one address
	OptoeSFP  = 2 // optoe2: SFF-8472, A0h and A2h
	OptoeCMIS = 3 // optoe3: CMIS (QSFP-DD, OSFP, ...), banks with SONiC's driver
)

// Per-bank block sizes of the SONiC bank extension.
const (
	OptoeBankPagesHLD  = 240 // SONiC HLD "CMIS Banking Support", sonic-linux-kernel PR #473
	OptoeBankPagesFull = 256 // "a full 256-page block", sonic-platform-common PR #640 review
)

// OptoeOptions configure OpenOptoe. The zero value probes the driver.
type OptoeOptions struct {
	// Class is the driver's dev_class (OptoeQSFP, OptoeSFP, OptoeCMIS).
	// 0 reads the dev_class attribute next to the eeprom file; set it for
	// a path that has none (an nvmem file).
	Class int
	// BankPages is how many linear pages one bank >= 1 occupies:
	// OptoeBankPagesHLD (240, the default: the HLD text, its offset table
	// and the kernel constants of PR #473 agree on it) or
	// OptoeBankPagesFull (256, what a later review describes). The SONiC
	// sources disagree, so it is an option: check the installed driver
	// (bank 1 page 11h byte 128 is at 33024 with 240, 35072 with 256).
	BankPages int
}

// optoeFile is the optoe driver's file of one module: a Link. Reads are
// positional (pread), so concurrent reads never race on a file offset.
type optoeFile struct {
	path  string
	f     *os.File
	rw    bool // opened for writing: the VDM freeze byte can be set
	shape optoeLayout
}

// OpenOptoe opens an optoe eeprom file and returns the module's Memory;
// its Close closes the file. It reads dev_class (unless opts.Class is
// set) and bank_size from the same directory: without a bank_size
// attribute, or with 0, the driver reads bank 0 only. The file is opened
// read-write when permitted, else read-only, in which case the freeze
// write returns ErrNotSupported. The driver selects pages itself, so a
// page select written to this Memory returns ErrNotSupported (it would
// race the driver's own). Errors from opening the file wrap the os error
// (fs.ErrNotExist: the driver is not bound; fs.ErrPermission).
//
// Transactions count file reads and writes; the driver's page selects are
// invisible from user space, so PageSelects stays 0 (each upper-page
// access costs the driver a select, the transfer and a select back to
// page 00h).
func OpenOptoe(path string, opts OptoeOptions) (*Guard, error) {
	o, err := openOptoeFile(path, opts)
	if err != nil {
		return nil, err
	}
	return NewGuard(o, GuardOptions{}), nil
}

func openOptoeFile(path string, opts OptoeOptions) (*optoeFile, error) {
	shape := optoeLayout{class: opts.Class, bankPages: opts.BankPages}
	if shape.bankPages == 0 {
		shape.bankPages = OptoeBankPagesHLD
	}
	if shape.bankPages != OptoeBankPagesHLD && shape.bankPages != OptoeBankPagesFull {
		return nil, fmt.Errorf("optoe %s: %w: BankPages %d: want %d or %d", path, ErrNotSupported, opts.BankPages, OptoeBankPagesHLD, OptoeBankPagesFull)
	}
	dir := filepath.Dir(path)
	if shape.class == 0 {
		c, err := readSysfsInt(filepath.Join(dir, "dev_class"))
		if err != nil {
			return nil, fmt.Errorf("optoe %s: no device class (set OptoeOptions.Class when the file has no dev_class attribute beside it): %w", path, err)
		}
		shape.class = c
	}
	if shape.class < OptoeQSFP || shape.class > OptoeCMIS {
		return nil, fmt.Errorf("optoe %s: %w: dev_class %d: want 1 (SFF-8636), 2 (SFF-8472) or 3 (CMIS)", path, ErrNotSupported, shape.class)
	}
	if shape.class == OptoeCMIS {
		n, err := readSysfsInt(filepath.Join(dir, "bank_size"))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			// The stock driver: bank 0 only.
		case err != nil:
			return nil, fmt.Errorf("optoe %s: bank_size: %w", path, err)
		case n > 0:
			shape.banks = n
		}
	}
	o := &optoeFile{path: path, shape: shape, rw: true}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrPermission) || errors.Is(err, syscall.EROFS) {
		o.rw = false
		f, err = os.Open(path)
	}
	if err != nil {
		return nil, fmt.Errorf("optoe: %w", err)
	}
	o.f = f
	return o, nil
}

// Close closes the file.
func (o *optoeFile) Close() error { return o.f.Close() }

// String names the module by its file.
func (o *optoeFile) String() string { return "optoe " + o.path }

// Transfer implements Link. A read past the pages the module (or the
// driver's dev_class) supports returns ErrRefused; a bank above 0 without
// the driver's bank support returns an error wrapping both ErrNotSupported
// and ErrRefused, so a fetch skips it. The only write that reaches it is
// the VDM freeze byte, which the Guard admitted.
func (o *optoeFile) Transfer(ctx context.Context, a Access) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	switch {
	case a.Op == OpSelect:
		return 0, fmt.Errorf("%w: optoe selects banks and pages itself; writing byte %d would race the driver", ErrNotSupported, a.Off)
	case a.Op == OpWrite && o.shape.class != OptoeCMIS:
		return 0, fmt.Errorf("%w: dev_class %d is not CMIS: there is no VDM freeze byte", ErrWriteRefused, o.shape.class)
	case a.Op == OpWrite && !o.rw:
		return 0, fmt.Errorf("%w: %s is open read-only (no write permission)", ErrNotSupported, o.path)
	}
	at, err := o.shape.offset(a.Addr, a.Bank, a.Page, a.Off)
	if err != nil {
		return 0, err
	}
	if a.Op == OpWrite {
		n, err := o.f.WriteAt(a.Data, at)
		if err != nil {
			err = fmt.Errorf("linear offset %d: %w", at, classifyDriverErr(err))
		}
		return n, err
	}
	n, err := o.f.ReadAt(a.Data, at)
	switch {
	case n == len(a.Data):
		err = nil // ReadAt may report io.EOF with a full read at the end of the file
	case err == nil || errors.Is(err, io.EOF):
		err = fmt.Errorf("%w: linear offset %d: optoe returned %d of %d bytes (the module does not have this page, or dev_class does not match the module)", ErrRefused, at, n, len(a.Data))
	default:
		err = fmt.Errorf("linear offset %d: %w", at, classifyDriverErr(err))
	}
	return n, err
}

// optoeLayout maps (address, bank, page, offset) to an offset in the
// driver's linear file.
type optoeLayout struct {
	class     int // dev_class
	banks     int // bank_size: banks the driver reaches; 0 = bank 0 only
	bankPages int // linear pages per bank >= 1
}

// offset returns the file offset of I²C offset off of (bank, page) at
// addr, for an access the Guard checked and normalised (lower memory is
// page 0 bank 0; an unbanked page is bank 0).
func (l optoeLayout) offset(addr, bank, page uint8, off int) (int64, error) {
	if l.class == OptoeSFP {
		return l.twoAddress(addr, bank, page, off)
	}
	if addr != AddrA0 {
		return 0, fmt.Errorf("%w: dev_class %d is a one-address module: no device 0x%02X", ErrNotSupported, l.class, addr)
	}
	switch {
	case off < 128:
		return int64(off), nil
	case bank == 0:
		return int64(page)*WindowSize + int64(off), nil
	case l.banks == 0:
		return 0, fmt.Errorf("%w: %w: bank %d: this optoe reads bank 0 only (no bank_size attribute, or bank_size 0; SONiC's optoe with banks is needed)", ErrNotSupported, ErrRefused, bank)
	case int(bank) >= l.banks:
		return 0, fmt.Errorf("%w: %w: bank %d: the driver's bank_size is %d", ErrNotSupported, ErrRefused, bank, l.banks)
	}
	return (int64(bank)*int64(l.bankPages)+int64(page))*WindowSize + int64(off), nil
}

// twoAddress is the SFF-8472 layout: A0h (no pages) then A2h and its pages.
func (l optoeLayout) twoAddress(addr, bank, page uint8, off int) (int64, error) {
	if bank != 0 {
		return 0, fmt.Errorf("%w: %w: SFF-8472 has no banks", ErrNotSupported, ErrRefused)
	}
	switch {
	case addr == AddrA0 && (off < 128 || page == 0):
		return int64(off), nil
	case addr == AddrA0:
		return 0, fmt.Errorf("%w: SFF-8472 A0h has no pages", ErrNotSupported)
	case addr == AddrA2 && off < 128:
		return 2*WindowSize + int64(off), nil
	case addr == AddrA2:
		return 3*WindowSize + int64(page)*WindowSize + int64(off-128), nil
	}
	return 0, fmt.Errorf("%w: SFF-8472 answers at 0x50 and 0x51 only, not 0x%02X", ErrNotSupported, addr)
}

// readSysfsInt reads a sysfs attribute holding one decimal integer.
func readSysfsInt(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return n, nil
}
