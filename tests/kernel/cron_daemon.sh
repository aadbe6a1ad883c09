#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The real cron daemon (Debian's cron) runs the line `op25bc schedule --emit
# cron` writes, and the command it starts gets exactly op25bc's arguments,
# for paths holding '%', '\%', '\\' and a trailing '\' (issue 23, item 6).
# cron runs in a mount namespace of its own, with a private /etc/cron.d and
# /run, so the host's cron tables are neither read nor touched. It waits for
# cron's next minute (at most about 70 s).
set -euo pipefail
op25bc=$1
root=$2
if [ "$(id -u)" -ne 0 ] || ! command -v cron >/dev/null; then
  [ "${CI:-}" = "true" ] && { echo "FAIL: needs root and Debian's cron"; exit 1; }
  echo "SKIP: needs root and Debian's cron"; exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dir="$work/a\\%b \\\\c %% \\"
mkdir -p "$dir"
# A stand-in for op25bc at the odd path: it writes the arguments it was given.
printf '#!/bin/sh\nfor a; do printf "%%s\\n" "$a"; done > "%s/argv"\n' "$work" > "$dir/op25bc"
chmod +x "$dir/op25bc"
"$op25bc" schedule "$root/examples/spinnet.json" --emit cron --bin "$dir/op25bc" \
  --state "$dir/state" 2>/dev/null | grep -v '^@reboot' > "$work/crontab"
printf '%s\n' activate "$root/examples/spinnet.json" --state "$dir/state" > "$work/expected"

unshare -m --propagation private bash -euo pipefail -c '
  mount -t tmpfs none /etc/cron.d
  mount -t tmpfs none /run
  install -m 644 "$1/crontab" /etc/cron.d/op25bc
  cron -f -L 0 & cron=$!
  for _ in $(seq 150); do [ -e "$1/argv" ] && break; sleep 0.5; done
  sleep 0.5
  kill "$cron"; wait "$cron" 2>/dev/null || true
' _ "$work"

passed=0 failed=0
if [ -e "$work/argv" ] && cmp -s "$work/argv" "$work/expected"; then
  passed=1
else
  failed=1
  echo "FAIL: cron ran the line with other arguments (or not at all):"
  cat "$work/crontab"
  cat "$work/argv" 2>/dev/null || true
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
