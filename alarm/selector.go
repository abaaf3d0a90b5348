package alarm

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/ddm-agent/ddm/cmis"
)

// matcher matches a string against a list of globs (any may match). A nil
// matcher matches everything.
type matcher struct {
	exact map[string]bool
	re    *regexp.Regexp
}

func (m *matcher) match(s string) bool {
	if m == nil {
		return true
	}
	if m.exact[s] {
		return true
	}
	return m.re != nil && m.re.MatchString(s)
}

// compileGlobs builds a matcher; the error names the bad glob.
func compileGlobs(globs []string) (*matcher, error) {
	if len(globs) == 0 {
		return nil, nil
	}
	m := &matcher{exact: map[string]bool{}}
	var res []string
	for _, g := range globs {
		re, literal, err := GlobRegexp(g)
		if err != nil {
			return nil, err
		}
		if literal {
			m.exact[unescape(g)] = true
			continue
		}
		res = append(res, re)
	}
	if len(res) > 0 {
		m.re = regexp.MustCompile("^(?:" + strings.Join(res, "|") + ")$")
	}
	return m, nil
}

// unescape drops the escaping backslashes of a literal glob.
func unescape(g string) string {
	if !strings.Contains(g, `\`) {
		return g
	}
	var b strings.Builder
	for i := 0; i < len(g); i++ {
		if g[i] == '\\' && i+1 < len(g) {
			i++
		}
		b.WriteByte(g[i])
	}
	return b.String()
}

// GlobRegexp translates a glob into an unanchored regular expression (Go
// RE2 syntax, which InfluxQL's =~ /.../ also uses): * is any run of
// characters, ? one character, [a-z] and [!a-z] classes, \ escapes the next
// character. literal is true when the glob has no wildcard (and the regexp
// matches exactly the glob). Anchor the result for InfluxQL: /^(?:re)$/.
func GlobRegexp(glob string) (re string, literal bool, err error) {
	if glob == "" {
		return "", false, fmt.Errorf("empty glob")
	}
	var b strings.Builder
	literal = true
	for i := 0; i < len(glob); i++ {
		c := glob[i]
		switch c {
		case '*':
			literal = false
			b.WriteString(".*")
		case '?':
			literal = false
			b.WriteString(".")
		case '\\':
			if i+1 >= len(glob) {
				return "", false, fmt.Errorf("glob %q ends in a lone \\", glob)
			}
			i++
			b.WriteString(regexp.QuoteMeta(glob[i : i+1]))
		case '[':
			literal = false
			class, end, err := globClass(glob, i)
			if err != nil {
				return "", false, err
			}
			b.WriteString(class)
			i = end
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	if _, err := regexp.Compile(b.String()); err != nil {
		return "", false, fmt.Errorf("glob %q: %v", glob, err)
	}
	return b.String(), literal, nil
}

// globClass translates the class that opens at glob[start] ('[') into a
// regexp class and returns it with the position of its closing ].
func globClass(glob string, start int) (class string, end int, err error) {
	end = classEnd(glob, start)
	if end >= len(glob) {
		return "", 0, fmt.Errorf("glob %q has an unclosed [", glob)
	}
	members := glob[start+1 : end]
	neg := false
	if members != "" && (members[0] == '!' || members[0] == '^') {
		neg, members = true, members[1:]
	}
	if members == "" {
		return "", 0, fmt.Errorf("glob %q has an empty []", glob)
	}
	class = classRegexp(members, neg)
	if _, err := regexp.Compile(class); err != nil {
		return "", 0, fmt.Errorf("glob %q has a bad class [%s]", glob, glob[start+1:end])
	}
	return class, end, nil
}

// classEnd is the position of the ] that closes the class opening at
// glob[start], or len(glob) when none does. A ] first in the class (after
// its negation) is a member, and \ escapes the next character.
func classEnd(glob string, start int) int {
	end := start + 1
	if end < len(glob) && (glob[end] == '!' || glob[end] == '^') {
		end++
	}
	if end < len(glob) && glob[end] == ']' {
		end++
	}
	for end < len(glob) && glob[end] != ']' {
		if glob[end] == '\\' {
			end++
		}
		end++
	}
	return end
}

// classRegexp writes a glob class's members as a regexp class, escaping
// what regexp classes treat specially.
func classRegexp(members string, neg bool) string {
	var cb strings.Builder
	cb.WriteByte('[')
	if neg {
		cb.WriteByte('^')
	}
	for j := 0; j < len(members); j++ {
		switch ch := members[j]; ch {
		case '\\':
			j++
			if j < len(members) {
				cb.WriteString(`\` + members[j:j+1])
			}
		case '[', ']', '^':
			cb.WriteString(`\` + string(ch))
		default:
			cb.WriteByte(ch)
		}
	}
	cb.WriteByte(']')
	return cb.String()
}

// lane reports whether the selector admits a lane (1-based).
func (s *Selector) lane(n int) bool {
	if s.laneMask == 0 {
		return true
	}
	return n >= 1 && n <= 64 && s.laneMask&(1<<(n-1)) != 0
}

// matchModule reports whether the selector admits a port and module
// identity. A rule with identity selectors does not apply until the
// module's identity is known.
func (s *Selector) matchModule(port string, id *identity) bool {
	if !s.port.match(port) {
		return false
	}
	if s.ident == nil && s.vendor == nil && s.pn == nil && s.media == nil {
		return true
	}
	if id == nil {
		return false
	}
	if !s.ident.match(id.identifier) || !s.vendor.match(id.vendor) || !s.pn.match(id.partNumber) {
		return false
	}
	if s.media != nil {
		for _, mi := range id.media {
			if s.media.match(mi) {
				return true
			}
		}
		return false
	}
	return true
}

// identity is what identity selectors look at, kept per port.
type identity struct {
	identifier, vendor, partNumber, serial string
	media                                  []string
}

func identityOf(m *cmis.Module) *identity {
	id := &identity{identifier: m.Identifier, vendor: m.Vendor, partNumber: m.PartNumber, serial: m.SerialNumber}
	for _, a := range m.Applications {
		if indexOf(id.media, a.MediaInterface) < 0 {
			id.media = append(id.media, a.MediaInterface)
		}
	}
	return id
}

// same reports whether a module still has this identity. Cheap: it runs
// on every sample.
func (id *identity) same(m *cmis.Module) bool {
	return id.serial == m.SerialNumber && id.partNumber == m.PartNumber && id.vendor == m.Vendor &&
		id.identifier == m.Identifier && (len(id.media) > 0 || len(m.Applications) == 0)
}

// swapped reports whether m is a different module from id (not the same
// module whose identity pages were read for the first time).
func (id *identity) swapped(m *cmis.Module) bool {
	if id.serial != "" && m.SerialNumber != "" && id.serial != m.SerialNumber {
		return true
	}
	return id.partNumber != "" && m.PartNumber != "" && id.partNumber != m.PartNumber
}
