#!/bin/sh
# Runs every fuzz target in the module for the given time each (default
# 30s), then keeps the corpus it grew: go test -fuzz writes new interesting
# inputs only to the build cache, so they are copied into each package's
# testdata/fuzz/<Target>/, where plain `go test` replays them.
set -eu
fuzztime=${1:-30s}
cache=$(go env GOCACHE)/fuzz
go list -f '{{.ImportPath}} {{.Dir}}' ./... | while read -r pkg dir; do
	for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		echo "fuzz: $pkg $target ($fuzztime)"
		go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -fuzzminimizetime 200x "$pkg"
		if [ -d "$cache/$pkg/$target" ]; then
			mkdir -p "$dir/testdata/fuzz/$target"
			cp -n "$cache/$pkg/$target"/* "$dir/testdata/fuzz/$target/" 2>/dev/null || true
		fi
	done
done
