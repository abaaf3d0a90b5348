package exporter

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func scrape(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("HTTP %d: %s", resp.StatusCode, b)
	}
	return string(b)
}

func TestPrometheusEndpoint(t *testing.T) {
	var mu sync.Mutex
	now := time.Unix(1000, 0)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	s := NewPrometheusSink(PromOptions{MaxAge: time.Minute, Now: clock})
	s.Write(examplePoints()...)

	// A later value replaces the earlier one.
	m := exampleModule()
	m.Lanes[0].TxPowerMW = fp(1.5)
	s.Write(ModulePoints(exampleSource, m)...)

	body := scrape(t, s.Handler())
	for _, want := range []string{
		`xcvr_lane_tx_power_watts{lane="1",port="Ethernet8"} 0.0015`, // mW -> W
		`xcvr_lane_rx_power_watts{lane="1",port="Ethernet8"} 0.0007943`,
		`xcvr_lane_tx_power_watts{lane="3",port="Ethernet8"} 0`,
		`xcvr_lane_tx_bias_amperes{lane="1",port="Ethernet8"} 0.00675`, // mA -> A
		`xcvr_lane_rx_los{lane="3",port="Ethernet8"} 1`,
		`xcvr_module_temperature_celsius{port="Ethernet8"} 41.5`,
		`xcvr_module_vcc_volts{port="Ethernet8"} 3.2917`,
		`xcvr_module_tec_current_ratio{port="Ethernet8"} 0.125`, // % -> ratio
		`xcvr_module_present{port="Ethernet12"} 0`,
		`xcvr_module_state{port="Ethernet8"} 3`,
		`xcvr_vdm_pre_fec_ber_ratio{lane="1",port="Ethernet8",side="media"} 2.4e-05`,
		`xcvr_vdm_pre_fec_ber_ratio{lane="1",port="Ethernet8",side="host"} 1e-09`,
		`xcvr_vdm_laser_age_ratio{lane="1",port="Ethernet8"} 0.03`,
		`xcvr_coherent_tx_power_avg_watts{lane="1",port="Ethernet8"} 0.000112`, // -9.5 dBm
		`xcvr_coherent_dgd_avg_seconds{lane="1",port="Ethernet8"} 1.5e-12`,
		`xcvr_laser_power_watts{lane="1",port="Ethernet8"} 0.1`,
		`xcvr_threshold_temperature_high_alarm_celsius{port="Ethernet8"} 75`,
		`xcvr_threshold_rx_power_low_alarm_watts{port="Ethernet8"} 3.98e-05`,
		`# TYPE xcvr_agent_transactions_total counter`,
		`xcvr_agent_transactions_total{bus="i2c-2"} 123456`,
		`xcvr_agent_read_bytes_total{bus="i2c-2"} 9.876543e+06`,
		`xcvr_agent_bus_time_seconds_total{bus="i2c-2"} 61.5`,
		`# TYPE xcvr_agent_spool_bytes gauge`,
		`xcvr_agent_spool_bytes 1.048576e+06`,
		`# HELP xcvr_lane_tx_power_watts transmit optical power`,
		`xcvr_alarm_firing{lane="3",limit="",observable="",port="Ethernet8",rule="rx_los",severity="critical",side=""} 1`,
		// Two alarms of one rule on one lane are two series.
		`xcvr_alarm_firing{lane="3",limit="high_alarm",observable="pre_fec_ber",port="Ethernet8",rule="vdm_thresholds",severity="major",side="media"} 1`,
		`xcvr_alarm_firing{lane="3",limit="high_alarm",observable="pre_fec_ber_max",port="Ethernet8",rule="vdm_thresholds",severity="major",side="media"} 1`,
		`vendor="ACME OPTICS"`,
		`serial_number="AC2601020001"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %s", want)
		}
	}
	for _, bad := range []string{
		`host="`,                            // Prometheus's instance label says it
		`_dbm`,                              // watts are the base unit
		`_mw{`, `_ma{`, `_c{`, `_v{`, `_s{`, // abbreviated units
		`type_id`,                       // constant per observable
		`xcvr_vdm_value`,                // one family per observable, in its unit
		`_threshold{`,                   // a family per quantity and level
		`xcvr_lane_tx_power_high_alarm`, // threshold-crossing flags stay in InfluxDB
		`xcvr_module_module_state{`,     // strings are not metrics
		`xcvr_alarm_summary`, `xcvr_alarm_transition`,
		`} NaN`, `} +Inf`, `} -Inf`,
	} {
		if strings.Contains(body, bad) {
			t.Errorf("unexpected %s", bad)
		}
	}
	if !strings.Contains(body, "xcvr_info{") {
		t.Error("no xcvr_info info metric")
	}

	// Series not written for MaxAge disappear (a module pulled out).
	mu.Lock()
	now = now.Add(2 * time.Minute)
	mu.Unlock()
	s.Write(AbsentPoints(Source{Host: "leaf01", Port: "Ethernet8", Time: exampleTime})...)
	body = scrape(t, s.Handler())
	if strings.Contains(body, "xcvr_lane_tx_power_watts") {
		t.Error("stale lane series still exposed")
	}
	if !strings.Contains(body, `xcvr_module_present{port="Ethernet8"} 0`) {
		t.Errorf("fresh series missing:\n%s", body)
	}
	if strings.Contains(body, "xcvr_module_temperature_celsius") {
		t.Error("an empty cage still shows the old module's temperature")
	}
}
