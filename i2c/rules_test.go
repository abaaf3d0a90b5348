package i2c

import "github.com/ddm-agent/ddm/cmis"

// testRules are the rules modread gives every Memory (modread.BusRules),
// built here from the same decoder constants: this package's tests cannot
// import modread, which imports this package.
func testRules() Rules {
	return Rules{FreezePage: cmis.VDMControlPage, FreezeOffset: cmis.VDMFreezeRequest, FreezeBit: cmis.VDMFreezeRequestBit,
		UnpagedIDs: cmis.SFF8472Identifiers(), MaxBanks: cmis.MaxBanks}
}

// Test shorthands for the decoder's freeze constants.
const (
	vdmControlPage = cmis.VDMControlPage
	vdmFreezeByte  = cmis.VDMFreezeRequest
	vdmFreezeBit   = cmis.VDMFreezeRequestBit
)
