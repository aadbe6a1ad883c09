# SPDX-License-Identifier: GPL-2.0-or-later
# Shared by the benchmark scripts (sourced, not run): arguments
# [OP25BC] [SIZES...] (default build/op25bc 10000 100000 1000000), a private
# work folder, and `measure`.
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
op25bc=${1:-$here/../build/op25bc}
shift || true
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(10000 100000 1000000)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# measure COMMAND...: prints "seconds peak_MiB"; the command's output goes to $work.
measure() {
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/stdout" 2>"$work/stderr" || {
    cat "$work/stderr" >&2
    return 1
  }
  awk '{ printf "%.2f %.0f\n", $1, $2 / 1024 }' "$work/time"
}
