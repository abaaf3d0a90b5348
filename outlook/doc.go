// Package outlook is the agent's side of forecasting: it keeps, per port,
// the history of each forecast quantity of each lane and module (Tx bias,
// Tx and Rx power, module and laser temperature, media-side pre-FEC BER),
// fits the forecast package's trends on it at a slow cadence, scores each
// lane against its cohort (the lanes and modules of the same part number
// and firmware on the switch), and names the likely cause of an alarm.
//
// A Tracker is fed every sample (Observe), made to forecast every
// alarm.ForecastEvery (Update: xcvr_forecast and xcvr_cohort points and an
// alarm.Outlook per port for the forecast and cohort rules), asked for a
// diagnosis when an alarm fires (Diagnose, the alarm engine's
// Options.Diagnose), and saved to the state folder (Save, Load: one
// gzip-compressed JSON file written atomically, so a restart keeps weeks of
// history). Seed fills the series a new agent has no history for from
// what InfluxDB already holds of this host, so an agent installed on an
// old switch forecasts at once instead of after days.
//
// Its history is bounded: forecast.DefaultSpan (28 days) of
// forecast.DefaultBucket (2-hour) buckets per series, a few kilobytes a
// series; a module swapped for another (serial or part number) starts
// afresh.
package outlook
