package alarm

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

func (p *parser) selector(n *yaml.Node, s *Selector) {
	globs := func(v *yaml.Node, key string, dst *[]string, m **matcher) {
		vals, lines := p.strList(v, key)
		for i, g := range vals {
			if _, _, err := GlobRegexp(g); err != nil {
				p.errf(lines[i], "match.%s: bad selector: %v", key, err)
				return
			}
		}
		*dst = vals
		*m, _ = compileGlobs(vals)
	}
	p.mapping(n, func(key string, k, v *yaml.Node) {
		switch key {
		case "port":
			globs(v, key, &s.Port, &s.port)
		case "identifier":
			globs(v, key, &s.Identifier, &s.ident)
		case "vendor":
			globs(v, key, &s.Vendor, &s.vendor)
		case "part_number":
			globs(v, key, &s.PartNumber, &s.pn)
		case "media_interface":
			globs(v, key, &s.MediaInterface, &s.media)
		case "lane":
			p.lanes(v, s)
		default:
			p.errf(k.Line, "unknown selector %q (port, lane, identifier, vendor, part_number, media_interface)", key)
		}
	})
}

// lanes reads 3, [1, 2], "1-4" or ["1-4", 8].
func (p *parser) lanes(n *yaml.Node, s *Selector) {
	vals, lines := p.strList(n, "match.lane")
	for i, v := range vals {
		lo, hi, isRange := strings.Cut(v, "-")
		a, err1 := strconv.Atoi(strings.TrimSpace(lo))
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.Atoi(strings.TrimSpace(hi))
		}
		if err1 != nil || err2 != nil || a < 1 || b > 64 || a > b {
			p.errf(lines[i], "match.lane: bad selector %q: lanes are 1-64, written 3 or 1-4", v)
			continue
		}
		for l := a; l <= b; l++ {
			if s.laneMask&(1<<(l-1)) == 0 {
				s.Lanes = append(s.Lanes, l)
			}
			s.laneMask |= 1 << (l - 1)
		}
	}
}
