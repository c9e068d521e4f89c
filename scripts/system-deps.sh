#!/usr/bin/env bash
# Installs the Debian packages the test suite's real parts need (browser, inventory agent, PDF
# rendering, IMAP server). `make test` and `.ci/run` both call it.
#
# - Does nothing when every package is installed.
# - Otherwise runs `apt-get update` once and installs the missing ones: directly as root, through
#   sudo when it is there, else prints exactly what to install and fails.
# - SAMDRIFT_SKIP_SYSTEM_DEPS=1 skips the check (a machine that provides these parts another way,
#   e.g. SAMDRIFT_CHROMIUM pointing at a browser of its own).
#
# To add a package: one line in PACKAGES, with the reason the tests need it.
set -euo pipefail

PACKAGES=(
  chromium               # browser tests: Playwright drives Debian's Chromium (no browser is downloaded)
  fonts-dejavu-core      # a font with å, ä, ö for Chromium's pages and WeasyPrint's PDFs
  fusioninventory-agent  # tests/assets/test_real_agent.py runs the real inventory agent against the live server
  libpango-1.0-0         # WeasyPrint (PDF invoices, release packages) loads pango at run time
  libpangoft2-1.0-0      # WeasyPrint's font layer on pango
  dovecot-imapd          # a real IMAP server for email intake; the tests start their own dovecot on a free port
  ocsinventory-agent     # tests/assets/test_real_ocs_agent.py runs the real OCS Inventory agent (2.10) against the live server
  xmlsec1                # the SAML identity provider the SSO tests start (pysaml2) signs with the xmlsec1 command
  postgresql             # tests/test_faults.py starts its own PostgreSQL cluster (initdb) and restarts it under load
)

if [ "${SAMDRIFT_SKIP_SYSTEM_DEPS:-}" = "1" ]; then
  exit 0
fi

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PACKAGES[@]}" 2>/dev/null || true)
  for package in "${PACKAGES[@]}"; do
    grep -qx "$package installed" <<<"$installed" || missing+=("$package")
  done
else
  missing=("${PACKAGES[@]}")
fi
# npm installs axe-core for the browser crawl (scripts/install-axe.sh). Some Node.js packages bring
# their own npm, so Debian's is needed only when there is no npm at all.
command -v npm >/dev/null 2>&1 || missing+=(npm)

if ((${#missing[@]} == 0)); then
  exit 0
fi

explain() {
  cat >&2 <<MSG
The tests need these Debian packages, which are not installed:
  ${missing[*]}
Install them, as root:
  apt-get update && apt-get install -y ${missing[*]}
then run the make command again. (On a system without apt, install the equivalents, point
SAMDRIFT_CHROMIUM at the browser, and set SAMDRIFT_SKIP_SYSTEM_DEPS=1.)
MSG
  exit 1
}

if ! command -v apt-get >/dev/null 2>&1; then
  explain
fi
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  explain
fi

echo "Installing the system packages the tests need: ${missing[*]}" >&2
"${as_root[@]}" apt-get update -qq || explain
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null ||
  explain
