#!/usr/bin/env bash
# Counts which ASVS requirements listed in docs/security.md have an automated test named
# after them (asvs_<chapter>_<section>_<item>_...), in Rust or Playwright tests.
# Usage: scripts/asvs-coverage.sh [path/to/security.md]   (exit 0; prints the figures)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SPEC="${1:-$ROOT/docs/security.md}"
if [[ ! -f "$SPEC" ]]; then
  echo "the security requirements are not at $SPEC" >&2
  exit 1
fi
# Listed ids, expanding ranges such as 3.4.1-3.4.6 and 7.4.1, 7.4.2.
listed="$(python3 - "$SPEC" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
ids = set()
for m in re.finditer(r'(\d+)\.(\d+)\.(\d+)(?:\s*-\s*(\d+)\.(\d+)\.(\d+))?', text):
    a = tuple(int(x) for x in m.group(1, 2, 3))
    if m.group(4):
        b = tuple(int(x) for x in m.group(4, 5, 6))
        if a[:2] == b[:2]:
            for i in range(a[2], b[2] + 1):
                ids.add((a[0], a[1], i))
            continue
        ids.add(b)
    ids.add(a)
# Version numbers of the standard itself are not requirements.
ids.discard((5, 0, 0))
for i in sorted(ids):
    print("%d.%d.%d" % i)
PY
)"
covered="$(grep -rhoE 'asvs_[0-9]+_[0-9]+_[0-9]+' "$ROOT/src" "$ROOT/tests" "$ROOT/end2end/tests" \
  | sed -E 's/asvs_([0-9]+)_([0-9]+)_([0-9]+)/\1.\2.\3/' | sort -u)"
total=0; hit=0; missing=()
while read -r id; do
  [[ -z "$id" ]] && continue
  total=$((total + 1))
  if grep -qx "$id" <<<"$covered"; then hit=$((hit + 1)); else missing+=("$id"); fi
done <<<"$listed"
echo "ASVS requirements in docs/security.md with a named test: $hit of $total"
if ((${#missing[@]})); then echo "not yet covered: ${missing[*]}"; fi
