#!/bin/sh
# Rebuild the committed instance files from their scenarios (tests check they are identical).
# Usage, from the repository root: sh instances/regenerate.sh
set -e
SPACEXNET="${SPACEXNET:-.venv/bin/spacexnet}"
for name in paper starlink-tle; do
    "$SPACEXNET" build "instances/$name.toml" -o "instances/$name.instance.json" --quiet
done
