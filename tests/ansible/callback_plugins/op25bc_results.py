# -*- coding: utf-8 -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Test helper: writes every task result as one JSON line (host, task, status,
# changed, and the module's result) to $OP25BC_RESULTS, so the fleet test
# asserts on what each host's op25bc_apply reported, not on screen text.

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = '''
name: op25bc_results
type: aggregate
short_description: task results as JSON lines, for op25bc's fleet test
description: Writes each task result to the file named by OP25BC_RESULTS.
'''

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = 'aggregate'
    CALLBACK_NAME = 'op25bc_results'
    CALLBACK_NEEDS_ENABLED = True

    def _write(self, result, status):
        path = os.environ.get('OP25BC_RESULTS')
        if not path:
            return
        r = dict(result._result)
        r.pop('invocation', None)
        line = {'host': result._host.get_name(), 'task': result._task.get_name(),
                'action': result._task.action, 'status': status,
                'changed': bool(r.get('changed')), 'time': round(time.time(), 3), 'result': r}
        with open(path, 'a') as f:
            f.write(json.dumps(line, default=str) + '\n')

    def v2_runner_on_ok(self, result):
        self._write(result, 'ok')

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._write(result, 'failed')

    def v2_runner_on_skipped(self, result):
        self._write(result, 'skipped')
