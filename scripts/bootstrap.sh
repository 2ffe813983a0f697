#!/usr/bin/env bash
# Installs what gradsheet needs, once, on a fresh Debian machine; a no-op when it is all there.
#  - Debian packages: Chromium and its headless shell (render the PDFs; Puppeteer's own download
#    cannot work here),
#    poppler-utils (the PDF tests read pages back), the fonts text outside math is set in, and
#    postgresql-15 (initdb, pg_ctl, postgres, psql: the tests and benchmarks start a throwaway
#    PostgreSQL server of their own, scripts/postgres.mjs; the cluster Debian creates is not used).
#  - npm packages from the lockfile, when node_modules is missing or older than the lockfile.
#  - dist/, the bundled CLI.
set -euo pipefail
cd "$(dirname "$0")/.."

apt_packages=(chromium chromium-headless-shell poppler-utils fonts-dejavu-core fonts-liberation fonts-wqy-zenhei postgresql-15)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    echo "gradsheet: installing ${missing[*]} with apt-get (first run only)…" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "gradsheet: missing Debian packages: ${missing[*]}. Install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "gradsheet: installing npm packages from package-lock.json…" >&2
  npm ci --no-audit --no-fund >&2
fi

node scripts/build.mjs
