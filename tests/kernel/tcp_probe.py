#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Helpers for the packet-level test, run inside the test's namespaces.

  tcp_probe.py serve PORT...         accept and close TCP connections on 0.0.0.0 and ::
  tcp_probe.py probe CASES.json      connect each {src, dst, port}; print JSON results:
                                     "connected", "reset" (refused/RST) or "timeout"
"""
import json
import selectors
import socket
import sys


def serve(ports):
    sel = selectors.DefaultSelector()
    for port in ports:
        for family, any_addr in ((socket.AF_INET, "0.0.0.0"), (socket.AF_INET6, "::")):
            s = socket.socket(family, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            if family == socket.AF_INET6:
                s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
            s.bind((any_addr, port))
            s.listen(64)
            sel.register(s, selectors.EVENT_READ)
    print("ready", flush=True)
    while True:
        for key, _ in sel.select():
            conn, _ = key.fileobj.accept()
            conn.close()


def probe(path):
    results = []
    for case in json.load(open(path)):
        family = socket.AF_INET6 if ":" in case["dst"] else socket.AF_INET
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(3)
        s.bind((case["src"], 0))
        try:
            s.connect((case["dst"], case["port"]))
            outcome = "connected"
        except ConnectionRefusedError:
            outcome = "reset"
        except (socket.timeout, TimeoutError):
            outcome = "timeout"
        finally:
            s.close()
        results.append(dict(case, outcome=outcome))
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve([int(p) for p in sys.argv[2:]])
    else:
        probe(sys.argv[2])
