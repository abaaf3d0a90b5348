package tagvalue

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"leaf01", ""},
		{"Ethernet1/1", ""},
		{"rack 3 leaf", ""},
		{"交换机-1", ""},
		{"", "is empty"},
		{"leaf01\n", "ends with white space"},
		{" leaf01", "begins or ends with white space"},
		{"leaf\n01", "control character (U+000A at byte 4)"},
		{"leaf\x0001", "control character (U+0000"},
		{"leaf\u008501", "control character (U+0085"},
		{"leaf\xff", "not valid UTF-8"},
		{strings.Repeat("a", MaxLen+1), "is 257 bytes long, more than 256"},
	} {
		err := Check(tc.in)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("Check(%q) = %v", tc.in, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("Check(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
}
