package plural

import "testing"

func TestCount(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{0, "0 buses"}, {1, "1 bus"}, {2, "2 buses"}, {-1, "-1 buses"}, {1 << 40, "1099511627776 buses"},
	} {
		if got := Count(tc.n, "bus", "buses"); got != tc.want {
			t.Errorf("Count(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
	if got := Count(1, "group", "groups"); got != "1 group" {
		t.Errorf("int: %q", got)
	}
}
