#!/usr/bin/env bash
# Refreshes the front-end libraries vendored under static/vendor/ from the npm registry.
# The site serves these files itself (no CDN) so it works offline; versions are pinned here
# and recorded in static/vendor/VERSIONS.md together with their licences.
set -euo pipefail
cd "$(dirname "$0")/.."

BOOTSTRAP=5.3.9
HTMX=2.0.11
FULLCALENDAR=6.1.21

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fetch() { (cd "$tmp" && npm pack --silent "$1@$2" >/dev/null && mkdir -p "$1" && tar -xzf "$1"-*.tgz -C "$1" --strip-components=1 && rm "$1"-*.tgz); }

fetch bootstrap "$BOOTSTRAP"
fetch htmx.org "$HTMX"
fetch fullcalendar "$FULLCALENDAR"

out=static/vendor
rm -rf "$out/bootstrap" "$out/htmx" "$out/fullcalendar"
mkdir -p "$out/bootstrap" "$out/htmx" "$out/fullcalendar"
cp "$tmp/bootstrap/dist/css/bootstrap.min.css" "$tmp/bootstrap/dist/css/bootstrap.min.css.map" "$out/bootstrap/"
cp "$tmp/bootstrap/dist/js/bootstrap.bundle.min.js" "$tmp/bootstrap/dist/js/bootstrap.bundle.min.js.map" "$out/bootstrap/"
cp "$tmp/bootstrap/LICENSE" "$out/bootstrap/LICENSE"
cp "$tmp/htmx.org/dist/htmx.min.js" "$out/htmx/"
cp "$tmp/htmx.org/LICENSE" "$out/htmx/LICENSE"
cp "$tmp/fullcalendar/index.global.min.js" "$out/fullcalendar/"
cp "$tmp/fullcalendar/LICENSE.md" "$out/fullcalendar/LICENSE.md" 2>/dev/null || cp "$tmp/fullcalendar/LICENSE.txt" "$out/fullcalendar/LICENSE.txt"

cat > "$out/VERSIONS.md" <<MD
# Vendored front-end libraries

Refreshed by \`make vendor\` (scripts/vendor-static.sh) from the npm registry. Do not edit by hand.

| library | version | licence | files |
|---|---|---|---|
| Bootstrap | $BOOTSTRAP | MIT (bootstrap/LICENSE) | bootstrap.min.css, bootstrap.bundle.min.js |
| htmx | $HTMX | 0BSD (htmx/LICENSE) | htmx.min.js |
| FullCalendar (standard bundle) | $FULLCALENDAR | MIT (fullcalendar/LICENSE*) | index.global.min.js |

MD
echo "vendored into $out"
