// SPDX-License-Identifier: GPL-2.0-or-later
// A fake of what the iptables backend drives: the filter tables of
// iptables-legacy and ip6tables-legacy and the ipsets, in memory. It reads the
// restore inputs op25bc writes (a restore applies all or nothing, as legacy
// iptables commits one table replace), prints what iptables-save -c and
// ipset list -t / save print, and can be told to refuse a tool's next change.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "op25bc/xt/kernel.h"

namespace op25bc::test {

class FakeXtKernel final : public xt::XtKernel {
 public:
  struct Rule {
    std::string text;  // after "-A CHAIN "
    std::uint64_t packets = 0;
  };
  struct Table {
    std::vector<std::string> chains;                 // user chains, in creation order
    std::map<std::string, std::vector<Rule>> rules;  // FORWARD included
  };
  struct Set {
    std::string family;  // inet, inet6
    std::size_t maxelem = 65536;
    std::vector<std::string> members;
    std::string type = "hash:net";  // or hash:ip, a recording set
    std::uint64_t timeout = 0;      // a recording set's: each member's time left
  };

  xt::ToolResult save(net::Family family) override;
  xt::ToolResult list_sets() override;
  xt::ToolResult save_set(const std::string& name) override;
  xt::ToolResult ipset_restore(const std::string& script) override;
  xt::ToolResult restore(net::Family family, const std::string& input, bool test) override;

  // The next change by this tool ("ipset", "iptables", "ip6tables") fails.
  void refuse_next(const std::string& tool) { refuse_ = tool; }

  Table v4, v6;
  std::map<std::string, Set> sets;
  std::vector<std::string> calls;  // "ipset restore (N lines)", "iptables restore", ...
  std::size_t ipset_lines = 0;     // lines of every ipset restore, summed

 private:
  Table& table(net::Family f) { return f == net::Family::v4 ? v4 : v6; }
  std::string refuse_;
};

}  // namespace op25bc::test
