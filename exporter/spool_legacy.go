package exporter

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"sort"
)

// importLegacyLocked moves the points of a spool in ddm's earlier format
// (github.com/tidwall/wal, binary: a uvarint length and the bytes, one line
// per entry, in segment files named by their first index in 20 digits) into
// this one, oldest first, removing each old segment once its lines are on
// disk in the new format. A write that fails (a full disk) stops the import
// and leaves the rest for the next start; lines imported twice that way are
// sent twice, which InfluxDB absorbs (same series and timestamp).
func (s *spool) importLegacyLocked() {
	des, err := os.ReadDir(s.dir)
	if err != nil {
		return
	}
	type legacySeg struct {
		idx  uint64
		path string
	}
	var segs []legacySeg
	var temps []string
	for _, de := range des {
		idx, temp, ok := legacySegIndex(de.Name())
		if !ok || !de.Type().IsRegular() {
			continue
		}
		if temp {
			temps = append(temps, filepath.Join(s.dir, de.Name()))
			continue
		}
		segs = append(segs, legacySeg{idx, filepath.Join(s.dir, de.Name())})
	}
	if len(segs) == 0 && len(temps) == 0 {
		return
	}
	sort.Slice(segs, func(i, j int) bool { return segs[i].idx < segs[j].idx })
	var imported, lost int64
	for _, g := range segs {
		data, err := os.ReadFile(g.path)
		if err != nil {
			s.logger.Warn("spool: cannot read a segment of the earlier format; left in place", "path", g.path, "err", err)
			return
		}
		var lines [][]byte
		if splitEntries(data, func(e []byte) {
			if validLine(e) != nil {
				lost++
				return
			}
			lines = append(lines, e)
		}) > 0 {
			lost++
		}
		for i := 0; i < len(lines); i += 1000 {
			chunk := lines[i:min(i+1000, len(lines))]
			var payload []byte
			for _, l := range chunk {
				payload = append(append(payload, l...), '\n')
			}
			if err := s.writeLocked(payload, int64(len(chunk))); err != nil {
				s.logger.Warn("spool: importing the earlier format stopped; the rest stays for the next start", "path", g.path, "err", err)
				return
			}
			imported += int64(len(chunk))
		}
		s.removeSegFile(g.path)
	}
	for _, p := range temps {
		s.removeSegFile(p)
	}
	s.corrupt += lost
	s.logger.Info("spool: imported the earlier spool format", "dir", s.dir, "points", imported, "lost_points", lost)
}

// splitEntries splits a segment of the earlier format (uvarint length, then
// the bytes) and calls fn with each entry. It returns the number of bytes
// at the end that do not form an entry.
func splitEntries(data []byte, fn func(e []byte)) (torn int) {
	for len(data) > 0 {
		size, n := binary.Uvarint(data)
		if n <= 0 || uint64(len(data)-n) < size {
			return len(data)
		}
		end := n + int(size)
		fn(data[n:end])
		data = data[end:]
	}
	return 0
}
