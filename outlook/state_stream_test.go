package outlook

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/forecast"
)

// monthOfPorts is a tracker holding 28 days of 20-minute samples of n
// ports of 8-lane modules.
func monthOfPorts(n int) (*Tracker, time.Time) {
	tr := New()
	end := t0.Add(28 * day)
	for p := range n {
		name := "Ethernet" + strconv.Itoa(p+1)
		m := &cmis.Module{PartNumber: "PN", SerialNumber: "SN" + name}
		tr.ports[name] = &port{series: map[Key]*forecast.History{}, identity: identityOf(m), last: m}
		for l := 1; l <= 8; l++ {
			for _, q := range []string{cmis.QTxBias, cmis.QRxPower} {
				h := tr.history(tr.ports[name], Key{l, q})
				for t := t0; t.Before(end); t = t.Add(20 * time.Minute) {
					h.Add(t, 1+float64(t.Unix()%7)*1e-3)
				}
			}
		}
	}
	return tr, end
}

// TestSaveStreamsByPort: Save writes the same JSON as encoding the whole
// file at once, without ever holding the whole file's JSON: no piece it
// writes is larger than one port's (BenchmarkSaveFullSwitch gives the
// allocations).
func TestSaveStreamsByPort(t *testing.T) {
	tr, end := monthOfPorts(8)
	var zipped bytes.Buffer
	if err := tr.Save(&zipped, end); err != nil {
		t.Fatal(err)
	}
	var w largestWrite
	if err := tr.encodePorts(&w, end); err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(zipped.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	streamed, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}

	// The file as one stateFile encoded whole.
	f := stateFile{Version: stateVersion, Saved: end.UTC()}
	largestPort := 0
	for _, n := range tr.sortedPorts() {
		p := tr.ports[n]
		sp := statePort{Port: n, identity: p.identity}
		for _, k := range p.sortedKeys() {
			sp.Series = append(sp.Series, stateSeries{Lane: k.Lane, Quantity: k.Quantity, History: p.series[k]})
		}
		f.Ports = append(f.Ports, sp)
		j, err := json.Marshal(&sp)
		if err != nil {
			t.Fatal(err)
		}
		largestPort = max(largestPort, len(j)+1)
	}
	whole, err := json.Marshal(&f)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	if err := json.Unmarshal(streamed, &a); err != nil {
		t.Fatalf("streamed file is not JSON: %v", err)
	}
	if err := json.Unmarshal(whole, &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("streamed file differs from the whole file's encoding")
	}
	if w.largest > largestPort {
		t.Errorf("largest piece of JSON written at once: %d bytes; want at most a port's %d (the whole file is %d)", w.largest, largestPort, len(whole))
	}

	// And Load reads it back.
	back := New()
	if warn, err := back.Load(bytes.NewReader(zipped.Bytes())); err != nil || len(warn) > 0 {
		t.Fatalf("Load: %v %q", err, warn)
	}
	if len(back.ports) != 8 {
		t.Fatalf("loaded %d ports, want 8", len(back.ports))
	}
}

// largestWrite records the largest Write it is given.
type largestWrite struct{ largest int }

func (w *largestWrite) Write(p []byte) (int, error) {
	w.largest = max(w.largest, len(p))
	return len(p), nil
}
