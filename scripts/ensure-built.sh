#!/usr/bin/env bash
# Installs dependencies and builds on first use (and again when sources change), so that
# `./qm` and `./test` work on a fresh clone with nothing but Node.js 20 and npm.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if ! command -v node >/dev/null 2>&1; then
  echo "qm: Node.js 20 or newer is required (node not found on PATH)" >&2
  exit 2
fi

LOG="$ROOT/.qm-install.log"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "qm: installing dependencies (first run; log in .qm-install.log)…" >&2
  if ! npm ci --no-audit --no-fund >"$LOG" 2>&1; then
    echo "qm: npm ci failed; see $LOG" >&2
    tail -20 "$LOG" >&2
    exit 1
  fi
fi

STAMP="$ROOT/.qm-build-stamp"
if [ ! -f "$STAMP" ] || [ -n "$(find packages test bench -name '*.ts' -not -path '*/dist/*' -not -path '*/node_modules/*' -newer "$STAMP" -print -quit 2>/dev/null)" ] \
   || [ -n "$(find . -maxdepth 4 -name 'tsconfig*.json' -not -path './node_modules/*' -newer "$STAMP" -print -quit)" ]; then
  echo "qm: building…" >&2
  if ! npx tsc -b; then
    echo "qm: build failed" >&2
    exit 1
  fi
  touch "$STAMP"
fi
