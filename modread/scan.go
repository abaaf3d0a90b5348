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
	follow := len(r.follow)
	if r.opts.ScanVDMFlags {
		r.follow = r.layout.ScanFollowUpVDM(read, r.follow[:0])
		if len(r.follow) > 0 {
			follow += len(r.follow)
			verr := fetch(ctx, r.mem, r.follow, read)
			r.keepScannedVDMFlags(r.follow, read)
			if verr != nil && !IsPartial(verr) {
				verr = errors.Join(errFollowUp, verr)
			}
			err = errors.Join(err, verr)
		}
	}
	dst.Module, dst.Lanes = r.layout.ScanFlags(read, dst.Lanes)
	dst.FollowUps = follow
	return err
}

// keepScannedVDMFlags keeps the VDM flag bytes a scan read (clearing them
// on the module) for the next VDM read.
func (r *Reader) keepScannedVDMFlags(ranges []cmis.Range, read *cmis.Snapshot) {
	r.vdmMu.Lock()
	defer r.vdmMu.Unlock()
	for _, rg := range ranges {
		b := read.Bytes(rg.Page, rg.Offset, rg.Length)
		if b == nil {
			continue
		}
		if r.vdmFlags == nil {
			r.vdmFlags = map[cmis.PageID]*[cmis.PageSize]byte{}
		}
		acc := r.vdmFlags[rg.Page]
		if acc == nil {
			acc = new([cmis.PageSize]byte)
			r.vdmFlags[rg.Page] = acc
		}
		for i, v := range b {
			acc[rg.Offset-cmis.PageSize+i] |= v
		}
	}
}

// takeScannedVDMFlags ORs the VDM flags scans read since the last VDM read
// into read (a VDM read of layout's plan), where it holds their bytes, and
// forgets those.
func (r *Reader) takeScannedVDMFlags(layout *cmis.Layout, read *cmis.Snapshot) {
	r.vdmMu.Lock()
	defer r.vdmMu.Unlock()
	if len(r.vdmFlags) == 0 {
		return
	}
	for _, rg := range layout.Plan(cmis.VDM) {
		acc := r.vdmFlags[rg.Page]
		b := read.Bytes(rg.Page, rg.Offset, rg.Length)
		if acc == nil || b == nil {
			continue
		}
		for i := range b {
			b[i] |= acc[rg.Offset-cmis.PageSize+i]
		}
		delete(r.vdmFlags, rg.Page)
	}
}

var errFollowUp = errors.New("modread: reading the flags a summary showed")

// ScanDecoded reports whether a ScanFlags that returned err still decoded
// into its destination: the summaries were read and only some of the flag
// bytes they pointed to were not (those stay latched for the next read).
func ScanDecoded(err error) bool { return err == nil || errors.Is(err, errFollowUp) || IsPartial(err) }
