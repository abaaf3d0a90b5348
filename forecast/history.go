package forecast

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// Default history shape: 2-hour buckets over 28 days, 336 buckets. A month
// at 1-second samples is then ~10 KB per series, and the trend still sees
// the daily cycle averaged out and a step within two hours.
const (
	DefaultBucket = 2 * time.Hour
	DefaultSpan   = 28 * 24 * time.Hour
)

// History is one series, downsampled into fixed time buckets on the scale
// its quantity is fitted on, oldest first, at most Span/Bucket buckets (the
// oldest are dropped). The zero value is not usable: make one with
// NewHistory. Its fields are exported so it encodes to JSON as it is; a
// decoded History is checked by Validate before use.
type History struct {
	// Scale of the stored values (Log10 for BER, DB for optical power).
	Scale Scale `json:"scale"`
	// BucketSeconds is the width of a bucket.
	BucketSeconds int64 `json:"bucket_s"`
	// MaxBuckets bounds len(Buckets).
	MaxBuckets int `json:"max_buckets"`
	// Buckets, by Start ascending, no two with the same Start.
	Buckets []Bucket `json:"buckets"`
}

// Validate's bounds.
const (
	maxBucketSeconds = 366 * 24 * 3600
	maxBuckets       = 1 << 20
	maxStart         = 1 << 40 // seconds: about year 36800
)

// Bucket sums the samples of one bucket. Its value is the mean without the
// lowest and highest sample when it holds three or more, so one spike
// inside a bucket does not move it.
type Bucket struct {
	// Start is the bucket's start, Unix seconds, a multiple of the width.
	Start int64   `json:"t"`
	N     uint32  `json:"n"`
	Sum   float64 `json:"sum"`
	Min   float32 `json:"min"`
	Max   float32 `json:"max"`
}

// Value is the bucket's robust mean.
func (b Bucket) Value() float64 {
	if b.N >= 3 {
		return (b.Sum - float64(b.Min) - float64(b.Max)) / float64(b.N-2)
	}
	return b.Sum / float64(b.N)
}

// NewHistory returns an empty history of buckets of width bucket kept over
// span (both rounded to whole seconds; zero or less takes the defaults).
func NewHistory(scale Scale, bucket, span time.Duration) *History {
	if bucket < time.Second {
		bucket = DefaultBucket
	}
	if span < bucket {
		span = DefaultSpan
	}
	return &History{
		Scale:         scale,
		BucketSeconds: int64(bucket / time.Second),
		MaxBuckets:    int(span / bucket),
		Buckets:       make([]Bucket, 0, 16),
	}
}

// Validate checks a decoded history: a positive width and bound, buckets
// aligned, ascending and within the bound, finite sums.
func (h *History) Validate() error {
	// Bounds far beyond any use keep the time arithmetic from overflowing
	// and a damaged file from asking for gigabytes.
	if h.BucketSeconds <= 0 || h.BucketSeconds > maxBucketSeconds || h.MaxBuckets <= 0 || h.MaxBuckets > maxBuckets {
		return fmt.Errorf("forecast: history: bucket width %d s (1 to %d) or bound %d (1 to %d) out of range", h.BucketSeconds, int64(maxBucketSeconds), h.MaxBuckets, maxBuckets)
	}
	if h.Scale != Linear && h.Scale != Log10 && h.Scale != DB {
		return fmt.Errorf("forecast: history: unknown scale %d", h.Scale)
	}
	if len(h.Buckets) > h.MaxBuckets {
		return fmt.Errorf("forecast: history: %d buckets, bound %d", len(h.Buckets), h.MaxBuckets)
	}
	for i, b := range h.Buckets {
		switch {
		case b.Start < -maxStart || b.Start > maxStart:
			return fmt.Errorf("forecast: history: bucket %d starts at %d, beyond year 30000", i, b.Start)
		case b.Start%h.BucketSeconds != 0:
			return fmt.Errorf("forecast: history: bucket %d starts at %d, not a multiple of %d s", i, b.Start, h.BucketSeconds)
		case i > 0 && b.Start <= h.Buckets[i-1].Start:
			return fmt.Errorf("forecast: history: bucket %d (%d) not after bucket %d (%d)", i, b.Start, i-1, h.Buckets[i-1].Start)
		case b.N == 0 || math.IsNaN(b.Sum) || math.IsInf(b.Sum, 0):
			return fmt.Errorf("forecast: history: bucket %d is empty or not finite", i)
		}
	}
	return nil
}

// Len is the number of buckets held.
func (h *History) Len() int { return len(h.Buckets) }

