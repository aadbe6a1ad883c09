# Shared by the kernel test scripts (sourced, not run).

# Kernel tests need root and network namespaces. Without them they skip (77),
# except under CI=true, where a skip is a failure.
require_root_or_skip() {
  if [ "$(id -u)" -eq 0 ] && unshare -n true 2>/dev/null; then return 0; fi
  if [ "${CI:-}" = "true" ]; then
    echo "FAIL: kernel tests need root and network namespaces, and CI must run them"
    exit 1
  fi
  echo "SKIP: kernel tests need root (network namespaces)"
  exit 77
}

passed=0
failed=0
# check WHAT COMMAND...: counts the result, names a failure.
check() {
  local what=$1
  shift
  if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $what"; fi
}

# Runs a script in a fresh network namespace; it vanishes when the script ends.
in_netns() { unshare -n bash -euo pipefail -c "$1"; }

# The closing line ctest and CI read; the exit status follows it.
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}
