#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: 2026 op25bc developers
# GNU General Public License v2.0 or later, and so also version 3 (see COPYING or https://www.gnu.org/licenses/gpl-2.0.txt)
# SPDX-License-Identifier: GPL-2.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: op25bc_apply
short_description: Make this router's kernel hold an op25bc OP25B policy
description:
  - Runs the installed C(op25bc apply) on the managed router and reads only its
    C(--format json) output. op25bc pushes one atomic netlink batch of only the
    differences and touches nothing outside its own nftables table.
  - C(changed) is true exactly when op25bc changed the kernel.
  - In check mode it runs C(op25bc apply --dry-run), which has the kernel validate
    the exact batch without committing it, and reports whether changes are pending.
  - With C(--diff) it shows a bounded summary per set (elements added and removed,
    and the first few of each) and the rules added and removed, never every element.
  - An invalid policy fails with op25bc's diagnostics as structured data, and
    nothing reaches the kernel.
version_added: 0.1.0
extends_documentation_fragment:
  - op25bc.op25b.backend
author:
  - op25bc developers (@op25bc)
options:
  policy:
    description:
      - Path of the policy file on the router. Prefix files it names are read
        relative to its folder.
    type: path
    required: true
  router:
    description:
      - The id of this router under the policy's C(routers); the ruleset then holds
        only the pools this router carries.
    type: str
  at:
    description:
      - The instant whose ruleset to apply (C(YYYY-MM-DD), RFC 3339, or C(now)).
    type: str
    default: now
  state:
    description:
      - op25bc's state record (default C(/var/lib/op25bc/TABLE.state)).
    type: path
  lock:
    description:
      - The lock file serialising op25bc runs (default C(/run/op25bc/op25bc.lock)).
    type: path
  kernel_timed:
    description:
      - Also install the next boundary's change guarded by nftables C(meta time),
        so every router switches at the same second whatever minute its run landed.
    type: bool
    default: false
  adopt:
    description:
      - Replace a same-named table that op25bc did not create (refused otherwise).
    type: bool
    default: false
  keep:
    description:
      - How many applied policies op25bc's history keeps for rollback.
    type: int
  binary:
    description:
      - The op25bc program, as a path or a name looked up on C(PATH).
    type: str
    default: op25bc
  diff_elements:
    description:
      - How many elements per set the C(--diff) summary shows.
    type: int
    default: 5
notes:
  - Needs CAP_NET_ADMIN on the router (become root); check mode also needs
    CAP_SYS_ADMIN for op25bc's throwaway network namespace.
seealso:
  - module: op25bc.op25b.op25bc_status
'''

EXAMPLES = r'''
- name: Apply the fleet policy for this router
  op25bc.op25b.op25bc_apply:
    policy: /etc/op25bc/policy.json
    router: "{{ inventory_hostname }}"
    kernel_timed: true

- name: Apply the ruleset of a given instant with its own state file
  op25bc.op25b.op25bc_apply:
    policy: /etc/op25bc/policy.json
    at: "2006-10-01"
    state: /var/lib/op25bc/lab.state
'''

RETURN = r'''
changed:
  description: Whether op25bc changed the kernel (in check mode, whether changes are pending).
  returned: always
  type: bool
in_sync:
  description: The kernel already held the ruleset (op25bc saw it).
  returned: success
  type: bool
at:
  description: The instant applied, in the policy's time zone.
  returned: success
  type: str
  sample: "2006-10-01T00:00:00+09:00"
router:
  description: The router whose share of the policy was applied, or null.
  returned: success
  type: str
fingerprint:
  description: The policy's fingerprint (its bytes and its prefix files').
  returned: success
  type: str
summary:
  description: Counts of the transaction (elements and rules added and deleted).
  returned: success
  type: dict
  sample: {"elements_added": 8, "elements_deleted": 4, "rules_added": 4, "rules_deleted": 0}
sets:
  description: Per set, elements added and deleted.
  returned: success
  type: dict
  sample: {"phase_tokyo_src4": {"added": 1, "deleted": 1}}
diagnostics:
  description: op25bc's diagnostics when the policy is invalid.
  returned: failure
  type: list
  elements: dict
  sample: [{"severity": "error", "file": "/etc/op25bc/policy.json",
            "pointer": "/pools/3/prefixes/2", "line": null,
            "message": "\"198.18.0.1/20\" has host bits set", "hint": null}]
