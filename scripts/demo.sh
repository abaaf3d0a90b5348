#!/usr/bin/env bash
# make demo: decodes a few of the bundled real module dumps (an 800G OSFP
# DR8, a 400ZR QSFP-DD whose bias ethtool gets 16x wrong, a QSFP28 and an
# SFP+), then shows the same module as JSON.
set -euo pipefail
cd "$(dirname "$0")/.."
ddm=bin/ddm
v=testdata/vectors
for f in cmis_800g_osfp_dr8_juniper_740-174932_xai_link_flap_port40 \
	cmis_400g_qsfpdd_zr_juniper_740-157132_sfppi_2E1CZFA815020 \
	sff8636_100g_qsfp28_ir4_fs_QSFP28-IR4-100G_wobcom \
	sff8472_10g_sfpp_lr_oem_SFP-10GB-LR_wobcom; do
	"$ddm" decode "$v/$f.txt"
done
echo "== the same 800G module as JSON (first lane):"
"$ddm" decode --json "$v/cmis_800g_osfp_dr8_juniper_740-174932_xai_link_flap_port40.txt" |
	python3 -c 'import json,sys; m=json.load(sys.stdin); print(json.dumps({k: m[k] for k in ("spec","identifier","vendor","part_number","temperature_c")} | {"lanes[0]": m["lanes"][0]}, indent=1))' 2>/dev/null ||
	"$ddm" decode --json "$v/cmis_800g_osfp_dr8_juniper_740-174932_xai_link_flap_port40.txt"
