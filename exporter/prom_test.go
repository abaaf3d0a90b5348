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
		`xcvr_lane_tx_power_mw{host="leaf01",lane="1",port="Ethernet8"} 1.5`,
		`xcvr_lane_rx_power_dbm{host="leaf01",lane="1",port="Ethernet8"} -1`,
		`xcvr_lane_tx_power_mw{host="leaf01",lane="3",port="Ethernet8"} 0`,
		`xcvr_lane_rx_los{host="leaf01",lane="3",port="Ethernet8"} 1`,
		`xcvr_module_temperature_c{host="leaf01",port="Ethernet8"} 41.5`,
		`xcvr_module_present{host="leaf01",port="Ethernet12"} 0`,
		`xcvr_module_module_state_code{host="leaf01",port="Ethernet8"} 3`,
		`xcvr_vdm_value{host="leaf01",lane="1",observable="pre_fec_ber",port="Ethernet8",side="media"} 2.4e-05`,
		`xcvr_vdm_value{host="leaf01",lane="1",observable="laser_age",port="Ethernet8",side=""} 3`,
		`# TYPE xcvr_agent_transactions counter`,
		`xcvr_agent_transactions{bus="i2c-2",host="leaf01"} 123456`,
		`# TYPE xcvr_agent_spool_bytes gauge`,
		`xcvr_agent_spool_bytes{host="leaf01"} 1.048576e+06`,
		`# HELP xcvr_lane_tx_power_mw transmit optical power (mW)`,
		`xcvr_alarm_firing{host="leaf01",lane="3",port="Ethernet8",rule="rx_los",severity="critical"} 1`,
		`vendor="ACME OPTICS"`,
		`serial_number="AC2601020001"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("missing %s", want)
		}
	}
	for _, bad := range []string{
		`xcvr_lane_tx_power_dbm{host="leaf01",lane="3"`, // 0 mW has no dBm
		`xcvr_module_module_state{`,                     // strings are not metrics
		`xcvr_alarm_summary`,
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
	if strings.Contains(body, "xcvr_lane_tx_power_mw") {
		t.Error("stale lane series still exposed")
	}
	if !strings.Contains(body, `xcvr_module_present{host="leaf01",port="Ethernet8"} 0`) {
		t.Errorf("fresh series missing:\n%s", body)
	}
	if strings.Contains(body, "xcvr_module_temperature_c") {
		t.Error("an empty cage still shows the old module's temperature")
	}
}
