package emulator

// pageSize is the size of lower memory and of every upper page.
const pageSize = 128

// win names one 128-byte window of module memory: lower memory (bytes
// 0-127) or an upper page (bytes 128-255) at a device address.
type win struct {
	addr  uint16
	lower bool
	bank  uint8
	page  uint8
}

func lowerWin(addr uint16) win                   { return win{addr: addr, lower: true} }
func upperWin(addr uint16, bank, page uint8) win { return win{addr: addr, bank: bank, page: page} }

// memory is a module's memory: the windows it has.
type memory struct {
	w map[win]*[pageSize]byte
}

func newMemory() *memory { return &memory{w: map[win]*[pageSize]byte{}} }

// get returns the window, or nil if the module does not have it.
func (m *memory) get(k win) *[pageSize]byte { return m.w[k] }

// ensure returns the window, creating it (all zeros) if needed.
func (m *memory) ensure(k win) *[pageSize]byte {
	p := m.w[k]
	if p == nil {
		p = new([pageSize]byte)
		m.w[k] = p
	}
	return p
}

func (m *memory) clone() *memory {
	c := &memory{w: make(map[win]*[pageSize]byte, len(m.w))}
	for k, p := range m.w {
		cp := *p
		c.w[k] = &cp
	}
	return c
}

// span is a checksum: the low 8 bits of the sum of I2C offsets [from, at)
// of window w, stored at offset at.
type span struct {
	w        win
	from, at int
}

// fix recomputes the checksum of s, if the module has the window.
func (m *memory) fix(s span) {
	p := m.get(s.w)
	if p == nil {
		return
	}
	base := 0
	if !s.w.lower {
		base = pageSize
	}
	var sum byte
	for _, b := range p[s.from-base : s.at-base] {
		sum += b
	}
	p[s.at-base] = sum
}

// window byte accessors, by I2C offset (0-127 lower, 128-255 upper).

func idx(off int) int { return off % pageSize }

func put16(p *[pageSize]byte, off int, v uint16) {
	p[idx(off)] = byte(v >> 8)
	p[idx(off+1)] = byte(v)
}

// putASCII writes s space-padded (or cut) to n bytes at off.
func putASCII(p *[pageSize]byte, off, n int, s string) {
	for i := 0; i < n; i++ {
		c := byte(' ')
		if i < len(s) && s[i] >= 0x20 && s[i] < 0x7f {
			c = s[i]
		}
		p[idx(off+i)] = c
	}
}