'''

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.op25bc.op25b.plugins.module_utils.op25bc import (
    diagnostics, last_line, op25bc_binary, run_json)


def command(module):
    p = module.params
    cmd = [op25bc_binary(module), 'apply', p['policy'], '--format', 'json', '--at', p['at']]
    if module.check_mode:
        cmd.append('--dry-run')
    for option in ('router', 'state', 'lock'):
        if p[option]:
            cmd += ['--' + option, p[option]]
    if p['keep'] is not None:
        cmd += ['--keep', str(p['keep'])]
    if p['kernel_timed']:
        cmd.append('--kernel-timed')
    if p['adopt']:
        cmd.append('--adopt')
    if p['backend'] != 'nftables':
        cmd += ['--backend', p['backend']]
    return cmd


def per_set(changes):
    sets = {}
    for c in changes:
        if c.get('object') != 'elements':
            continue
        entry = sets.setdefault(c['set'], {'added': 0, 'deleted': 0})
        entry['added' if c['op'] == 'add' else 'deleted'] += c.get('count', 0)
    return sets


def diff_text(data, shown):
    """A readable, bounded summary of the transaction for --diff."""
    head = 'op25bc table %s at %s' % (data.get('table'), data.get('at'))
    if data.get('router'):
        head += ' on router %s' % data['router']
    lines = [head]
    elements = {}
    for c in data.get('changes', []):
        kind = c.get('object')
        if kind == 'elements':
            sample = elements.setdefault(c['set'], {'add': [0, []], 'delete': [0, []]})[c['op']]
            sample[0] += c.get('count', 0)
            sample[1].extend(c.get('elements', [])[:max(0, shown - len(sample[1]))])
        elif kind == 'rule':
            sign = '+' if c['op'] == 'add' else '-'
            lines.append('%s rule in %s: %s' % (sign, c.get('chain'), c.get('rule', '')))
        elif kind == 'chains':  # the iptables backend rewrites a family's chains at once
            lines.append('~ %s chains (%s): %d rules' % (c.get('family'), c['op'], len(c.get('rules', []))))
        elif c.get('op') in ('add', 'delete'):
            sign = '+' if c['op'] == 'add' else '-'
            lines.append('%s %s %s' % (sign, kind, c.get('name', '')))
    for name in sorted(elements):
        for op, sign in (('add', '+'), ('delete', '-')):
            count, sample = elements[name][op]
            if count == 0:
                continue
            more = '' if count <= len(sample) else ', ... (%d more)' % (count - len(sample))
            lines.append('%s %d element%s of set %s: %s%s' % (
                sign, count, '' if count == 1 else 's', name, ', '.join(sample), more))
    s = data.get('summary', {})
    lines.append('summary: %d elements added, %d deleted; %d rules added, %d deleted' % (
        s.get('elements_added', 0), s.get('elements_deleted', 0),
        s.get('rules_added', 0), s.get('rules_deleted', 0)))
    return '\n'.join(lines) + '\n'


def main():
    module = AnsibleModule(
        argument_spec=dict(
            policy=dict(type='path', required=True),
            router=dict(type='str'),
            at=dict(type='str', default='now'),
            state=dict(type='path'),
            lock=dict(type='path'),
            kernel_timed=dict(type='bool', default=False),
            adopt=dict(type='bool', default=False),
            backend=dict(type='str', default='nftables', choices=['nftables', 'iptables']),
            keep=dict(type='int'),
            binary=dict(type='str', default='op25bc'),
            diff_elements=dict(type='int', default=5),
        ),
        supports_check_mode=True,
    )
    cmd = command(module)
    rc, data, err = run_json(module, cmd)
    # apply: 0 done or in sync; --dry-run: 0 in sync, 2 changes pending.
    succeeded = rc == 0 or (module.check_mode and rc == 2)
    if not succeeded or not isinstance(data, dict) or not data.get('ok'):
        message = data.get('error') if isinstance(data, dict) and data.get('error') else last_line(err)
        module.fail_json(msg='op25bc apply failed: %s' % (message or 'exit status %d' % rc),
                         rc=rc, cmd=cmd, stderr=err, diagnostics=diagnostics(data))
    in_sync = bool(data.get('in_sync'))
    changed = not in_sync if module.check_mode else bool(data.get('committed'))
    result = dict(
        changed=changed,
        in_sync=in_sync,
        at=data.get('at'),
        router=data.get('router'),
        fingerprint=data.get('fingerprint'),
        summary=data.get('summary', {}),
        sets=per_set(data.get('changes', [])),
        stderr=err,
    )
    if module._diff and not in_sync:
        result['diff'] = dict(prepared=diff_text(data, module.params['diff_elements']))
    module.exit_json(**result)


if __name__ == '__main__':
    main()
