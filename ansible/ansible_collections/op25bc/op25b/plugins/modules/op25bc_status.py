#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: 2026 op25bc developers
# GNU General Public License v2.0 or later, and so also version 3 (see COPYING or https://www.gnu.org/licenses/gpl-2.0.txt)
# SPDX-License-Identifier: GPL-2.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: op25bc_status
short_description: Gather facts about op25bc's OP25B table on this router
description:
  - Runs the installed C(op25bc status), C(op25bc history) and, when a policy is
    given, C(op25bc timeline) on the managed router with C(--format json), and
    returns what op25bc's table holds as the fact C(op25bc).
  - The facts name phases by their policy ids, count set elements and blocked
    packets per phase, and give the last apply, the rollback pin and the next
    boundary at which this router's ruleset changes.
  - Never changes anything.
version_added: 0.1.0
extends_documentation_fragment:
  - op25bc.op25b.backend
author:
  - op25bc developers (@op25bc)
options:
  table:
    description:
      - The nftables table (inet family) op25bc manages.
    type: str
    default: op25b
  state:
    description:
      - op25bc's state record (default C(/var/lib/op25bc/TABLE.state)).
    type: path
  policy:
    description:
      - The policy file on the router; needed for C(next_boundary).
    type: path
  router:
    description:
      - This router's id under the policy's C(routers), for C(next_boundary).
    type: str
  verify:
    description:
      - Count set elements by reading them back from the kernel (slow for large sets).
    type: bool
    default: false
  binary:
    description:
      - The op25bc program, as a path or a name looked up on C(PATH).
    type: str
    default: op25bc
notes:
  - Needs CAP_NET_ADMIN to read the table (become root).
seealso:
  - module: op25bc.op25b.op25bc_apply
'''

EXAMPLES = r'''
- name: Read op25bc's table
  op25bc.op25b.op25bc_status:
    policy: /etc/op25bc/policy.json
    router: "{{ inventory_hostname }}"

- name: Show what each phase blocked
  ansible.builtin.debug:
    var: ansible_facts.op25bc.counters
'''

RETURN = r'''
ansible_facts:
  description: Facts about op25bc's table.
  returned: always
  type: complex
  contains:
    op25bc:
      description: What op25bc's table holds.
      returned: always
      type: dict
      sample:
        present: true
        table: op25b
        active_phases: [tokyo]
        sets: {phase_tokyo_src4: 1, smarthost4: 1}
        elements: 2
        counters: {tokyo: {packets: 3, bytes: 180}}
        last_apply: {at: "2006-07-01T00:00:00+09:00", policy_fingerprint: "f63876a487661781"}
        router: bng-tokyo-1
        pinned: null
        next_boundary: {at: "2006-10-01T00:00:00+09:00", utc: "2006-09-30T15:00:00Z"}
'''

import datetime

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.op25bc.op25b.plugins.module_utils.op25bc import (
    last_line, op25bc_binary, run_json)


def utc_now():
    return datetime.datetime.utcnow().strftime('%Y-%m-%dT%H:%M:%SZ')


def next_boundary(module, binary):
    """The first instant after now at which this router's ruleset changes."""
    p = module.params
    cmd = [binary, 'timeline', p['policy'], '--format', 'json']
    if p['router']:
        cmd += ['--router', p['router']]
    rc, data, err = run_json(module, cmd)
    if rc != 0 or not isinstance(data, dict):
        module.fail_json(msg='op25bc timeline failed: %s' % last_line(err), rc=rc, cmd=cmd)
    now = utc_now()  # RFC 3339 UTC strings order as the instants do
    for event in data.get('events', []):
        if event.get('ruleset_changes') and event.get('utc', '') > now:
            return {'at': event['at'], 'utc': event['utc']}
    return None


def main():
    module = AnsibleModule(
        argument_spec=dict(
            table=dict(type='str', default='op25b'),
            state=dict(type='path'),
            policy=dict(type='path'),
            router=dict(type='str'),
            verify=dict(type='bool', default=False),
            backend=dict(type='str', default='nftables', choices=['nftables', 'iptables']),
            binary=dict(type='str', default='op25bc'),
        ),
        supports_check_mode=True,
    )
    p = module.params
    binary = op25bc_binary(module)
    where = ['--table', p['table'], '--backend', p['backend']] + (['--state', p['state']] if p['state'] else [])
    cmd = [binary, 'status', '--format', 'json'] + where + (['--verify'] if p['verify'] else [])
    rc, status, err = run_json(module, cmd)
    if not isinstance(status, dict):
        module.fail_json(msg='op25bc status failed: %s' % last_line(err), rc=rc, cmd=cmd)
    facts = {'table': p['table'], 'backend': p['backend'], 'present': bool(status.get('present'))}
    if facts['present']:
        sets = dict((s['name'], s.get('elements')) for s in status.get('sets', []))
        facts.update(
            active_phases=status.get('active_phases', []),
            sets=sets,
            elements=sum(n for n in sets.values() if isinstance(n, int)),
            counters=dict((c['phase'], {'packets': c['packets'], 'bytes': c['bytes']})
                          for c in status.get('counters', [])),
            owned_by_op25bc=status.get('owned_by_op25bc'),
            last_apply=status.get('last_apply'),
        )
    hcmd = [binary, 'history', '--format', 'json'] + where
    rc, history, err = run_json(module, hcmd)
    if rc != 0 or not isinstance(history, dict):
        module.fail_json(msg='op25bc history failed: %s' % last_line(err), rc=rc, cmd=hcmd)
    entries = history.get('entries', [])
    facts['pinned'] = history.get('pinned')
    facts['router'] = entries[0].get('router') if entries else None
    facts['last_run'] = entries[0] if entries else None
    facts['next_boundary'] = next_boundary(module, binary) if p['policy'] else None
    module.exit_json(changed=False, ansible_facts={'op25bc': facts})


if __name__ == '__main__':
    main()
