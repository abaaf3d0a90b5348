#!/usr/bin/env bash
# Runs every Go fuzz target in the module for a given time each.
# usage: scripts/fuzz.sh DURATION   (e.g. 5s for make test, 2m for make fuzz)
set -euo pipefail
dur=${1:-5s}
cd "$(dirname "$0")/.."
status=0
while IFS= read -r file; do
	pkg=./$(dirname "$file")
	for target in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)' "$file" | awk '{print $2}'); do
		echo "fuzz $pkg $target ($dur)"
		if ! go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "$dur" -fuzzminimizetime 5s >/tmp/ddm-fuzz.$$ 2>&1; then
			cat /tmp/ddm-fuzz.$$
			echo "FAIL: $pkg $target (the failing input is under $pkg/testdata/fuzz/$target)"
			status=1
		fi
	done
done < <(git ls-files --cached --others --exclude-standard '*_test.go' | xargs grep -l '^func Fuzz' | sort)
rm -f /tmp/ddm-fuzz.$$
exit $status
