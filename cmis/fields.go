package cmis

import (
	"fmt"
	"strings"
)

// text decodes a fixed-width ASCII field: trailing spaces and NULs trimmed,
// bytes outside printable ASCII shown as '_' (as ethtool does) so that a
// corrupt field never writes control characters to a terminal or a tag.
func text(b []byte) string {
	out := make([]byte, len(b))
	for i, c := range b {
		if c < 0x20 || c > 0x7e {
			c = '_'
		}
		out[i] = c
	}
	return strings.TrimRight(string(out), " _")
}

// oui formats a 3-byte IEEE OUI as "xx:xx:xx".
func oui(b []byte) string { return fmt.Sprintf("%02x:%02x:%02x", b[0], b[1], b[2]) }

// sum8 is the low 8 bits of the sum of b: the checksum of CMIS, SFF-8636 and
// SFF-8472 pages.
func sum8(b []byte) uint8 {
	var s uint8
	for _, v := range b {
		s += v
	}
	return s
}

// verifyChecksum checks the checksum at offset at of page id over [from, at)
// and records the result. It returns false if the checksum fails or the
// bytes were not read (in which case nothing is recorded).
func (m *Module) verifyChecksum(s *Snapshot, id PageID, from, at int) (ok, read bool) {
	b := s.Bytes(id, from, at-from+1)
	if b == nil {
		return false, false
	}
	stored, computed := b[len(b)-1], sum8(b[:len(b)-1])
	m.Checksums = append(m.Checksums, Checksum{Page: id.String(), Offset: at, Stored: stored, Computed: computed, OK: stored == computed})
	if stored != computed {
		m.warnf("%s: checksum at byte %d is %02Xh, bytes %d-%d sum to %02Xh", id, at, stored, from, at-1, computed)
	}
	return stored == computed, true
}

// thresholdSet decodes four big-endian 2-byte thresholds (high alarm, low
// alarm, high warning, low warning) with conv.
func thresholdSet(b []byte, conv func([]byte) float64) Thresholds {
	return Thresholds{
		HighAlarm:   conv(b[0:2]),
		LowAlarm:    conv(b[2:4]),
		HighWarning: conv(b[4:6]),
		LowWarning:  conv(b[6:8]),
	}
}

// markThresholdsChecksumFailed marks every threshold set as decoded from a
// page whose checksum failed. Each management interface takes its module
// thresholds from one page, so the mark applies to all of them.
func (m *Module) markThresholdsChecksumFailed() {
	for q, t := range m.Thresholds {
		t.ChecksumFailed = true
		m.Thresholds[q] = t
	}
}

func (m *Module) setThreshold(name string, t Thresholds) {
	if m.Thresholds == nil {
		m.Thresholds = map[string]Thresholds{}
	}
	m.Thresholds[name] = t
}
