package outlook

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/ddm-agent/ddm/cmis"
	"github.com/ddm-agent/ddm/exporter"
	"github.com/ddm-agent/ddm/internal/statread"
	"github.com/ddm-agent/ddm/schema"
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
	queries := seedQueries(host, now.Add(-t.span), now, t.bucket)
	ids, err := q.Query(ctx, identityQuery(host, now.Add(-t.span), now))
	if err != nil {
		return 0, fmt.Errorf("seeding the forecast history from InfluxDB: module identities: %w", err)
	}
	t.mu.Lock()
	for _, s := range ids {
		name := s.Tags[schema.TagPort]
		if !want[name] || !empty[name] || len(s.Values) == 0 {
			continue
		}
		p := t.port(name)
		p.identity = identity{Serial: cell(s, 0, schema.SerialNumber), PartNumber: cell(s, 0, schema.PartNumber), Firmware: cell(s, 0, schema.FirmwareVersion)}
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

// seedQueries are the bucket means of host's forecast quantities over
// (from, to]: xcvr_lane's bias and powers, xcvr_module's temperatures and
// the media-side pre-FEC BER of xcvr_vdm, each read whether the agent
// wrote it at full rate or, with --reduce, as window means
// (statread): a bucket's mean is then the mean of its windows' means,
// the windows being of one length and aligned within the bucket.
func seedQueries(host string, from, to time.Time, bucket time.Duration) []seedQuery {
	span := timeRange(from, to)
	hostIs := statread.Ident(schema.TagHost) + " = " + quote(host)
	query := func(measurement, cond string, tags []string, columns map[string]string) string {
		var cols []statread.Column
		var sel []string
		for _, col := range slices.Sorted(maps.Keys(columns)) {
			// Each column is named as its field at full rate.
			cols = append(cols, statread.Column{Field: col, Stat: statread.Mean, As: col})
			sel = append(sel, fmt.Sprintf("mean(%s) AS %s", statread.Ident(col), statread.Ident(col)))
		}
		group := make([]string, len(tags))
		for i, tag := range tags {
			group[i] = statread.Ident(tag)
		}
		return fmt.Sprintf("SELECT %s FROM %s WHERE %s GROUP BY time(%ds), %s fill(none)",
			strings.Join(sel, ", "), statread.InfluxQLSources(measurement, statread.Ident(measurement), cond+" AND "+span, cols...),
			span, int64(bucket/time.Second), strings.Join(group, ", "))
	}
	ber := fmt.Sprintf("%s AND %s = %s AND %s = 'media'", hostIs, statread.Ident(schema.TagObservable), quote(QPreFECBER), statread.Ident(schema.TagSide))
	lane := map[string]string{schema.TxBiasMA: cmis.QTxBias, schema.TxPowerMW: cmis.QTxPower, schema.RxPowerMW: cmis.QRxPower}
	module := map[string]string{schema.TemperatureC: cmis.QTemperature, schema.LaserTemperatureC: cmis.QLaserTemperature}
	vdm := map[string]string{schema.Value: QPreFECBER}
	return []seedQuery{
		{"lane history", query(schema.XcvrLane, hostIs, []string{schema.TagPort, schema.TagLane}, lane), lane},
		{"module history", query(schema.XcvrModule, hostIs, []string{schema.TagPort}, module), module},
		{"pre-FEC BER history", query(schema.XcvrVDM, ber, []string{schema.TagPort, schema.TagLane}, vdm), vdm},
	}
}

// identityQuery is the identity of each port's newest module.
func identityQuery(host string, from, to time.Time) string {
	var sel []string
	for _, f := range []string{schema.SerialNumber, schema.PartNumber, schema.FirmwareVersion} {
		sel = append(sel, fmt.Sprintf("last(%s) AS %s", statread.Ident(f), statread.Ident(f)))
	}
	return fmt.Sprintf("SELECT %s FROM %s WHERE %s = %s AND %s GROUP BY %s", strings.Join(sel, ", "),
		statread.Ident(schema.XcvrInfo), statread.Ident(schema.TagHost), quote(host), timeRange(from, to), statread.Ident(schema.TagPort))
}

// timeRange is the InfluxQL condition of (from, to].
func timeRange(from, to time.Time) string {
	return fmt.Sprintf("time > %d AND time <= %d", from.UnixNano(), to.UnixNano())
}

// seedSeries adds the bucket means of one answer to the empty ports'
// series, each at its bucket's middle, and returns how many series it
// filled.
func (t *Tracker) seedSeries(series []exporter.QuerySeries, columns map[string]string, want, empty map[string]bool) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	filled := map[string]bool{}
	for _, s := range series {
		name := s.Tags[schema.TagPort]
		if !want[name] || !empty[name] {
			continue
		}
		lane := 0
		if l := s.Tags[schema.TagLane]; l != "" {
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
