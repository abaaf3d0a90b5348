package outlook

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/exporter"
)

// Querier runs one InfluxQL statement (exporter.InfluxQuerier).
type Querier interface {
	Query(ctx context.Context, influxql string) ([]exporter.QuerySeries, error)
}

// seedQuery is one query of Seed: what it reads and the series each of
// its columns fills.
type seedQuery struct {
	what string
	text string
	// columns maps an answer column to a quantity.
	columns map[string]string
}

// Seed fills the series of ports that have no history yet from what
// InfluxDB holds of this host over the tracker's span before now: the
// mean of each bucket of xcvr_lane, xcvr_module and the media-side
// pre-FEC BER of xcvr_vdm, and the identity of each port's newest module
// from xcvr_info (so that a module swapped since starts afresh at its
// first read). A series that already has history (loaded from the state
// folder) keeps its port out of the seeding. It returns how many series it seeded; an error
// names the query that failed, and the series filled before it stay.
func (t *Tracker) Seed(ctx context.Context, q Querier, host string, ports []string, now time.Time) (int, error) {
	want := map[string]bool{}
	for _, p := range ports {
		want[p] = true
	}
	t.mu.Lock()
	empty := map[string]bool{} // port + key with no history
	for _, p := range ports {
		empty[p] = true
		if tp := t.ports[p]; tp != nil {
			for _, h := range tp.series {
				if h.Len() > 0 {
					empty[p] = false
				}
			}
		}
	}
	t.mu.Unlock()
	bucket := fmt.Sprintf("%ds", int64(t.bucket/time.Second))
	where := fmt.Sprintf(`"host" = %s AND time > %d AND time <= %d`, quote(host), now.Add(-t.span).UnixNano(), now.UnixNano())
	queries := []seedQuery{
		{"lane history", fmt.Sprintf(`SELECT mean("tx_bias_ma") AS "tx_bias_ma", mean("tx_power_mw") AS "tx_power_mw", mean("rx_power_mw") AS "rx_power_mw" FROM "xcvr_lane" WHERE %s GROUP BY time(%s), "port", "lane" fill(none)`, where, bucket),
			map[string]string{"tx_bias_ma": cmis.QTxBias, "tx_power_mw": cmis.QTxPower, "rx_power_mw": cmis.QRxPower}},
		{"module history", fmt.Sprintf(`SELECT mean("temperature_c") AS "temperature_c", mean("laser_temperature_c") AS "laser_temperature_c" FROM "xcvr_module" WHERE %s GROUP BY time(%s), "port" fill(none)`, where, bucket),
			map[string]string{"temperature_c": cmis.QTemperature, "laser_temperature_c": cmis.QLaserTemperature}},
		{"pre-FEC BER history", fmt.Sprintf(`SELECT mean("value") AS "ber" FROM "xcvr_vdm" WHERE "observable" = 'pre_fec_ber' AND "side" = 'media' AND %s GROUP BY time(%s), "port", "lane" fill(none)`, where, bucket),
			map[string]string{"ber": QPreFECBER}},
	}
	ids, err := q.Query(ctx, fmt.Sprintf(`SELECT last("serial_number") AS "sn", last("part_number") AS "pn", last("firmware_version") AS "fw" FROM "xcvr_info" WHERE %s GROUP BY "port"`, where))
	if err != nil {
		return 0, fmt.Errorf("seeding the forecast history from InfluxDB: module identities: %w", err)
	}
	t.mu.Lock()
	for _, s := range ids {
		name := s.Tags["port"]
		if !want[name] || !empty[name] || len(s.Values) == 0 {
			continue
		}
		p := t.port(name)
		p.identity = identity{Serial: cell(s, 0, "sn"), PartNumber: cell(s, 0, "pn"), Firmware: cell(s, 0, "fw")}
	}
	t.mu.Unlock()
	seeded := 0
	for _, sq := range queries {
		series, err := q.Query(ctx, sq.text)
		if err != nil {
			return seeded, fmt.Errorf("seeding the forecast history from InfluxDB: %s: %w", sq.what, err)
		}
		seeded += t.seedSeries(series, sq.columns, want, empty)
	}
	return seeded, nil
}

// seedSeries adds the bucket means of one answer to the empty ports'
// series, each at its bucket's middle, and returns how many series it
// filled.
func (t *Tracker) seedSeries(series []exporter.QuerySeries, columns map[string]string, want, empty map[string]bool) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	filled := map[string]bool{}
	for _, s := range series {
		name := s.Tags["port"]
		if !want[name] || !empty[name] {
			continue
		}
		lane := 0
		if l := s.Tags["lane"]; l != "" {
			n, err := strconv.Atoi(l)
			if err != nil || n <= 0 {
				continue
			}
			lane = n
		}
		p := t.port(name)
		for col, quantity := range columns {
			k := Key{lane, quantity}
			for i := range s.Values {
				start, terr := time.Parse(time.RFC3339Nano, cell(s, i, "time"))
				v, vok := s.Value(i, col).(float64)
				if terr != nil || !vok {
					continue
				}
				at := start.Add(t.bucket / 2)
				if t.history(p, k).Add(at, v) {
					filled[name+"\x00"+strconv.Itoa(lane)+"\x00"+quantity] = true
				}
			}
		}
	}
	return len(filled)
}

// cell is a string cell of row i, column col ("" when absent).
func cell(s exporter.QuerySeries, i int, col string) string {
	v, _ := s.Value(i, col).(string)
	return strings.TrimSpace(v)
}

// quote writes an InfluxQL string literal.
func quote(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}
