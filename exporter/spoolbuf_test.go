package exporter

import "testing"

func TestReuseBound(t *testing.T) {
	tests := []struct {
		name     string
		uses     []int // bytes used, in order, each in a buffer of capacity = the use
		capacity int   // then: the capacity of the buffer offered after them
		last     int   // and its use
		keep     bool
	}{
		{"steady batches", []int{400 << 10, 410 << 10, 395 << 10}, 512 << 10, 400 << 10, true},
		{"small buffers always", nil, 60 << 10, 10, true},
		{"burst kept at once", []int{30 << 10}, 3 << 20, 3 << 20, true},
		{"burst let go after the steady state returns", repeat(3<<20, 1, 30<<10, 60), 3 << 20, 30 << 10, false},
		{"burst kept while uses stay near it", repeat(3<<20, 1, 2<<20, 60), 3 << 20, 2 << 20, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var r reuseBound
			for _, u := range tc.uses {
				r.keep(u, u)
			}
			if got := r.keep(tc.last, tc.capacity); got != tc.keep {
				t.Errorf("keep(%d, %d) after %d uses = %v (high mark %d), want %v", tc.last, tc.capacity, len(tc.uses), got, r.high, tc.keep)
			}
		})
	}
}

// repeat is n1 uses of a bytes, then n2 of b bytes.
func repeat(a, n1, b, n2 int) []int {
	var out []int
	for range n1 {
		out = append(out, a)
	}
	for range n2 {
		out = append(out, b)
	}
	return out
}
