package grafana

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/cog/variants"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/expr"
)

// DatasourceType is the plugin id of Grafana's InfluxDB data source.
const DatasourceType = "influxdb"

// InfluxQuery is the query model of Grafana's InfluxDB data source (the
// "model" of an alert query, a panel "target"), InfluxQL raw mode or Flux.
// grafana-foundation-sdk v0.0.22 has no InfluxDB data query type, so this
// mirrors the fields of the data source's InfluxQuery
// (public/app/plugins/datasource/influxdb/types.ts) that raw-mode queries
// use, and implements the SDK's variants.Dataquery so that it sits in the
// SDK's dashboard panels and alert queries like its own query types.
type InfluxQuery struct {
	RefID      string                `json:"refId"`
	Datasource *common.DataSourceRef `json:"datasource,omitempty"`
	// Query is the InfluxQL (RawQuery true) or Flux text.
	Query string `json:"query"`
	// RawQuery: InfluxQL typed as text, not built in the query editor.
	// Flux queries leave it false.
	RawQuery bool `json:"rawQuery,omitempty"`
	// ResultFormat is time_series or table (InfluxQL).
	ResultFormat string `json:"resultFormat,omitempty"`
	// Alias names InfluxQL series ($tag_port lane $tag_lane).
	Alias string `json:"alias,omitempty"`
	Hide  bool   `json:"hide,omitempty"`
	// IntervalMs and MaxDataPoints are what the alerting UI stores with a
	// query.
	IntervalMs    int64 `json:"intervalMs,omitempty"`
	MaxDataPoints int64 `json:"maxDataPoints,omitempty"`
}

var _ variants.Dataquery = InfluxQuery{}

// ImplementsDataqueryVariant marks InfluxQuery as a data query.
func (InfluxQuery) ImplementsDataqueryVariant() {}

// DataqueryType is the data source plugin id.
func (InfluxQuery) DataqueryType() string { return DatasourceType }

// Equals compares two queries.
func (q InfluxQuery) Equals(other variants.Dataquery) bool {
	switch o := other.(type) {
	case InfluxQuery:
		return reflect.DeepEqual(q, o)
	case *InfluxQuery:
		return o != nil && reflect.DeepEqual(q, *o)
	}
	return false
}

// Validate checks what Grafana needs to run the query.
func (q InfluxQuery) Validate() error {
	var errs []error
	if q.RefID == "" {
		errs = append(errs, errors.New("refId: empty"))
	}
	if q.Query == "" {
		errs = append(errs, errors.New("query: empty"))
	}
	if q.Datasource == nil || q.Datasource.Uid == nil || *q.Datasource.Uid == "" {
		errs = append(errs, errors.New("datasource: no uid"))
	} else if q.Datasource.Type == nil || *q.Datasource.Type != DatasourceType {
		errs = append(errs, fmt.Errorf("datasource: type is not %s", DatasourceType))
	}
	switch q.ResultFormat {
	case "", "time_series", "table":
	default:
		errs = append(errs, fmt.Errorf("resultFormat %q", q.ResultFormat))
	}
	return errors.Join(errs...)
}

// influxQueryBuilder builds an InfluxQuery for the SDK's builders
// (cog.Builder[variants.Dataquery]).
type influxQueryBuilder struct{ q InfluxQuery }

func (b influxQueryBuilder) Build() (variants.Dataquery, error) {
	if err := b.q.Validate(); err != nil {
		// The SDK's builders expect cog.BuildErrors.
		return nil, cog.MakeBuildErrors("influxdb."+b.q.RefID, err)
	}
	return b.q, nil
}

var _ cog.Builder[variants.Dataquery] = influxQueryBuilder{}

// VariantConfig registers InfluxQuery with the SDK's runtime, so that
// unmarshalling a dashboard or an alert query whose datasource type is
// influxdb yields an InfluxQuery. The package registers it when loaded.
func VariantConfig() variants.DataqueryConfig {
	return variants.DataqueryConfig{
		Identifier: DatasourceType,
		DataqueryUnmarshaler: func(raw []byte) (variants.Dataquery, error) {
			var q InfluxQuery
			err := json.Unmarshal(raw, &q)
			return q, err
		},
		StrictDataqueryUnmarshaler: func(raw []byte) (variants.Dataquery, error) {
			var q InfluxQuery
			dec := json.NewDecoder(bytes.NewReader(raw))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&q); err != nil {
				return nil, fmt.Errorf("influxdb query: %w", err)
			}
			return q, q.Validate()
		},
		GoConverter:   func(any) string { return "" },
		GoV2Converter: func(any) string { return "" },
	}
}

func init() {
	// InfluxQuery, the SDK's expression models and its panel plugins, so
	// that rule files and dashboards read back into typed models.
	rt := cog.NewRuntime()
	rt.RegisterDataqueryVariant(VariantConfig())
	rt.RegisterDataqueryVariant(expr.VariantConfig())
	plugins.RegisterDefaultPlugins()
}

// dsRef is the reference to the InfluxDB data source.
func (o Options) dsRef() *common.DataSourceRef {
	t, u := DatasourceType, o.DatasourceUID
	return &common.DataSourceRef{Type: &t, Uid: &u}
}
