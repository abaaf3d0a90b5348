package cmis

// Placeholder: replaced by the SFF-8472 decoder.
func decodeSFF8472(s *Snapshot, m *Module) { m.Spec = "SFF-8472" }

func planSFF8472(s *Snapshot, c Cadence) []Range { return nil }
