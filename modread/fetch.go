package modread

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/i2c"
)

// FetchError lists the ranges a module refused (pages it does not have)
// while the rest of a fetch succeeded.
type FetchError struct {
	Module  string
	Refused []cmis.Range
	Err     error // the first refusal
}

func (e *FetchError) Error() string {
	return fmt.Sprintf("%s: %d range(s) refused, first %v: %v", e.Module, len(e.Refused), e.Refused[0], e.Err)
}

func (e *FetchError) Unwrap() error { return e.Err }

// Fetch reads ranges from mem into s. Ranges are read in (address, bank,
// page, offset) order so that each page is selected once. A refused range
// (page not present) does not stop the others and is reported in a
// *FetchError; any other error (absent module, bus failure, context) stops
// the fetch and is returned as it is.
//
// Fetch gives mem the BusRules first; a Reader does that once.
func Fetch(ctx context.Context, mem i2c.Memory, ranges []cmis.Range, s *cmis.Snapshot) error {
	if err := bind(mem); err != nil {
		return err
	}
	return fetch(ctx, mem, ranges, s)
}

func fetch(ctx context.Context, mem i2c.Memory, ranges []cmis.Range, s *cmis.Snapshot) error {
	rs := ranges
	// The plans a poller fetches every cycle mostly come in this order
	// already: no copy to sort then.
	if !slices.IsSortedFunc(rs, rangeCompare) {
		rs = SortRanges(ranges)
	}
	var fe *FetchError
	buf := make([]byte, cmis.PageSize)
	for _, r := range rs {
		addr := r.Page.Addr
		if addr == 0 {
			addr = i2c.AddrA0
		}
		b := buf[:r.Length]
		err := mem.Read(ctx, addr, r.Page.Bank, r.Page.Page, r.Offset, b)
		if errors.Is(err, i2c.ErrRefused) {
			if fe == nil {
				fe = &FetchError{Module: mem.String(), Err: err}
			}
			fe.Refused = append(fe.Refused, r)
			continue
		}
		if err != nil {
			return err
		}
		if err := s.Set(r.Page, r.Offset, b); err != nil {
			return err
		}
	}
	if fe != nil {
		return fe
	}
	return nil
}

// SortRanges returns a copy of rs in the order Fetch reads them.
func SortRanges(rs []cmis.Range) []cmis.Range {
	out := append([]cmis.Range(nil), rs...)
	slices.SortStableFunc(out, rangeCompare)
	return out
}

// rangeCompare is rangeLess as a comparison.
func rangeCompare(a, b cmis.Range) int {
	switch {
	case rangeLess(a, b):
		return -1
	case rangeLess(b, a):
		return 1
	}
	return 0
}

// rangeLess orders lower memory first (no page select), then upper pages
// by address, bank and page: one select per page, and a bank change only
// when the banks run out.
func rangeLess(a, b cmis.Range) bool {
	if a.Page.Addr != b.Page.Addr {
		return a.Page.Addr < b.Page.Addr
	}
	if a.Page.Lower != b.Page.Lower {
		return a.Page.Lower
	}
	if a.Page.Bank != b.Page.Bank {
		return a.Page.Bank < b.Page.Bank
	}
	if a.Page.Page != b.Page.Page {
		return a.Page.Page < b.Page.Page
	}
	return a.Offset < b.Offset
}

// ReadStatic reads a module's static memory (identity, advertisement,
// thresholds, VDM descriptors and thresholds) into s, following cmis.Plan
// round by round. Refused ranges are skipped, not retried, and returned in
// a *FetchError after everything else was read.
// It gives mem the BusRules first.
func ReadStatic(ctx context.Context, mem i2c.Memory, s *cmis.Snapshot) error {
	if err := bind(mem); err != nil {
		return err
	}
	return readStatic(ctx, mem, s)
}

func readStatic(ctx context.Context, mem i2c.Memory, s *cmis.Snapshot) error {
	refused := map[cmis.Range]bool{}
	var first *FetchError
	for round := 0; round < 8; round++ {
		var todo []cmis.Range
		for _, r := range cmis.Plan(s, cmis.Static) {
			if !refused[r] {
				todo = append(todo, r)
			}
		}
		if len(todo) == 0 {
			break
		}
		err := fetch(ctx, mem, todo, s)
		var fe *FetchError
		if errors.As(err, &fe) {
			for _, r := range fe.Refused {
				refused[r] = true
			}
			if first == nil {
				first = fe
			} else {
				first.Refused = append(first.Refused, fe.Refused...)
			}
			continue
		}
		if err != nil {
			return err
		}
	}
	if first != nil {
		return first
	}
	return nil
}
