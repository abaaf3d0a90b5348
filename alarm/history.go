package alarm

import (
	"slices"
	"time"
)

// history is the bounded summary of one series that rate and baseline
// rules need: a ring of per-interval medians. Each interval ("bucket") is
// Resolution wide (default window/48: 30 min for 24 h); while a bucket is
// open its samples go into a remedian (Rousseeuw and Bassett, "The
// remedian: a robust averaging method for large data sets", JASA 85, 1990):
// three levels of 15 values, each full level passing its median up, so a
// bucket of up to 3375 samples (56 min at 1 s) costs 45 float32s and its
// median is exact for 15 samples and a close estimate beyond. When the
// bucket closes its median goes into the ring. Memory per series is fixed:
// about 180 bytes of remedian plus 12 bytes per bucket (about 800 bytes
// for 24 h at 30 min).
//
// The baseline is the median of the closed buckets inside the window; the
// bucket still open is not part of it, so a drop in progress does not pull
// its own baseline down for up to one resolution, and a drop that lasts
// longer than half the window becomes the new baseline (the alarm clears:
// the change is then the link's new normal).
type history struct {
	width int64 // bucket width in seconds
	span  int64 // window in buckets
	nums  []int64
	vals  []float32
	cur   int64 // open bucket number (unix seconds / width)
	rem   remedian

	// cached per open bucket
	at   int64
	base float64
	ok   bool
}

func newHistory(window, res time.Duration) *history {
	w := int64(res / time.Second)
	if w < 1 {
		w = 1
	}
	span := int64(window/time.Second) / w
	n := span + 2
	h := &history{width: w, span: span, nums: make([]int64, n), vals: make([]float32, n), at: -1}
	for i := range h.nums {
		h.nums[i] = -1
	}
	return h
}

// add records a sample.
func (h *history) add(t time.Time, v float64) {
	b := t.Unix() / h.width
	if b > h.cur {
		if h.rem.count() > 0 {
			h.put(h.cur, h.rem.median())
		}
		h.rem = remedian{}
		h.cur = b
	}
	h.rem.add(float32(v))
}

func (h *history) put(b int64, v float32) {
	i := b % int64(len(h.nums))
	h.nums[i], h.vals[i] = b, v
}

// bucket returns the median of closed bucket b.
func (h *history) bucket(b int64) (float64, bool) {
	if b < 0 {
		return 0, false
	}
	i := b % int64(len(h.nums))
	if h.nums[i] != b {
		return 0, false
	}
	return float64(h.vals[i]), true
}

// baseline returns the median of the closed buckets of the trailing
// window, given at least minBuckets of them; cached per open bucket.
func (h *history) baseline(minBuckets int64, scratch *[]float32) (float64, bool) {
	if h.at == h.cur {
		return h.base, h.ok
	}
	h.at = h.cur
	s := (*scratch)[:0]
	for i, b := range h.nums {
		if b >= h.cur-h.span && b < h.cur {
			s = append(s, h.vals[i])
		}
	}
	*scratch = s
	h.ok = int64(len(s)) >= max(minBuckets, 1)
	if h.ok {
		h.base = float64(median32(s))
	}
	return h.base, h.ok
}

// rate returns the change between the last closed bucket and the one span
// buckets before it (the rule's Per), optionally in percent of the earlier
// value; cached per open bucket.
func (h *history) rate(percent bool) (float64, bool) {
	if h.at == h.cur {
		return h.base, h.ok
	}
	h.at = h.cur
	now, ok1 := h.bucket(h.cur - 1)
	then, ok2 := h.bucket(h.cur - 1 - h.span)
	h.ok = ok1 && ok2
	if !h.ok {
		return 0, false
	}
	h.base = now - then
	if percent {
		if then == 0 {
			h.ok = false
			return 0, false
		}
		h.base = 100 * h.base / abs(then)
	}
	return h.base, h.ok
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// remedian estimates the median of a stream in fixed memory.
type remedian struct {
	buf [remLevels][remBase]float32
	n   [remLevels]uint8
}

const (
	remBase   = 15
	remLevels = 3
)

func (r *remedian) count() int { return int(r.n[0]) + int(r.n[1]) + int(r.n[2]) }

func (r *remedian) add(v float32) {
	for l := 0; l < remLevels; l++ {
		r.buf[l][r.n[l]] = v
		r.n[l]++
		if r.n[l] < remBase {
			return
		}
		v = median32(r.buf[l][:])
		if l == remLevels-1 {
			// The top level is full (over 3375 samples in one bucket):
			// fold it into one value and go on.
			r.buf[l][0], r.n[l] = v, 1
			return
		}
		r.n[l] = 0
	}
}

// median is the weighted median of what the levels hold (a value of
// level l stands for 15^l samples).
func (r *remedian) median() float32 {
	type wv struct {
		v float32
		w int
	}
	var all [remLevels * remBase]wv
	n, total := 0, 0
	w := 1
	for l := 0; l < remLevels; l++ {
		for i := 0; i < int(r.n[l]); i++ {
			all[n] = wv{r.buf[l][i], w}
			n++
			total += w
		}
		w *= remBase
	}
	s := all[:n]
	slices.SortFunc(s, func(a, b wv) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})
	acc := 0
	for i, x := range s {
		acc += x.w
		if 2*acc == total && i+1 < len(s) {
			return (x.v + s[i+1].v) / 2
		}
		if 2*acc >= total {
			return x.v
		}
	}
	return 0
}

// median32 returns the median of s, reordering s.
func median32(s []float32) float32 {
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
