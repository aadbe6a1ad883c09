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
  - C(changed) is true when anything on the router changed (files, units or
    the kernel); C(committed) is true exactly when op25bc changed the kernel.
  - In check mode it runs C(op25bc apply --dry-run), which has the kernel validate
    the exact batch without committing it, and reports whether changes are pending.
  - With C(--diff) it shows a bounded summary per set (elements added and removed,
    and the first few of each) and the rules added and removed, never every element.
  - An invalid policy fails with op25bc's diagnostics as structured data, and
    nothing reaches the kernel.
  - With O(src) it also deploys the policy from the controller (its action
    plugin sends the policy, its O(prefix_files) and, with O(binary_src), op25bc
    itself). Files that differ from those in force by SHA-256 are staged in the
    policy folder's C(.staging), checked together with C(op25bc validate),
    and installed under op25bc's lock by atomic renames, the policy last, so
    an invalid policy never lands. op25bc's warnings are Ansible warnings;
    with O(strict) they refuse the policy. In check mode they are staged and
    checked, and the staged policy is dry-run.
  - With O(units) it installs this router's C(op25bc.service) and
    C(op25bc.timer) from C(op25bc schedule --emit systemd), enables both and
    starts the timer (not in check mode).
  - Installing op25bc, deploying, units and applying are one module run, so a fleet pays Ansible's
    per-task cost once a router; a file over 4 MiB (and the binary) is sent
    only when its SHA-256 differs, at the cost of a second run.
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
  strict:
    description:
      - Treat op25bc's warnings about a deployed policy as errors (C(op25bc
        validate --strict)), so a warned policy never lands. Without it each
        warning is reported through Ansible's warnings and the policy deploys.
    type: bool
    default: false
  src:
    description:
      - The policy on the controller, deployed to O(policy) before applying
        (handled by the action plugin).
    type: path
  prefix_files:
    description:
      - The prefix files O(src) names, relative to its folder; each is deployed
        to the same path relative to O(policy)'s folder.
    type: list
    elements: str
    default: []
  binary_src:
    description:
      - An op25bc binary on the controller, installed at O(binary) (a path)
        when it differs; the policy is then checked and applied by it.
    type: path
  deb_src:
    description:
      - An op25bc package (.deb) on the controller, kept in C(/var/cache/apt/archives)
        and installed with C(apt-get) when it differs from the copy there or op25bc
        is not installed.
    type: path
  package:
    description:
      - Install op25bc from the router's package repositories first when it is
        not installed (C(apt-get install op25bc)), in the same module run.
    type: bool
    default: false
  apply:
    description:
      - Apply the policy. With C(false) the module only deploys it and installs
        the units.
    type: bool
    default: true
  units:
    description:
      - Install this router's systemd units. Omit to leave them alone.
    type: dict
    suboptions:
      dir:
        description: Where the units go.
        type: path
        default: /etc/systemd/system
      enable:
        description:
          - Enable both units (the service applies the policy at boot) and start
            the timer.
        type: bool
        default: true
      systemd_root:
        description:
          - Enable them offline in this root (C(systemctl --root), an image
            being built) instead of with the running manager; nothing is started.
        type: path
      metrics:
        description: A Prometheus textfile the scheduled C(activate) writes.
        type: path
  deploy:
    description:
      - Set by the action plugin from O(src), O(prefix_files), O(binary_src)
        and O(deb_src);
        not for direct use.
    type: list
    elements: dict
notes:
  - Needs CAP_NET_ADMIN on the router (become root); check mode also needs
    CAP_SYS_ADMIN for op25bc's throwaway network namespace.
seealso:
  - module: op25bc.op25b.op25bc_status
'''

EXAMPLES = r'''
- name: Deploy the fleet policy with its prefix files, install the units, apply
  op25bc.op25b.op25bc_apply:
    src: fleet/policy.json
    prefix_files: [pools/tokyo-flets-b.txt]
    policy: /etc/op25bc/policy.json
    router: "{{ inventory_hostname }}"
    kernel_timed: true
    units: {}

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
  description:
    - Whether anything changed on the router (in check mode, would change) -
      the kernel, a deployed file or a unit.
  returned: always
  type: bool
committed:
  description:
    - Whether op25bc changed the kernel (in check mode, whether changes are
      pending).
  returned: success
  type: bool
deployed:
  description: The files installed (or, in check mode, that would be).
  returned: success
  type: list
  elements: str
