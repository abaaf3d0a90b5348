package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/ddm-agent/ddm/exporter"
)

// nothingDelivered explains a run that ends without having delivered a
// single point, so that such a run is never silent; "" when something was
// delivered. samples is how many module reads the agent completed.
func nothingDelivered(st exporter.Stats, samples int64, ran time.Duration) string {
	if st.Sent > 0 {
		return ""
	}
	ran = ran.Round(time.Millisecond)
	if samples == 0 || st.Written == 0 {
		return fmt.Sprintf("no point written in %v: no module read completed (is --duration shorter than a read, or is every bus hung?)", ran)
	}
	var why []string
	for _, c := range []struct {
		n    int64
		what string
	}{
		{st.Invalid, "could not be encoded (invalid)"},
		{st.Rejected, "refused by the server"},
		{st.Dropped, "dropped (output failed or queue full)"},
		{st.SpoolPoints + int64(st.QueueDepth), "still queued or spooled, sent at the next start"},
	} {
		if c.n > 0 {
			why = append(why, fmt.Sprintf("%d %s", c.n, c.what))
		}
	}
	msg := fmt.Sprintf("no point delivered in %v: %d written", ran, st.Written)
	if len(why) > 0 {
		msg += ": " + strings.Join(why, ", ")
	}
	if st.LastError != "" {
		msg += "; last error: " + st.LastError
	}
	return msg
}
