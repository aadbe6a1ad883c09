#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Installs everything op25bc needs to build and test on Debian 12 (as root).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends \
  g++ cmake make pkg-config ca-certificates \
  libcli11-dev nlohmann-json3-dev libsimdjson-dev doctest-dev libhowardhinnant-date-dev tzdata \
  libnftnl-dev libmnl-dev libxxhash-dev libjemalloc-dev \
  clang-16 libclang-rt-16-dev libfuzzer-16-dev llvm-16 \
  nftables iptables ipset iproute2 util-linux systemd python3 python3-jsonschema python3-jsonpatch \
  python3-croniter cron strace dnsmasq-base busybox tidy chromium fonts-noto-cjk cmark-gfm \
  freeradius freeradius-utils kea-dhcp4-server kea-dhcp6-server isc-dhcp-relay isc-dhcp-client \
  scdoc man-db bash-completion build-essential dpkg-dev debhelper lintian \
  prometheus prometheus-node-exporter \
  ansible-core yamllint python3-pycodestyle python3-voluptuous
