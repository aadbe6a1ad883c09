# -*- coding: utf-8 -*-
# Copyright: 2026 op25bc developers
# GNU General Public License v2.0 or later, and so also version 3 (see COPYING or https://www.gnu.org/licenses/gpl-2.0.txt)
# SPDX-License-Identifier: GPL-2.0-or-later
# Running the installed op25bc and reading its --format json output: the
# collection's modules never parse op25bc's human-oriented text.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json


def op25bc_binary(module):
    """The op25bc to run: the `binary` option as a path, or found on PATH."""
    binary = module.params['binary']
    if '/' in binary:
        return binary
    return module.get_bin_path(binary, required=True, opt_dirs=['/usr/sbin', '/usr/local/sbin'])


def run_json(module, args):
    """Runs op25bc; returns (exit status, parsed stdout or None, stderr)."""
    rc, out, err = module.run_command(args)
    data = None
    if out.strip():
        try:
            data = json.loads(out)
        except ValueError:
            data = None
    return rc, data, err


def diagnostics(data):
    """op25bc's diagnostics as structured data: file, pointer or line, message, hint."""
    if not isinstance(data, dict):
        return []
    out = []
    for d in data.get('diagnostics', []):
        out.append({
            'severity': d.get('severity'),
            'file': d.get('file'),
            'pointer': d.get('pointer'),
            'line': d.get('line'),
            'message': d.get('message'),
            'hint': d.get('hint'),
        })
    return out


def last_line(text):
    """The last non-empty line of a tool's stderr, for a one-line failure message."""
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ''
