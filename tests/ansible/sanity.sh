#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# ansible-test sanity (shipped with ansible-core) on the collection, one test
# at a time. Several sanity tests install their tools (pylint, yamllint,
# voluptuous, ...) from PyPI into a venv first; offline that cannot happen,
# and such a test is listed as "cannot run offline", never as passed. Every
# test that can run must pass.
set -euo pipefail
root=$1
collection=$root/ansible/ansible_collections/op25bc/op25b
if ! command -v ansible-test >/dev/null; then
  [ "${CI:-}" = true ] && { echo "FAIL: ansible-test (ansible-core) is missing"; exit 1; }
  echo "SKIP: ansible-test (Debian ansible-core) is not installed"
  exit 77
fi
work=$(mktemp -d)
# ansible-test writes its output inside the collection: work on a copy.
cp -r "$root/ansible" "$work/"
trap 'rm -rf "$work"' EXIT
cd "$work/ansible/ansible_collections/op25bc/op25b"
export HOME=$work  # its venvs and caches
passed=() failed=() offline=()
for t in $(ansible-test sanity --list-tests 2>/dev/null); do
  if out=$(timeout 300 ansible-test sanity --python 3.11 --color no --test "$t" 2>&1); then
    passed+=("$t")
  elif grep -qE "does not have pip available|Download failed|Could not find a version that satisfies" <<<"$out"; then
    offline+=("$t")
  else
    failed+=("$t")
    echo "--- $t"
    grep -v "^WARNING: Using locale" <<<"$out" | tail -30
  fi
done
# What those offline-blocked tests would check, with the same tools from
# Debian's packages where there are some: the docs parse (ansible-doc, as the
# ansible-doc test), YAML lint, and pycodestyle with ansible-test's own pep8
# exceptions (E402: DOCUMENTATION comes before the imports).
direct() {
  local name=$1
  shift
  if out=$("$@" 2>&1); then passed+=("$name"); else failed+=("$name"); echo "--- $name"; echo "$out" | tail -30; fi
}
export ANSIBLE_COLLECTIONS_PATH=$work/ansible
for m in op25bc_apply op25bc_status; do direct "ansible-doc($m)" ansible-doc "op25bc.op25b.$m"; done
direct "ansible-doc(role)" ansible-doc -t role op25bc.op25b.op25bc
direct "ansible-playbook --syntax-check(rollout)" ansible-playbook --syntax-check -i localhost, playbooks/rollout.yml
# validate-modules as ansible-test runs it (its validate.py with --arg-spec),
# on Debian's python3-voluptuous instead of a venv from PyPI: the documented
# options against the argument spec, the licence header, the interpreter.
validate_modules() {
  local out
  out=$(/usr/bin/python3 "$(/usr/bin/python3 -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')/_util/controller/sanity/validate-modules/validate.py" \
    --format json --arg-spec --collection ansible_collections/op25bc/op25b \
    --collection-version "$(sed -n 's/^version: //p' galaxy.yml)" plugins/modules/*.py) || return 1
  /usr/bin/python3 -c '
import json, sys
found = json.loads(sys.argv[1])
bad = {f: m["errors"] for f, m in found.items() if m["errors"]}
print(json.dumps(bad, indent=1) if bad else "validate-modules: no errors in %d modules" % len(found))
sys.exit(1 if bad else 0)' "$out"
}
if /usr/bin/python3 -c 'import voluptuous' 2>/dev/null; then
  direct "validate-modules (Debian's voluptuous)" validate_modules
fi
if command -v yamllint >/dev/null; then
  direct yamllint yamllint -s -d "{extends: default, rules: {line-length: {max: 160}, document-start: disable}}" .
fi
if /usr/bin/python3 -m pycodestyle --version >/dev/null 2>&1; then
  direct pycodestyle /usr/bin/python3 -m pycodestyle --max-line-length 160 --ignore E402,W503,W504,E741 plugins
fi

echo "passed (${#passed[@]}): ${passed[*]}"
echo "cannot run offline, their tools come from PyPI (${#offline[@]}): ${offline[*]}"
echo "failed (${#failed[@]}): ${failed[*]}"
[ ${#passed[@]} -gt 0 ] && [ ${#failed[@]} -eq 0 ]
