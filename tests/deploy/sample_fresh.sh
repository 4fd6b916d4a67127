#!/bin/sh
# sample_fresh.sh GEN DIR - regenerates the sample county with GEN (chejian-sample-gen) into a
# temporary directory and compares it with the committed DIR (deploy/sample): the files must
# never drift from the generator. README.md is written by hand and not compared.
set -eu
gen=$1 dir=$2
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cj-sample.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
"$gen" "$tmp"
if ! diff -r -q -x README.md "$dir" "$tmp"; then
    echo "deploy/sample/ differs from what tools/sample/chejian-sample-gen writes now." >&2
    echo "Regenerate it: build/tools/sample/chejian-sample-gen deploy/sample" >&2
    diff -r -x README.md "$dir" "$tmp" | head -40 >&2 || true
    exit 1
fi
echo "deploy/sample/ is what the generator writes"
