package exporter

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// InfluxQuerier runs InfluxQL statements on the configured InfluxDB over
// the /query endpoint, which InfluxDB 1.8 serves and 2.x/3.x serve as
// their v1 compatibility API, with the writer's TLS settings and token.
// The agent reads its own history back with it (outlook.Seed).
type InfluxQuerier struct {
	base, db, rp, token string
	client              *http.Client
}

// QuerySeries is one series of a query's answer. Times are RFC 3339
// strings.
type QuerySeries struct {
	Name    string            `json:"name"`
	Tags    map[string]string `json:"tags"`
	Columns []string          `json:"columns"`
	Values  [][]any           `json:"values"`
}

// Value is the cell of row in column col, nil when there is none.
func (s QuerySeries) Value(row int, col string) any {
	for i, c := range s.Columns {
		if c == col && row < len(s.Values) && i < len(s.Values[row]) {
			return s.Values[row][i]
		}
	}
	return nil
}

// maxQueryBytes bounds an answer: a month of 2-hour means of every lane
// of a 64-port switch is about 5 MB.
const maxQueryBytes = 64 << 20

// NewInfluxQuerier makes a querier for cfg (URL, Bucket as
// "database/retention-policy" or "database", Token, TLS files).
func NewInfluxQuerier(cfg InfluxConfig) (*InfluxQuerier, error) {
	cfg.defaults()
	if err := CheckToken(cfg.Token); err != nil {
		return nil, err
	}
	tc, err := cfg.tlsConfig()
	if err != nil {
		return nil, err
	}
	db, rp, _ := strings.Cut(cfg.Bucket, "/")
	return &InfluxQuerier{base: strings.TrimRight(cfg.URL, "/"), db: db, rp: rp, token: cfg.Token,
		client: newBoundedClient(tc, cfg.Timeout, maxQueryBytes+1)}, nil
}

// Query runs one statement and returns its series; an error InfluxDB
// reports for the statement is returned as an error.
func (q *InfluxQuerier) Query(ctx context.Context, influxql string) ([]QuerySeries, error) {
	v := url.Values{"db": {q.db}, "q": {influxql}}
	if q.rp != "" {
		v.Set("rp", q.rp)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, q.base+"/query?"+v.Encode(), nil)
	if err != nil {
		return nil, err
	}
	if q.token != "" {
		req.Header.Set("Authorization", "Token "+q.token)
	}
	resp, err := q.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxQueryBytes+1))
	if err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	if len(body) > maxQueryBytes {
		return nil, fmt.Errorf("query: answer larger than %d MiB", maxQueryBytes>>20)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("query: %s: %.200s", resp.Status, strings.TrimSpace(string(body)))
	}
	var r struct {
		Results []struct {
			Series []QuerySeries `json:"series"`
			Error  string        `json:"error"`
		} `json:"results"`
		Error string `json:"error"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("query: %w", err)
	}
	switch {
	case r.Error != "":
		return nil, fmt.Errorf("query: %s", r.Error)
	case len(r.Results) == 0:
		return nil, nil
	case r.Results[0].Error != "":
		return nil, fmt.Errorf("query: %s", r.Results[0].Error)
	}
	return r.Results[0].Series, nil
}
