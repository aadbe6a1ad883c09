# -*- coding: utf-8 -*-
# Copyright: 2026 op25bc developers
# GNU General Public License v2.0 or later, and so also version 3 (see COPYING or https://www.gnu.org/licenses/gpl-2.0.txt)
# SPDX-License-Identifier: GPL-2.0-or-later
# The controller's side of op25bc_apply: reads src, its prefix files and
# binary_src, and hands them to the module with their SHA-256, small files
# inline, so that deploying, checking, installing the units and applying are
# one module run a router. A large file (or the binary) goes only by its hash;
# if the router does not hold it, the module says so, and this plugin copies
# it to the router and runs the module once more.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import base64
import hashlib
import os

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.common.validation import check_type_list
from ansible.plugins.action import ActionBase

INLINE_LIMIT = 4 << 20  # bytes; larger files are sent only when they differ
MODULE = 'op25bc.op25b.op25bc_apply'


def digest(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            h.update(block)
    return h.hexdigest()


def relative_inside(name):
    """A prefix file's name as the policy gives it: relative, never leaving the folder."""
    parts = name.split('/')
    return bool(name) and not os.path.isabs(name) and not any(p in ('', '.', '..') for p in parts)


class ActionModule(ActionBase):
    TRANSFERS_FILES = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        args = dict(self._task.args)
        if not any(args.get(k) for k in ('src', 'binary_src', 'deb_src')):
            result.update(self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars))
            return result

        entries, local = self._entries(args)
        args['deploy'] = entries
        try:
            answer = self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)
            missing = answer.get('op25bc_missing')
            if missing and not answer.get('failed'):
                self._send(entries, missing, local)
                answer = self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)
                if answer.get('op25bc_missing'):
                    raise AnsibleActionFail('the router still lacks %s after they were sent' % ', '.join(answer['op25bc_missing']))
        finally:
            self._remove_tmp_path(self._connection._shell.tmpdir)
        if args.get('src'):  # staged under the policy's name on the router
            local[os.path.basename(args['policy'])] = local[os.path.basename(args['src'])]
        self._controller_paths(answer, local)
        # The invocation would echo every byte sent.
        invocation = answer.get('invocation', {}).get('module_args')
        if isinstance(invocation, dict) and 'deploy' in invocation:
            invocation['deploy'] = [dict(e, content=None) for e in invocation['deploy'] or []]
        result.update(answer)
        return result

    def _entries(self, args):
        """The files to deploy: (entries for the module, their controller paths by name)."""
        entries, local = [], {}

        def add(kind, name, path):
            try:
                size = os.path.getsize(path)
                entry = dict(kind=kind, path=name, sha256=digest(path), content=None, tmp=None)
                if kind not in ('binary', 'deb') and size <= INLINE_LIMIT:
                    with open(path, 'rb') as f:
                        entry['content'] = to_text(base64.b64encode(f.read()))
            except (IOError, OSError) as e:
                raise AnsibleActionFail('cannot read %s: %s' % (path, to_text(e)))
            entries.append(entry)
            local[name] = path

        if args.get('binary_src'):
            add('binary', 'op25bc', self._find_needle('files', args['binary_src']))
        if args.get('deb_src'):
            deb = self._find_needle('files', args['deb_src'])
            add('deb', os.path.basename(deb), deb)
        if args.get('src'):
            src = self._find_needle('files', args['src'])
            add('policy', os.path.basename(src), src)
            for name in check_type_list(args.get('prefix_files') or []):
                if not relative_inside(name):
                    raise AnsibleActionFail('prefix file %r must be a path relative to the policy folder that stays inside it' % name)
                add('prefix_file', name, os.path.join(os.path.dirname(src), name))
        return entries, local

    def _send(self, entries, missing, local):
        """Copies the files the router lacks into the remote temporary folder."""
        if not self._connection._shell.tmpdir:
            self._make_tmp_path()
        sent = []
        for i, entry in enumerate(entries):
            if entry['path'] in missing:
                remote = self._connection._shell.join_path(self._connection._shell.tmpdir, 'op25bc-file-%d' % i)
                self._transfer_file(local[entry['path']], remote)
                entry['tmp'] = remote
                sent.append(remote)
        self._fixup_perms2(sent)

    @staticmethod
    def _controller_paths(answer, local):
        """Diagnostics about the staged copies name the controller's files."""
        staging = answer.get('staging')
        if not staging:
            return
        for d in answer.get('diagnostics') or []:
            f = d.get('file') or ''
            if f.startswith(staging + '/'):
                d['file'] = local.get(f[len(staging) + 1:], f)
        for name, path in local.items():
            answer['msg'] = answer.get('msg', '').replace('%s/%s:' % (staging, name), '%s:' % path)