// Add adds one sample, in the quantity's own unit (a BER, not its log). A
// value that cannot be fitted (NaN, Inf) is ignored and Add returns false.
// Samples may come in any order: one older than the newest bucket goes
// into its own bucket (found by binary search), and one older than the
// bound is dropped.
func (h *History) Add(t time.Time, v float64) bool {
	m, ok := h.Scale.ToModel(v)
	if !ok {
		return false
	}
	start := floorDiv(t.Unix(), h.BucketSeconds) * h.BucketSeconds
	n := len(h.Buckets)
	if n > 0 && h.Buckets[n-1].Start == start {
		h.Buckets[n-1].add(m)
		return true
	}
	if n == 0 || h.Buckets[n-1].Start < start {
		if n == h.MaxBuckets {
			copy(h.Buckets, h.Buckets[1:])
			h.Buckets = h.Buckets[:n-1]
		}
		h.Buckets = append(h.Buckets, newBucket(start, m))
		h.trim(start)
		return true
	}
	// Out of order: an older bucket.
	if start <= h.Buckets[n-1].Start-h.BucketSeconds*int64(h.MaxBuckets) {
		return false
	}
	i := sort.Search(n, func(i int) bool { return h.Buckets[i].Start >= start })
	if h.Buckets[i].Start == start {
		h.Buckets[i].add(m)
		return true
	}
	if n == h.MaxBuckets {
		if i == 0 {
			return false
		}
		// Drop the oldest to make room.
		copy(h.Buckets, h.Buckets[1:i])
		h.Buckets[i-1] = newBucket(start, m)
		return true
	}
	h.Buckets = append(h.Buckets, Bucket{})
	copy(h.Buckets[i+1:], h.Buckets[i:])
	h.Buckets[i] = newBucket(start, m)
	return true
}

// DropBefore drops the buckets that hold samples from before t (the
// bucket holding t too, unless t is its start): the history of another
// module in the same cage. It returns how many were dropped.
func (h *History) DropBefore(t time.Time) int {
	cut := t.Unix()
	k := sort.Search(len(h.Buckets), func(i int) bool { return h.Buckets[i].Start >= cut })
	if k > 0 {
		h.Buckets = h.Buckets[:copy(h.Buckets, h.Buckets[k:])]
	}
	return k
}

// trim drops buckets older than the span before newest.
func (h *History) trim(newest int64) {
	oldest := newest - h.BucketSeconds*int64(h.MaxBuckets-1)
	k := 0
	for k < len(h.Buckets) && h.Buckets[k].Start < oldest {
		k++
	}
	if k > 0 {
		h.Buckets = h.Buckets[:copy(h.Buckets, h.Buckets[k:])]
	}
}

func newBucket(start int64, m float64) Bucket {
	return Bucket{Start: start, N: 1, Sum: m, Min: float32(m), Max: float32(m)}
}

func (b *Bucket) add(m float64) {
	b.N++
	b.Sum += m
	if f := float32(m); f < b.Min {
		b.Min = f
	} else if f > b.Max {
		b.Max = f
	}
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && (a < 0) {
		q--
	}
	return q
}

// Rescaled returns a copy of h on scale to: each bucket's robust mean,
// minimum and maximum mapped through the quantity's unit, its count kept.
// The mean of the logs is not the log of the mean, but within one bucket
// they differ far less than the noise. It carries a history saved by an
// older ddm (optical power fitted in mW) over to the dB scale.
func (h *History) Rescaled(to Scale) (*History, error) {
	out := *h
	out.Scale = to
	out.Buckets = make([]Bucket, 0, len(h.Buckets))
	for i, b := range h.Buckets {
		v, ok1 := to.ToModel(h.Scale.FromModel(b.Value()))
		lo, ok2 := to.ToModel(h.Scale.FromModel(float64(b.Min)))
		hi, ok3 := to.ToModel(h.Scale.FromModel(float64(b.Max)))
		if !ok1 || !ok2 || !ok3 {
			return nil, fmt.Errorf("forecast: history: bucket %d cannot be put on scale %d", i, to)
		}
		nb := Bucket{Start: b.Start, N: b.N, Min: float32(lo), Max: float32(hi), Sum: float64(b.N) * v}
		if b.N >= 3 {
			// Value() leaves the extremes out: keep it at v.
			nb.Sum = float64(b.N-2)*v + float64(nb.Min) + float64(nb.Max)
		}
		out.Buckets = append(out.Buckets, nb)
	}
	return &out, nil
}
