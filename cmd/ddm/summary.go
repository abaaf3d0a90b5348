package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"text/tabwriter"
	"time"
)

// cmdSummary queries InfluxDB (InfluxQL over the /query endpoint, which
// InfluxDB 1.8 and the 2.x/3.x v1-compatibility APIs serve) and prints what
// arrived: one line per port and the alarms raised. `make demo` ends with
// it; an operator can point it at any ddm database.
func cmdSummary(ctx context.Context, e env, args []string) int {
	fs := newFlags(e, "summary")
	u := fs.String("influx-url", "http://127.0.0.1:8086", "InfluxDB URL")
	db := fs.String("influx-bucket", "telemetry", "database (or database/retention-policy)")
	since := fs.Duration("since", time.Hour, "look back this far")
	if code := parseFlags(fs, args); code >= 0 {
		return code
	}
	dbName, _, _ := strings.Cut(*db, "/")
	q := func(query string) ([]influxSeries, error) { return influxQuery(ctx, *u, dbName, query) }
	where := fmt.Sprintf("time > now() - %ds", int(since.Seconds()))

	ports, err := q(`SELECT last("temperature_c") AS temp, count("present") AS n FROM "xcvr_module" WHERE ` + where + ` GROUP BY "port"`)
	if err != nil {
		errorf(e, "summary: %v", err)
		return exitError
	}
	lanes, _ := q(`SELECT min("rx_power_dbm") AS rx, min("tx_power_dbm") AS tx FROM "xcvr_lane" WHERE ` + where + ` GROUP BY "port"`)
	ber, _ := q(`SELECT max("value") AS ber FROM "xcvr_vdm" WHERE "observable"='pre_fec_ber' AND "side"='media' AND ` + where + ` GROUP BY "port"`)
	info, _ := q(`SELECT last("part_number") AS pn FROM "xcvr_info" WHERE ` + where + ` GROUP BY "port"`)
	absent, _ := q(`SELECT count("present") AS n FROM "xcvr_module" WHERE "present"=false AND ` + where + ` GROUP BY "port"`)
	byPort := func(ss []influxSeries, col string) map[string]any {
		out := map[string]any{}
		for _, s := range ss {
			if len(s.Values) > 0 {
				out[s.Tags["port"]] = s.value(0, col)
			}
		}
		return out
	}
	temp, n := byPort(ports, "temp"), byPort(ports, "n")
	rx, tx, maxBER, pn, gone := byPort(lanes, "rx"), byPort(lanes, "tx"), byPort(ber, "ber"), byPort(info, "pn"), byPort(absent, "n")
	names := make([]string, 0, len(n))
	for p := range n {
		names = append(names, p)
	}
	sort.Slice(names, func(i, j int) bool { return portLess(names[i], names[j]) })
	fmt.Fprintf(e.stdout, "Per port, last %v (from %s database %s)\n", *since, *u, dbName)
	tw := tabwriter.NewWriter(e.stdout, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "port\tpart number\tsamples\tabsent\ttemp °C\tmin Rx dBm\tmin Tx dBm\tmax pre-FEC BER\t")
	for _, p := range names {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", p, str(pn[p]), num0(n[p]), num0(gone[p]), num2(temp[p]), num2(rx[p]), num2(tx[p]), sci(maxBER[p]))
	}
	tw.Flush()

	alarms, err := q(`SELECT "state", "severity", "rule", "lane", "value", "threshold", "summary" FROM "xcvr_alarm" WHERE "transition"=true AND ` + where)
	if err != nil {
		errorf(e, "summary: %v", err)
		return exitError
	}
	fmt.Fprintf(e.stdout, "\nAlarm state changes\n")
	count := 0
	for _, s := range alarms {
		for i := range s.Values {
			st := str(s.value(i, "state"))
			if st == "firing" || st == "resolved" {
				ts, _ := time.Parse(time.RFC3339Nano, str(s.value(i, "time")))
				fmt.Fprintf(e.stdout, "  %s  %-8s %-8s %s\n", ts.Local().Format("15:04:05"), strings.ToUpper(st), str(s.value(i, "severity")), str(s.value(i, "summary")))
				count++
			}
		}
	}
	if count == 0 {
		fmt.Fprintf(e.stdout, "  none\n")
	}
	return exitOK
}

type influxSeries struct {
	Name    string            `json:"name"`
	Tags    map[string]string `json:"tags"`
	Columns []string          `json:"columns"`
	Values  [][]any           `json:"values"`
}

func (s influxSeries) value(row int, col string) any {
	for i, c := range s.Columns {
		if c == col && i < len(s.Values[row]) {
			return s.Values[row][i]
		}
	}
	return nil
}

func influxQuery(ctx context.Context, base, db, q string) ([]influxSeries, error) {
	u := strings.TrimRight(base, "/") + "/query?" + url.Values{"db": {db}, "q": {q}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("query: %s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	var r struct {
		Results []struct {
			Series []influxSeries `json:"series"`
			Error  string         `json:"error"`
		} `json:"results"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	if len(r.Results) == 0 {
		return nil, nil
	}
	if r.Results[0].Error != "" {
		return nil, fmt.Errorf("query: %s", r.Results[0].Error)
	}
	return r.Results[0].Series, nil
}

func str(v any) string {
	if v == nil {
		return "-"
	}
	return fmt.Sprint(v)
}

func num0(v any) string {
	if f, ok := v.(float64); ok {
		return fmt.Sprintf("%.0f", f)
	}
	return "-"
}

func num2(v any) string {
	if f, ok := v.(float64); ok {
		return fmt.Sprintf("%.2f", f)
	}
	return "-"
}

func sci(v any) string {
	if f, ok := v.(float64); ok {
		return fmt.Sprintf("%.2e", f)
	}
	return "-"
}

// portLess sorts Ethernet1/2 before Ethernet1/10.
func portLess(a, b string) bool {
	na, nb := trailingNum(a), trailingNum(b)
	pa, pb := strings.TrimRight(a, "0123456789"), strings.TrimRight(b, "0123456789")
	if pa != pb || na < 0 || nb < 0 {
		return a < b
	}
	return na < nb
}

func trailingNum(s string) int {
	i := len(s)
	for i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
		i--
	}
	if i == len(s) {
		return -1
	}
	n := 0
	fmt.Sscanf(s[i:], "%d", &n)
	return n
}
