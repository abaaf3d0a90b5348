package statread

import (
	"reflect"
	"testing"

	"github.com/ddm-agent/ddm/schema"
)

func TestForms(t *testing.T) {
	tests := []struct {
		measurement, field string
		stat               Stat
		want               []Form
	}{
		{schema.XcvrModule, schema.TemperatureC, Mean, []Form{{Field: "temperature_c"}, {Field: "temperature_c_mean", Window: true}}},
		{schema.XcvrLane, schema.TxBiasMA, Max, []Form{{Field: "tx_bias_ma"}, {Field: "tx_bias_ma_max", Window: true}}},
		{schema.XcvrVDM, schema.Value, Min, []Form{{Field: "value"}, {Field: "value_min", Window: true}}},
		// dBm is left out of the reduced export: its mW statistic.
		{schema.XcvrLane, schema.RxPowerDBM, Min, []Form{{Field: "rx_power_dbm"}, {Field: "rx_power_mw_min", Window: true, FromMW: true}}},
		{schema.XcvrLaser, schema.PowerDBM, Mean, []Form{{Field: "power_dbm"}, {Field: "power_mw_mean", Window: true, FromMW: true}}},
		// Not statistics: written as they are in either mode.
		{schema.XcvrModule, schema.Present, Mean, []Form{{Field: "present"}}},
		{schema.XcvrVDM, schema.HighAlarmThreshold, Max, []Form{{Field: "high_alarm_threshold"}}},
		{schema.XcvrFlight, schema.RxPowerMW, Mean, []Form{{Field: "rx_power_mw"}}},
		{schema.XcvrEnergyTotal, schema.PowerW, Mean, []Form{{Field: "power_w"}}},
	}
	for _, tt := range tests {
		if got := Forms(tt.measurement, tt.field, tt.stat); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Forms(%s, %s, %s) = %+v, want %+v", tt.measurement, tt.field, tt.stat, got, tt.want)
		}
	}
}

func TestInfluxQLSources(t *testing.T) {
	got := InfluxQLSources(schema.XcvrLane, `"db"."rp"."xcvr_lane"`, `"host" = 'h' AND $timeFilter`,
		Column{Field: schema.RxPowerDBM, Stat: Min, As: "rx"}, Column{Field: schema.TxBiasMA, Stat: Mean, As: "bias"})
	want := `(SELECT "rx_power_dbm" AS "rx" FROM "db"."rp"."xcvr_lane" WHERE "host" = 'h' AND $timeFilter), ` +
		`(SELECT 10 * log10("rx_power_mw_min") AS "rx" FROM "db"."rp"."xcvr_lane" WHERE "rx_power_mw_min" > 0 AND "host" = 'h' AND $timeFilter), ` +
		`(SELECT "tx_bias_ma" AS "bias" FROM "db"."rp"."xcvr_lane" WHERE "host" = 'h' AND $timeFilter), ` +
		`(SELECT "tx_bias_ma_mean" AS "bias" FROM "db"."rp"."xcvr_lane" WHERE "host" = 'h' AND $timeFilter)`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestInfluxQLAggregates(t *testing.T) {
	got := InfluxQLAggregates(schema.XcvrLane, `"xcvr_lane"`, `"host" = 'h' AND $timeFilter`, "median", `GROUP BY time(2m), "port" fill(none)`,
		Column{Field: schema.RxPowerDBM, Stat: Mean, As: "m"})
	want := `(SELECT median("rx_power_dbm") AS "m" FROM "xcvr_lane" WHERE "host" = 'h' AND $timeFilter GROUP BY time(2m), "port" fill(none)), ` +
		`(SELECT 10 * log10("m") AS "m" FROM (SELECT median("rx_power_mw_mean") AS "m" FROM "xcvr_lane" WHERE "rx_power_mw_mean" > 0 AND "host" = 'h' AND $timeFilter GROUP BY time(2m), "port" fill(none)))`
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
