package modread

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/i2c"
)

// DefaultFreezeTimeout bounds each half of the VDM freeze handshake when
// Options.FreezeTimeout is zero, for the agent, `ddm dump` and `ddm rules
// test` alike. The sonic-mgmt test plan expects FreezeDone within 500 ms;
// a module that takes longer keeps its statistics frozen for every other
// reader meanwhile (the agent pauses its VDM reads).
const DefaultFreezeTimeout = 500 * time.Millisecond

// Options say how a module is read.
type Options struct {
	// NoFreeze: the transport cannot write (ethtool netlink), so VDM is
	// read without the freeze handshake.
	NoFreeze bool
	// FreezeTimeout bounds each half of the freeze handshake, and the
	// release after a cancelled read; default DefaultFreezeTimeout.
	FreezeTimeout time.Duration
	// Wait waits between freeze polls (nil: a timer); a simulated clock
	// moves its time here. WithTimeout bounds each half of the handshake
	// and the release (nil: context.WithTimeout). A vclock.Clock gives
	// both (Sleep, WithTimeout), so a handshake on virtual time is timed
	// on it alone, however slowly the machine runs it.
	Wait        func(ctx context.Context, d time.Duration) error
	WithTimeout func(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc)
	// ScanVDMFlags: ScanFlags also reads the VDM flags (CMIS page 2Ch)
	// the summaries show latched, so that they do not hold IntL low until
	// the next VDM read (a port scanned on IntL); ReadVDM reports them
	// with the flags it reads itself.
	ScanVDMFlags bool
}

// Reader reads one module over mem. It keeps the last static read and its
// Layout, and the fast read's snapshot, reused from read to read.
//
// Probe, ReadStatic, SetStatic and ReadFast are called from one goroutine;
// ReadVDM may run on another, at most one at a time, since it touches only
// the freeze timing it learns, what its caller hands it and the VDM flags
// ScanFlags kept for it (under their own lock).
type Reader struct {
	mem    i2c.Memory
	opts   Options
	static *cmis.Snapshot
	layout *cmis.Layout
	fast   *cmis.Snapshot
	// scan and follow are the flag scan's read and follow-up ranges,
	// reused (ScanFlags).
	scan   *cmis.Snapshot
	follow []cmis.Range
	// freeze is what this module's handshake took last time (ReadVDM only).
	freeze FreezeTiming
	// bindErr is why mem refused the BusRules (never, for the decoder's
	// own constants), returned by every read.
	bindErr error
	// vdmFlags are the VDM flag bytes scans read (and so cleared) since
	// the last VDM read, ORed per page (offset 128 at index 0); the VDM
	// goroutine takes them (scan.go).
	vdmMu    sync.Mutex
	vdmFlags map[cmis.PageID]*[cmis.PageSize]byte
}

// New returns a Reader of the module behind mem.
func New(mem i2c.Memory, opts Options) *Reader {
	if opts.FreezeTimeout <= 0 {
		opts.FreezeTimeout = DefaultFreezeTimeout
	}
	if opts.WithTimeout == nil {
		opts.WithTimeout = context.WithTimeout
	}
	return &Reader{mem: mem, opts: opts, bindErr: bind(mem)}
}

// IsPartial reports whether err only says that the module refused some
// ranges (pages it does not have): the rest was read and decoded.
func IsPartial(err error) bool {
	var fe *FetchError
	return errors.As(err, &fe)
}

// IsHandshake reports whether err is a failed VDM freeze handshake: the
// module did not confirm in time, or the transport refused the freeze
// write. What was read before it is decoded.
func IsHandshake(err error) bool {
	return errors.Is(err, ErrFreezeTimeout) || errors.Is(err, i2c.ErrWriteRefused)
}

// Decoded reports whether a read that returned err still decoded into its
// destination: it did unless the module could not be read at all (absent,
// busy, a bus error, the context).
func Decoded(err error) bool { return err == nil || IsPartial(err) || IsHandshake(err) }

// Probe reads the identifier byte: the cheapest way to tell an empty cage
// from a module (one 1-byte read, no page select).
func (r *Reader) Probe(ctx context.Context) error {
	if r.bindErr != nil {
		return r.bindErr
	}
	return r.mem.Read(ctx, cmis.AddrA0, 0, 0, 0, make([]byte, 1))
}

// ReadStatic reads the static pages (following the decoder's plan round by
// round), makes their Layout and keeps both. A partial error (IsPartial)
// comes with the snapshot of what was read, kept as well; any other error
// keeps the previous static read. The snapshot is the Reader's: a caller
// that changes it (putting back a page that failed its checksum) hands it
// to SetStatic.
func (r *Reader) ReadStatic(ctx context.Context) (*cmis.Snapshot, error) {
	if r.bindErr != nil {
		return nil, r.bindErr
	}
	s := cmis.NewSnapshot()
	err := readStatic(ctx, r.mem, s)
	if err != nil && !IsPartial(err) {
		return nil, err
	}
	if serr := r.SetStatic(s); serr != nil {
		return nil, serr
	}
	return s, err
}

// SetStatic makes s the static pages of the module: every later read is
// planned and decoded with its Layout.
func (r *Reader) SetStatic(s *cmis.Snapshot) error {
	l, err := cmis.NewLayout(s)
	if err != nil {
		return err
	}
	r.static, r.layout = s, l
	return nil
}

// Static returns the static pages kept (nil before the first ReadStatic).
func (r *Reader) Static() *cmis.Snapshot { return r.static }

