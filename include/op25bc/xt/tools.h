// SPDX-License-Identifier: GPL-2.0-or-later
// The iptables backend's way to the kernel: the standard tools, run as child
// processes with their input on stdin and their output read back, never the
// human-oriented listings. iptables-legacy-restore always takes the xtables
// lock (-w); ipset restores with -exist.
#pragma once

#include <signal.h>

#include <string>
#include <vector>

#include "op25bc/io/throwaway_netns.h"
#include "op25bc/xt/kernel.h"
#include "op25bc/xt/render.h"

namespace op25bc::xt {

// Runs `argv` (found in PATH) with `input` on stdin; stdout and stderr read back.
xt::ToolResult run_tool(const std::vector<std::string>& argv, const std::string& input);

// While it lives, SIGPIPE is ignored (a tool that exits before reading all
// its input must not kill op25bc; the write then fails with EPIPE).
class ToolsKernel final : public xt::XtKernel {
 public:
  ToolsKernel();
  ~ToolsKernel() override;
  ToolsKernel(const ToolsKernel&) = delete;
  ToolsKernel& operator=(const ToolsKernel&) = delete;
  std::vector<xt::ToolResult> ipset_restore_all(const std::vector<std::string>& scripts) override;
  xt::ToolResult save(net::Family family) override;
  xt::ToolResult list_sets() override;
  xt::ToolResult save_set(const std::string& name) override;
  xt::ToolResult ipset_restore(const std::string& script) override;
  xt::ToolResult restore(net::Family family, const std::string& input, bool test) override;

 private:
  struct sigaction previous_ {};
};

// The capabilities the iptables backend needs and this process lacks, as
// "CAP_NET_RAW" or "CAP_NET_ADMIN and CAP_NET_RAW"; "" when it has both.
// iptables-legacy talks to the kernel through a raw IPv4/IPv6 socket
// (CAP_NET_RAW) and changes its tables (CAP_NET_ADMIN); ipset needs
// CAP_NET_ADMIN.
std::string missing_capabilities();

// The tools the backend runs that PATH lacks ("" when all are there).
std::string missing_tools();

// Set when this host's `iptables` is iptables-nft and it holds rules (in this
// network namespace): op25bc drives the legacy tools, whose rules
// iptables-nft does not show, and the nftables backend is the native one there.
bool iptables_nft_holds_rules();

// Loads the whole ruleset with the tools in a private, throwaway network
// namespace, as `compile --backend iptables` prints it.
io::ThrowawayResult load_in_throwaway_netns(const xt::Ruleset& ruleset);

}  // namespace op25bc::xt
