package i2c

import (
	"context"
	"time"
)

// Memory is a module's management memory as a transport reaches it,
// addressed the CMIS way: device address, bank, page and I²C offset
// (0-127 lower memory, 128-255 the selected upper page). The only Memory
// is a Guard over a transport's Link (NewGuard, Pager.Module, OpenOptoe,
// OpenNetlink): every access passes the same checks and counters.
type Memory interface {
	// Read fills p from offset off of (bank, page) at device address addr:
	// the role address 0x50 (A0h: CMIS, SFF-8636, SFF-8472 ID) or 0x51
	// (SFF-8472 A2h), which the Memory maps to the module's own address.
	// off and len(p) never cross the 127/128 boundary (ErrRange).
	Read(ctx context.Context, addr, bank, page uint8, off int, p []byte) error
	// Write writes p at offset off of (bank, page). Only the allowlist
	// passes (the page select, bank and page, the freeze bit of Rules);
	// everything else returns ErrWriteRefused.
	Write(ctx context.Context, addr, bank, page uint8, off int, p []byte) error
	// SetRules gives the memory what it must know of module standards.
	// Until then it refuses every write, page selects included.
	SetRules(Rules) error
	// Stats returns the I/O counters so far.
	Stats() Stats
	// String names the module for errors and logs.
	String() string
	// guarded seals the interface: a transport reaches a module through a
	// Guard, never around it.
	guarded()
}

// Role addresses: a Memory is addressed at these whatever address the
// module answers at on its bus, and maps them.
const (
	AddrA0 = 0x50 // CMIS, SFF-8636, and SFF-8472's ID device (A0h)
	AddrA2 = 0x51 // SFF-8472's diagnostics device (A2h)
)

// WindowSize is the size of lower memory and of one upper page: a read is
// at most this long and stays inside one of them.
const WindowSize = 128

// Stats counts the I/O a Memory has done.
type Stats struct {
	Transactions int64         `json:"transactions"`
	BytesRead    int64         `json:"bytes_read"`
	BytesWritten int64         `json:"bytes_written"`
	PageSelects  int64         `json:"page_selects"`
	NACKs        int64         `json:"nacks"`
	Retries      int64         `json:"retries"`
	Errors       int64         `json:"errors"`
	BusTime      time.Duration `json:"bus_time_ns"`
}

// Add returns the sum of two Stats (per-bus totals from per-module ones).
func (s Stats) Add(o Stats) Stats {
	return Stats{
		Transactions: s.Transactions + o.Transactions,
		BytesRead:    s.BytesRead + o.BytesRead,
		BytesWritten: s.BytesWritten + o.BytesWritten,
		PageSelects:  s.PageSelects + o.PageSelects,
		NACKs:        s.NACKs + o.NACKs,
		Retries:      s.Retries + o.Retries,
		Errors:       s.Errors + o.Errors,
		BusTime:      s.BusTime + o.BusTime,
	}
}

// Sub returns s - o: the I/O of an interval between two Stats readings.
func (s Stats) Sub(o Stats) Stats {
	return Stats{
		Transactions: s.Transactions - o.Transactions,
		BytesRead:    s.BytesRead - o.BytesRead,
		BytesWritten: s.BytesWritten - o.BytesWritten,
		PageSelects:  s.PageSelects - o.PageSelects,
		NACKs:        s.NACKs - o.NACKs,
		Retries:      s.Retries - o.Retries,
		Errors:       s.Errors - o.Errors,
		BusTime:      s.BusTime - o.BusTime,
	}
}

// The bank and page select bytes of lower memory: the same in CMIS,
// SFF-8636 and SFF-8472's A2h, the paging every transport shares.
const (
	BankSelect = 126
	PageSelect = 127
)
