package modread

import (
	"context"
	"errors"

	"github.com/ddm-agent/ddm/cmis"
)

// Flags is what one flag scan found: the latched flags it read (and so
// cleared), decoded as the fast read decodes them.
type Flags struct {
	Module cmis.ModuleFlags
	// Lanes holds lane i+1's flags at index i (Layout.Lanes() of them).
	Lanes []cmis.LaneFlags
	// FollowUps is how many flag ranges were read after their summary
	// showed a latched flag (CMIS banks' page 11h flags).
	FollowUps int
}

// Any reports whether any flag is set.
func (f *Flags) Any() bool {
	if f.Module != 0 {
		return true
	}
	for _, l := range f.Lanes {
		if l != 0 {
			return true
		}
	}
	return false
}

// ScanFlags reads the module's flag summaries (cmis.Layout.ScanPlan) and,
// at once, the flag bytes of every bank whose summary shows a latched
// flag, and only those (ScanFollowUp), then decodes them into dst, whose
// Lanes are reused. Nothing else is read: a scan costs one short read on
// a quiet module. It needs a static read first (errNoStatic).
func (r *Reader) ScanFlags(ctx context.Context, dst *Flags) error {
	if r.layout == nil {
		return errNoStatic
	}
	plan := r.layout.ScanPlan()
	if len(plan) == 0 {
		dst.Module, dst.Lanes, dst.FollowUps = 0, dst.Lanes[:0], 0
		return nil
	}
	if r.scan == nil {
		r.scan = cmis.NewSnapshot()
	}
	read := r.scan
	read.Reset()
	if err := fetch(ctx, r.mem, plan, read); err != nil {
		return err
	}
	r.follow = r.layout.ScanFollowUp(read, r.follow[:0])
	var err error
	if len(r.follow) > 0 {
		// A follow-up that fails leaves the summaries' own flags decoded;
		// the caller learns the error.
		err = fetch(ctx, r.mem, r.follow, read)
		if err != nil && !IsPartial(err) {
			err = errors.Join(errFollowUp, err)
		}
	}
	dst.Module, dst.Lanes = r.layout.ScanFlags(read, dst.Lanes)
	dst.FollowUps = len(r.follow)
	return err
}

var errFollowUp = errors.New("modread: reading the flags a summary showed")

// ScanDecoded reports whether a ScanFlags that returned err still decoded
// into its destination: the summaries were read and only some of the flag
// bytes they pointed to were not (those stay latched for the next read).
func ScanDecoded(err error) bool { return err == nil || errors.Is(err, errFollowUp) || IsPartial(err) }