units_changed:
  description: The units installed, and C(enabled), C(started) or C(restarted).
  returned: success
  type: list
  elements: str
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
from ansible_collections.op25bc.op25b.plugins.module_utils.deploy import (
    Deployment, install_package, install_units)


def command(module, policy):
    p = module.params
    cmd = [op25bc_binary(module), 'apply', policy, '--format', 'json', '--at', p['at']]
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


def deploy(module, result):
    """Installs what the action plugin sent; returns the policy to apply
    (the staged one in check mode), or exits asking for missing files."""
    p = module.params
    files = Deployment(module, p['deploy'], p['policy'])
    missing = files.missing()
    if missing:  # the action plugin sends these and runs the module again
        module.exit_json(changed=False, op25bc_missing=missing)
    result['deployed'] += files.install_program()
    if not files.stale():
        return p['policy']
    staged = files.stage()
    cmd = [op25bc_binary(module), 'validate', '--base', files.staging, '--format', 'json', staged]
    if p['strict']:
        cmd.insert(2, '--strict')
    rc, data, err = run_json(module, cmd)
    if rc == 0:
        for d in diagnostics(data):
            if d['severity'] == 'warning':
                module.warn('op25bc validate: %s' % describe(d))
    if rc != 0:
        message = data.get('error') if isinstance(data, dict) and data.get('error') else None
        module.fail_json(msg='op25bc validate refused the policy: %s' % (
            message or first_error(data) or last_line(err) or 'exit status %d' % rc),
            rc=rc, cmd=cmd, stderr=err, diagnostics=diagnostics(data), staging=files.staging, **result)
    if module.check_mode:
        result['deployed'] += [e['dest'] for e in files.stale() if e['kind'] not in ('binary', 'deb')]
        return staged
    result['deployed'] += files.install(p['lock'])
    return p['policy']


def describe(d):
    where = d['pointer'] if d['pointer'] is not None else 'line %s' % d['line']
    return '%s: %s: %s' % (d['file'], where, d['message'])


def first_error(data):
    for d in diagnostics(data):
        if d['severity'] == 'error' or d['severity'] == 'warning':
            return describe(d)
    return None


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
            strict=dict(type='bool', default=False),
            src=dict(type='path'),
            prefix_files=dict(type='list', elements='str', default=[]),
            binary_src=dict(type='path'),
            deb_src=dict(type='path'),
            package=dict(type='bool', default=False),
            apply=dict(type='bool', default=True),
            units=dict(type='dict', options=dict(
                dir=dict(type='path', default='/etc/systemd/system'),
                enable=dict(type='bool', default=True),
                systemd_root=dict(type='path'),
                metrics=dict(type='path'),
            )),
            deploy=dict(type='list', elements='dict'),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if (p['src'] or p['binary_src'] or p['deb_src']) and p['deploy'] is None:
        module.fail_json(msg='src, binary_src and deb_src are read on the controller by the op25bc_apply action plugin; '
                             'run the module as op25bc.op25b.op25bc_apply from a playbook or ansible')
    result = dict(changed=False, committed=False, deployed=[], units_changed=[])
    if p['package']:
        result['deployed'] += install_package(module)
    policy = deploy(module, result) if p['deploy'] else p['policy']
    # The units name the policy in force; check mode leaves them out.
    if p['units'] is not None and not module.check_mode:
        result['units_changed'] = install_units(module, op25bc_binary(module), p['policy'], p['units'])
    if not p['apply']:
        result['changed'] = bool(result['deployed'] or result['units_changed'])
        module.exit_json(**result)
    cmd = command(module, policy)
    rc, data, err = run_json(module, cmd)
    # apply: 0 done or in sync; --dry-run: 0 in sync, 2 changes pending.
    succeeded = rc == 0 or (module.check_mode and rc == 2)
    if not succeeded or not isinstance(data, dict) or not data.get('ok'):
        message = data.get('error') if isinstance(data, dict) and data.get('error') else last_line(err)
        module.fail_json(msg='op25bc apply failed: %s' % (message or 'exit status %d' % rc),
                         rc=rc, cmd=cmd, stderr=err, diagnostics=diagnostics(data), **result)
    in_sync = bool(data.get('in_sync'))
    result['committed'] = not in_sync if module.check_mode else bool(data.get('committed'))
    result.update(
        changed=bool(result['committed'] or result['deployed'] or result['units_changed']),
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
