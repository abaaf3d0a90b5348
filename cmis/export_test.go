package cmis

// DecodeFast exposes Layout.decodeFast to the external tests, which check
// that the fast path, not its slow fallback, decoded what they compare.
func DecodeFast(l *Layout, dst *Module, read *Snapshot) bool { return l.decodeFast(dst, read) }

// ReadByPlan plays the pager over src, the module's memory: it reads the
// Static plan round by round into a new snapshot (a range src does not
// hold is a page the module refuses), makes the Layout of what it read,
// and returns it with a snapshot of the ranges of plans (Fast, VDM) that
// src holds: one cycle's read.
func ReadByPlan(t interface{ Fatal(...any) }, src *Snapshot, plans ...Cadence) (*Layout, *Snapshot, *Snapshot) {
	static := NewSnapshot()
	for round := 0; ; round++ {
		if round == 10 {
			t.Fatal("static plan did not settle in 10 rounds")
		}
		progress := false
		for _, r := range Plan(static, Static) {
			if b := src.Bytes(r.Page, r.Offset, r.Length); b != nil {
				_ = static.Set(r.Page, r.Offset, b)
				progress = true
			}
		}
		if !progress {
			break
		}
	}
	l, err := NewLayout(static)
	if err != nil {
		t.Fatal(err)
	}
	read := NewSnapshot()
	ReadInto(l, src, read, plans...)
	return l, static, read
}

// ReadInto resets read and copies into it the ranges of l's plans that src
// holds.
func ReadInto(l *Layout, src, read *Snapshot, plans ...Cadence) {
	read.Reset()
	for _, c := range plans {
		for _, r := range l.Plan(c) {
			if b := src.Bytes(r.Page, r.Offset, r.Length); b != nil {
				_ = read.Set(r.Page, r.Offset, b)
			}
		}
	}
}
