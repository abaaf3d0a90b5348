package exporter

// Urgent is a sink with a lane for events: WriteNow sends the points at
// once instead of with the next batch, through the same path as Write (the
// InfluxWriter's queue and spool), so an outage spools them like any other
// point and a point is delivered once.
type Urgent interface {
	WriteNow(points ...Point)
}

// WriteNow writes points to s at once if it has an urgent lane (Urgent),
// else with Write.
func WriteNow(s Sink, points ...Point) {
	if u, ok := s.(Urgent); ok {
		u.WriteNow(points...)
		return
	}
	s.Write(points...)
}

// WriteNow queues the points as Write does and has them sent without
// waiting: the spooler does not gather more Writes first and the sender
// does not wait for FlushInterval. What the spool holds before them goes
// in the same request (the spool is sent in order). During a server outage
// the sender keeps its backoff: the points wait in the spool with the rest.
func (w *InfluxWriter) WriteNow(points ...Point) {
	if len(points) == 0 {
		return
	}
	w.write(true, points)
	notify(w.urgentSpool)
}

// WriteNow writes the points to each sink through its urgent lane, if any.
func (m multi) WriteNow(points ...Point) {
	for _, s := range m {
		WriteNow(s, points...)
	}
}

var (
	_ Urgent = (*InfluxWriter)(nil)
	_ Urgent = multi(nil)
)
