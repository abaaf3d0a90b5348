// Package tagvalue says whether a string may be a tag value: the host
// name, a port name, an alarm rule's label. Such a value goes into every
// point's series key (InfluxDB), a Prometheus label and a journal line; a
// newline or other control character breaks or splits each of them, so it
// is refused where it is configured rather than found later as points
// that never arrive.
package tagvalue

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxLen is the longest tag value accepted, in bytes: far beyond any host
// or port name (a DNS name is at most 253), short enough to keep a series
// key readable.
const MaxLen = 256

// Check returns nil if s is a usable tag value, else an error that says
// what is wrong with it (the caller adds which key and where).
func Check(s string) error {
	switch {
	case s == "":
		return fmt.Errorf("is empty")
	case len(s) > MaxLen:
		return fmt.Errorf("is %d bytes long, more than %d", len(s), MaxLen)
	case !utf8.ValidString(s):
		return fmt.Errorf("%q is not valid UTF-8", s)
	case strings.TrimSpace(s) != s:
		return fmt.Errorf("%q begins or ends with white space (a YAML block scalar such as '|' keeps its final newline)", s)
	}
	for i, r := range s {
		if unicode.IsControl(r) {
			return fmt.Errorf("%q holds a control character (%U at byte %d)", s, r, i)
		}
	}
	return nil
}
