#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Runs every libFuzzer harness for SECONDS each, after replaying every saved
# regression input (fuzz/regressions/TARGET/*), and fails on any finding.
#   fuzz/run.sh SECONDS [BUILD_DIR]     (BUILD_DIR default: build-fuzz)
# Builds BUILD_DIR with clang-16 first if it is not there. New findings land
# in BUILD_DIR/findings/TARGET; a fix commits them to fuzz/regressions/TARGET.
# The working corpora live in BUILD_DIR/corpus/TARGET, seeded from the
# examples, tests/corpus, fuzz/seeds and (as root) real kernel replies.
set -euo pipefail
seconds=${1:?usage: fuzz/run.sh SECONDS [BUILD_DIR]}
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${2:-$root/build-fuzz}")
targets=(policy_load time_and_prefix state_record netlink_reply xt_output history_index session_files
  radius_detail dhcp_leases)

if [[ ! -x $build/fuzz/fuzz_policy_load ]]; then
  CC=clang-16 CXX=clang++-16 cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DOP25BC_FUZZ=ON -DBUILD_TESTING=OFF >/dev/null
fi
cmake --build "$build" -j"$(nproc)" >/dev/null

seed() {  # seed TARGET DIR: the corpus a run starts from
  local target=$1 dir=$2
  mkdir -p "$dir"
  [[ -d $root/fuzz/seeds/$target ]] && cp -n "$root/fuzz/seeds/$target"/* "$dir"/ 2>/dev/null || true
  case $target in
    policy_load)
      # Named by their path: the corpus folders reuse file names.
      while IFS= read -r file; do
        name=${file#"$root"/}
        cp "$file" "$dir/${name//\//_}"
      done < <(find "$root/examples" "$root/tests/corpus" -name '*.json') ;;
    netlink_reply)
      # Real replies of a kernel holding both examples' tables (root only).
      if [[ $(id -u) == 0 ]] && command -v unshare >/dev/null; then
        for example in spinnet:2006-10-01 netlaputa:2006-10-01 spinnet:2006-09-15; do
          unshare -n "$build/fuzz/record_replies" "$root/examples/${example%%:*}.json" "${example#*:}" \
            "$dir/kernel-${example/:/-}" >/dev/null 2>&1 || echo "   (no kernel seed from $example)"
        done
      fi ;;
  esac
}

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
symbolizer=/usr/lib/llvm-16/bin/llvm-symbolizer
[[ -x $symbolizer ]] && export ASAN_SYMBOLIZER_PATH=$symbolizer
failed=0
for target in "${targets[@]}"; do
  bin=$build/fuzz/fuzz_$target
  regressions=$root/fuzz/regressions/$target
  if [[ -d $regressions ]] && compgen -G "$regressions/*" >/dev/null; then
    echo "== $target: replaying $(ls "$regressions" | wc -l) regression input(s)"
    "$bin" -runs=0 "$regressions"/* >/dev/null 2>&1 || {
      echo "FAIL: $target crashes on a saved regression input"; failed=1; }
  fi
  corpus=$build/corpus/$target findings=$build/findings/$target
  seed "$target" "$corpus"
  mkdir -p "$findings"
  echo "== $target: ${seconds}s from $(ls "$corpus" | wc -l) corpus inputs"
  if ! "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
      -max_len=65536 -print_final_stats=1 -artifact_prefix="$findings/" "$corpus" \
      >"$build/$target.log" 2>&1; then
    echo "FAIL: $target found something:"; tail -40 "$build/$target.log"; failed=1
  fi
  for artifact in "$findings"/*; do
    [[ -e $artifact ]] && { echo "FAIL: $target: $artifact"; failed=1; }
  done
  grep -E "^stat::(number_of_executed_units|new_units_added)|^#[0-9]+.*DONE" "$build/$target.log" |
    sed "s/^/   /" || true
done
exit $failed
