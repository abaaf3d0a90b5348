// Package plural writes a count with its noun in the right number, so
// that ddm says "1 group" and "2 groups", never "1 groups" or "group(s)".
package plural

import "strconv"

// Count returns n followed by singular when n is 1, else by plural.
func Count[N ~int | ~int64](n N, singular, plural string) string {
	noun := plural
	if n == 1 {
		noun = singular
	}
	return strconv.FormatInt(int64(n), 10) + " " + noun
}
