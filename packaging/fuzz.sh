#!/bin/sh
# Runs every fuzz target in the module for the given time each (default
# 30s). New corpus entries land in each package's testdata/fuzz/: commit
# the ones that found bugs.
set -eu
fuzztime=${1:-30s}
go list ./... | while read -r pkg; do
	for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
		echo "fuzz: $pkg $target ($fuzztime)"
		go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"
	done
done
