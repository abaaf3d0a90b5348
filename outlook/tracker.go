package outlook

import (
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/forecast"
)

// The forecast quantities: their field names, as in the schema, the
// alarm rules and `ddm forecast`.
const (
	// QPreFECBER is the media side's current pre-FEC BER (the VDM
	// observable pre_fec_ber_media), forecast to the KP4 limit.
	QPreFECBER = "pre_fec_ber"
	// vdmBER is the VDM observable QPreFECBER is read from.
	vdmBER = "pre_fec_ber_media"
)

// Key names one series of a port: a quantity of a lane (Lane 0: the
// module).
type Key struct {
	Lane     int
	Quantity string
}

func (k Key) less(o Key) bool {
	if k.Lane != o.Lane {
		return k.Lane < o.Lane
	}
	return k.Quantity < o.Quantity
}

// Tracker holds the histories of every port. It is safe for concurrent
// use.
type Tracker struct {
	mu     sync.Mutex
	bucket time.Duration
	span   time.Duration
	fit    forecast.Options
	ports  map[string]*port
}

// port is what the tracker keeps about one port.
type port struct {
	identity
	series map[Key]*forecast.History
	// last is the newest module read, lastVDM the newest one with VDM
	// values (fast samples carry none): the limits, cohort values and
	// evidence come from them.
	last, lastVDM *cmis.Module
	lastAt        time.Time
	// results of the last Update, for Diagnose and dump.
	results map[Key]forecast.Result
}

// identity is the module a history belongs to, and its cohort.
type identity struct {
	PartNumber string `json:"part_number,omitempty"`
	Firmware   string `json:"firmware,omitempty"`
	Serial     string `json:"serial_number,omitempty"`
}

func identityOf(m *cmis.Module) identity {
	return identity{PartNumber: strings.TrimSpace(m.PartNumber), Firmware: m.FirmwareVer, Serial: strings.TrimSpace(m.SerialNumber)}
}

// swapped reports whether m is another module than the one the history
// is of: a different serial or part number (a firmware upgrade keeps the
// history, it is the same laser).
func (id identity) swapped(m identity) bool {
	return id.Serial != "" && m.Serial != "" && id.Serial != m.Serial ||
		id.PartNumber != "" && m.PartNumber != "" && id.PartNumber != m.PartNumber
}

// cohort is the key of the module's peers.
func (id identity) cohort() string { return id.PartNumber + "\x00" + id.Firmware }

// New returns an empty tracker with forecast's default history shape.
func New() *Tracker {
	return &Tracker{bucket: forecast.DefaultBucket, span: forecast.DefaultSpan, ports: map[string]*port{}}
}

func (t *Tracker) port(name string) *port {
	p := t.ports[name]
	if p == nil {
		p = &port{series: map[Key]*forecast.History{}}
		t.ports[name] = p
	}
	return p
}

func (t *Tracker) history(p *port, k Key) *forecast.History {
	h := p.series[k]
	if h == nil {
		h = forecast.NewHistory(forecast.ScaleOf(k.Quantity), t.bucket, t.span)
		p.series[k] = h
	}
	return h
}

// Observe adds one read of a port's module at t (the read time). A nil
// module (an empty cage, a failed read) adds nothing: the history waits
// for the module's return, and is dropped if another module comes back.
// Lanes whose data path is not activated add nothing either: their zeros
// are not a trend.
func (t *Tracker) Observe(name string, at time.Time, m *cmis.Module) {
	if m == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.port(name)
	if id := identityOf(m); p.identity.swapped(id) {
		p.series, p.results, p.lastVDM = map[Key]*forecast.History{}, nil, nil
		p.identity = id
	} else if id.PartNumber != "" || id.Serial != "" {
		p.identity = id
	}
	p.last, p.lastAt = m, at
	add := func(k Key, v *float64) {
		if v != nil {
			t.history(p, k).Add(at, *v)
		}
	}
	add(Key{0, cmis.QTemperature}, m.TemperatureC)
	add(Key{0, cmis.QLaserTemperature}, m.LaserTemperatureC)
	for i := range m.Lanes {
		l := &m.Lanes[i]
		if !laneActive(l) {
			continue
		}
		add(Key{l.Lane, cmis.QTxBias}, l.TxBiasMA)
		add(Key{l.Lane, cmis.QTxPower}, l.TxPowerMW)
		add(Key{l.Lane, cmis.QRxPower}, l.RxPowerMW)
	}
	if len(m.VDM) > 0 {
		p.lastVDM = m
		for i := range m.VDM {
			if v := &m.VDM[i]; v.Observable == vdmBER && v.Lane > 0 {
				t.history(p, Key{v.Lane, QPreFECBER}).Add(at, v.Value)
			}
		}
	}
}

// laneActive reports whether a lane's monitors mean something: its data
// path is activated, or the module does not say (SFF modules).
func laneActive(l *cmis.Lane) bool { return l.DataPathState == "" || l.DataPathState == "DPActivated" }

// Ports lists the ports the tracker has history of, sorted.
func (t *Tracker) Ports() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.sortedPorts()
}

// Retain forgets every port not in names (a port removed from the
// configuration), as alarm.Engine.Retain does.
func (t *Tracker) Retain(names []string) {
	keep := map[string]bool{}
	for _, n := range names {
		keep[n] = true
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for n := range t.ports {
		if !keep[n] {
			delete(t.ports, n)
		}
	}
}

// sortedKeys returns a port's series keys in lane, quantity order.
func (p *port) sortedKeys() []Key {
	ks := make([]Key, 0, len(p.series))
	for k := range p.series {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i].less(ks[j]) })
	return ks
}