// Layout returns the Layout of the static pages kept (nil before the
// first ReadStatic).
func (r *Reader) Layout() *cmis.Layout { return r.layout }

// Forget drops the static pages: the next read must begin with
// ReadStatic (the cage may hold another module).
func (r *Reader) Forget() { r.static, r.layout = nil, nil }

// ReadFast reads the fast ranges of the Layout (monitors, latched flags,
// lane state) into a snapshot the Reader reuses, and, when dst is not nil
// and Decoded(err), decodes it over the static pages into dst, whose
// memory is reused. The snapshot returned is valid until the next
// ReadFast; it is nil when ReadStatic has not succeeded yet.
func (r *Reader) ReadFast(ctx context.Context, dst *cmis.Module) (*cmis.Snapshot, error) {
	if r.layout == nil {
		return nil, errNoStatic
	}
	if r.fast == nil {
		r.fast = cmis.NewSnapshot()
	}
	read := r.fast
	read.Reset()
	err := fetch(ctx, r.mem, r.layout.Plan(cmis.Fast), read)
	if dst != nil && Decoded(err) {
		r.layout.DecodeInto(dst, read)
	}
	return read, err
}

var errNoStatic = errors.New("modread: the static pages have not been read")

// ReadVDM reads layout's VDM ranges into read inside the freeze handshake,
// so the statistics (min, max, average) of every lane come from the same
// interval, and, when Decoded(err), decodes read with layout into dst.
// read may already hold the cycle's fast ranges. The release of the freeze
// is attempted even when ctx is done (bounded by the freeze timeout): a
// module left frozen stops updating its statistics for every reader.
//
// layout is passed rather than taken from the Reader because a VDM read
// may outlive a static re-read that replaces it.
func (r *Reader) ReadVDM(ctx context.Context, layout *cmis.Layout, read *cmis.Snapshot, dst *cmis.Module) error {
	err := r.fetchFrozen(ctx, layout.Plan(cmis.VDM), read)
	r.takeScannedVDMFlags(layout, read)
	if dst != nil && Decoded(err) {
		layout.DecodeInto(dst, read)
	}
	return err
}

func (r *Reader) fetchFrozen(ctx context.Context, ranges []cmis.Range, read *cmis.Snapshot) error {
	if len(ranges) == 0 {
		return nil
	}
	if r.opts.NoFreeze {
		return fetch(ctx, r.mem, ranges, read)
	}
	release, err := freeze(ctx, r.mem, cmis.AddrA0, FreezeOptions{
		Timeout: r.opts.FreezeTimeout, Wait: r.opts.Wait, WithTimeout: r.opts.WithTimeout, Learned: &r.freeze})
	if err != nil {
		return err
	}
	ferr := fetch(ctx, r.mem, ranges, read)
	rctx, cancel := r.opts.WithTimeout(context.WithoutCancel(ctx), r.opts.FreezeTimeout)
	defer cancel()
	return errors.Join(ferr, release(rctx))
}

// Full is everything one module holds, read once: what `ddm dump` shows.
type Full struct {
	// Snapshot holds the static pages with the fast and VDM reads laid
	// over them, stamped with the read time.
	Snapshot *cmis.Snapshot
	Module   *cmis.Module
	// IO is the bus work the read cost.
	IO i2c.Stats
}

// ReadAll reads the static pages, the fast ranges and, inside the freeze,
// the VDM ranges, and decodes them. It returns what was read even when
// part of it failed: a refused page, a failed handshake or a VDM read cut
// short are returned as the error next to a Full; only when the static or
// fast read fails outright is the Full nil. now stamps the snapshot.
func (r *Reader) ReadAll(ctx context.Context, now func() time.Time) (*Full, error) {
	before := r.mem.Stats()
	static, partial := r.ReadStatic(ctx)
	if static == nil {
		return nil, partial
	}
	s := static.Clone()
	if err := fetch(ctx, r.mem, r.layout.Plan(cmis.Fast), s); err != nil {
		if !IsPartial(err) {
			return nil, err
		}
		partial = errors.Join(partial, err)
	}
	// Any VDM failure leaves the rest worth showing.
	if err := r.fetchFrozen(ctx, r.layout.Plan(cmis.VDM), s); err != nil {
		partial = errors.Join(partial, err)
	}
	s.Time = now()
	m, err := cmis.Decode(s)
	if err != nil {
		return nil, errors.Join(partial, err)
	}
	return &Full{Snapshot: s, Module: m, IO: r.mem.Stats().Sub(before)}, partial
}

// DefaultAbsentAfter is how many reads in a row a present module may NACK
// on every try before it is taken as removed.
const DefaultAbsentAfter = 3

// Absence says when a failed read of a present module means the cage is
// empty. On the bus an empty cage and a module that never answers look the
// same (both NACK the address), and there is no presence pin: the pager
// reports i2c.ErrAbsent when nothing answered since it last saw the module,
// and i2c.ErrBusy when a module that answered before NACKs every try. A
// busy module counts as removed once inARow reads in a row (this one
// included) failed, at least absentAfter: err is then returned wrapping
// i2c.ErrAbsent with the reason. Any other err is returned as it is.
func Absence(err error, inARow, absentAfter int) error {
	if errors.Is(err, i2c.ErrBusy) && inARow >= absentAfter {
		return fmt.Errorf("%w: NACK on every try for %d reads in a row: %w", i2c.ErrAbsent, absentAfter, err)
	}
	return err
}
