// SPDX-License-Identifier: GPL-2.0-or-later
// The iptables backend's view of the kernel: op25bc's chains and the FORWARD
// jump as iptables-legacy-save -c prints them, every ipset as `ipset list -t`
// shows it, and the port through which op25bc reads and changes them (the
// restore tools). The parsers are pure, so the planner is tested on text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "op25bc/backend/status.h"
#include "op25bc/net/prefix.h"
#include "op25bc/xt/render.h"

namespace op25bc::xt {

using xt::Tokens;

struct KernelRule {
  std::string chain;
  Tokens tokens;  // after "-A CHAIN"
  std::uint64_t packets = 0;
  std::uint64_t bytes = 0;
};

// One family's filter table, as iptables-save prints it.
struct KernelTable {
  std::vector<std::string> chains;  // user-defined chains, every one
  std::vector<KernelRule> rules;    // every rule, in order, chain by chain
  bool has_chain(std::string_view name) const;
  std::vector<const KernelRule*> rules_of(std::string_view chain) const;
};

struct KernelSet {
  std::string name;
  std::string type;    // "hash:net"
  std::string family;  // "inet", "inet6"
  std::size_t maxelem = 0;
  std::size_t references = 0;
  std::size_t entries = 0;
  std::uint64_t timeout = 0;  // seconds; 0: the set has no timeout
};

struct KernelView {
  KernelTable v4;
  KernelTable v6;
  std::vector<KernelSet> sets;
  const KernelTable& of(net::Family f) const { return f == net::Family::v4 ? v4 : v6; }
  const KernelSet* set(std::string_view name) const;
};

// iptables-save -c -t filter output; a line it cannot read is an error.
std::optional<KernelTable> parse_save(std::string_view text, std::string& error);
// `ipset list -t` output (every set's header).
std::optional<std::vector<KernelSet>> parse_ipset_list(std::string_view text, std::string& error);
// `ipset save NAME` output of a recording set (hash:ip with a timeout): its
// addresses and the seconds left on each, sorted by address.
std::optional<std::vector<backend::RecordedSource>> parse_ipset_recorded(std::string_view text,
                                                                         net::Family family,
                                                                         std::string& error);
// `ipset save NAME` output: the set's members as the kernel holds them, sorted.
std::optional<net::Prefixes> parse_ipset_members(std::string_view text, net::Family family,
                                                 std::string& error);

struct ToolResult {
  int status = -1;     // exit status; -1 when the tool could not be run
  std::string output;  // stdout
  std::string error;   // stderr, or why it could not be run
  bool ok() const { return status == 0; }
};

// The port. The real one (kernel/xt_tools.h) runs iptables-legacy-save,
// iptables-legacy-restore -w, ip6tables-legacy-*, ipset; a fake one in the tests.
class XtKernel {
 public:
  virtual ~XtKernel() = default;
  virtual ToolResult save(net::Family family) = 0;                  // iptables-save -c -t filter
  virtual ToolResult list_sets() = 0;                               // ipset list -t
  virtual ToolResult save_set(const std::string& name) = 0;         // ipset save NAME
  virtual ToolResult ipset_restore(const std::string& script) = 0;  // ipset -exist restore
  // Several restores side by side (the real port runs one process each);
  // by default one after the other. One result per script.
  virtual std::vector<ToolResult> ipset_restore_all(const std::vector<std::string>& scripts) {
    std::vector<ToolResult> out;
    for (const std::string& s : scripts) out.push_back(ipset_restore(s));
    return out;
  }
  // iptables-restore -w --noflush [--test]
  virtual ToolResult restore(net::Family family, const std::string& input, bool test) = 0;
};

// The whole view: both tables and the sets. nullopt after saying why in `error`.
std::optional<KernelView> read_view(XtKernel& kernel, std::string& error);

}  // namespace op25bc::xt
