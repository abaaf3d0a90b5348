package exporter

import (
	"github.com/ddm-agent/ddm/agent"
	"github.com/ddm-agent/ddm/energy"
)

// SamplePoints is the points an agent sample yields: for a fast read the
// module, lane and energy points, for a static read also the identity and
// thresholds, for a VDM read the VDM points only (its module and lane
// values are those of the last fast read, already written), for an empty
// cage present=false, for a failed read nothing (its error is in the
// agent's self-telemetry).
func SamplePoints(host string, s agent.Sample) []Point {
	src := Source{Host: host, Port: s.Port, Time: s.Time}
	switch s.Kind {
	case agent.KindAbsent:
		return AbsentPoints(src)
	case agent.KindError:
		return nil
	case agent.KindVDM:
		return VDMPoints(src, s.Module)
	case agent.KindStatic:
		pts := append(ModulePoints(src, s.Module), InfoPoints(src, s.Module)...)
		return append(pts, EnergyPoint(src, energy.ForModule(s.Port, s.Module))...)
	}
	return append(ModulePoints(src, s.Module), EnergyPoint(src, energy.ForModule(s.Port, s.Module))...)
}
