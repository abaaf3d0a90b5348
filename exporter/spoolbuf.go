package exporter

// reuseBound decides whether a buffer that is used over and over (the
// writer's queue, the spool's record and batch buffers, the request body)
// is kept for the next use or left to the garbage collector. Kept, it
// saves the allocation and copying of growing a new one each time; kept
// after a burst (insertion reads, a VDM cycle of every port, an outage's
// backlog) it would hold memory the steady state never uses, and the heap
// the collector lets grow is twice what it holds. So a buffer is kept
// while its capacity is within twice the largest use of late: that high
// mark follows a larger use at once and decays by a sixteenth per use
// (to a twentieth of it after about 50 uses, a few seconds of the
// spooler's passes).
type reuseBound struct {
	high int
}

// reuseFloor is kept whatever the uses: small enough not to matter.
const reuseFloor = 64 << 10

// keep records a use of used bytes and reports whether a buffer of
// capacity bytes should be kept.
func (r *reuseBound) keep(used, capacity int) bool {
	r.high = max(used, r.high-r.high/16)
	return capacity <= max(2*r.high, reuseFloor)
}

// bytes returns b emptied for the next use, or nil if it should not be kept.
func (r *reuseBound) bytes(b []byte) []byte {
	if !r.keep(len(b), cap(b)) {
		return nil
	}
	return b[:0]
}
