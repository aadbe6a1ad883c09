# -*- coding: utf-8 -*-
# Copyright: 2026 op25bc developers
# GNU General Public License v2.0 or later, and so also version 3 (see COPYING or https://www.gnu.org/licenses/gpl-2.0.txt)
# SPDX-License-Identifier: GPL-2.0-or-later

from __future__ import absolute_import, division, print_function
__metaclass__ = type


class ModuleDocFragment(object):
    # The backend option every op25bc module takes.
    DOCUMENTATION = r'''
options:
  backend:
    description:
      - Which of op25bc's backends enforces the policy on this router, C(nftables)
        (one atomic netlink batch) or C(iptables) (iptables-legacy and ipset, for
        routers without nftables). Its state file is that backend's own.
    type: str
    choices: [nftables, iptables]
    default: nftables
'''
