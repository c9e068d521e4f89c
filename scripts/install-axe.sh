#!/usr/bin/env bash
# Install axe-core (the accessibility rules engine the browser crawl runs in every page) from npm
# into var/axe, once. Idempotent: a second run with the same version does nothing. The browser
# crawl (tests/ui/test_crawl.py) calls this from its set-up; scripts/system-deps.sh may too.
#
#   scripts/install-axe.sh            installs into ./var/axe
#   AXE_DIR=/some/dir scripts/install-axe.sh
set -euo pipefail

AXE_VERSION="${AXE_VERSION:-4.14.1}"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
AXE_DIR="${AXE_DIR:-$ROOT/var/axe}"
TARGET="$AXE_DIR/node_modules/axe-core/axe.min.js"

if [[ -f "$TARGET" ]] && grep -q "\"version\": \"$AXE_VERSION\"" "$AXE_DIR/node_modules/axe-core/package.json" 2>/dev/null; then
    echo "$TARGET"
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "install-axe.sh: npm is needed (apt-get install npm)" >&2
    exit 1
fi
mkdir -p "$AXE_DIR"
npm install --prefix "$AXE_DIR" --no-save --no-audit --no-fund --loglevel=error "axe-core@$AXE_VERSION" >&2
test -f "$TARGET"
echo "$TARGET"
