// SPDX-License-Identifier: GPL-2.0-or-later
#include "support/fake_xt_kernel.h"

#include <algorithm>
#include <sstream>

#include "op25bc/xt/render.h"

namespace op25bc::test {

namespace {

using xt::ToolResult;

ToolResult ok(std::string output = {}) {
  return {0, std::move(output), {}};
}
ToolResult refused(std::string why) {
  return {1, {}, std::move(why)};
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') out.push_back(line);
  return out;
}

// "-A CHAIN rest" -> CHAIN, rest.
std::pair<std::string, std::string> chain_and_rest(const std::string& line, std::size_t skip) {
  const auto space = line.find(' ', skip);
  if (space == std::string::npos) return {line.substr(skip), {}};
  return {line.substr(skip, space - skip), line.substr(space + 1)};
}

// The set names a rule matches on (the kernel holds a reference to each).
std::vector<std::string> set_names(const std::string& rule) {
  const auto tokens = xt::split_tokens(rule);
  std::vector<std::string> out;
  for (std::size_t i = 0; i + 1 < tokens.size(); ++i)
    if (tokens[i] == "--match-set" || tokens[i] == "--add-set") out.push_back(tokens[i + 1]);
  return out;
}

}  // namespace

ToolResult FakeXtKernel::save(net::Family family) {
  const Table& t = table(family);
  std::string out = "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n";
  std::vector<std::string> chains = t.chains;
  std::sort(chains.begin(), chains.end());  // as iptables-save orders them
  for (const auto& c : chains) out += ":" + c + " - [0:0]\n";
  std::vector<std::string> order{"INPUT", "FORWARD", "OUTPUT"};
  order.insert(order.end(), chains.begin(), chains.end());
  for (const auto& c : order)
    if (auto it = t.rules.find(c); it != t.rules.end())
      for (const Rule& r : it->second)
        out += "[" + std::to_string(r.packets) + ":" + std::to_string(r.packets * 60) + "] -A " +
               c + " " + r.text + "\n";
  return ok(out + "COMMIT\n");
}

ToolResult FakeXtKernel::list_sets() {
  std::string out;
  for (const auto& [name, s] : sets) {
    std::size_t references = 0;
    for (const Table* t : {&v4, &v6})
      for (const auto& [chain, rules] : t->rules)
        for (const Rule& r : rules) {
          const auto used = set_names(r.text);
          references += static_cast<std::size_t>(std::count(used.begin(), used.end(), name));
        }
    out += "Name: " + name + "\nType: " + s.type + "\nRevision: 7\nHeader: family " + s.family +
           " hashsize 1024 maxelem " + std::to_string(s.maxelem) +
           (s.timeout ? " timeout " + std::to_string(s.timeout) : std::string{}) +
           " bucketsize 12 initval 0x12345678\nSize in memory: 1\nReferences: " +
           std::to_string(references) + "\nNumber of entries: " + std::to_string(s.members.size()) +
           "\n\n";
  }
  return ok(out);
}

ToolResult FakeXtKernel::save_set(const std::string& name) {
  auto it = sets.find(name);
  if (it == sets.end()) return refused("ipset v7.17: The set with the given name does not exist");
  const Set& set = it->second;
  std::string out = "create " + name + " " + set.type + " family " + set.family + "\n";
  for (const auto& m : set.members)
    out += "add " + name + " " + m +
           (set.timeout ? " timeout " + std::to_string(set.timeout) : std::string{}) + "\n";
  return ok(out);
}

ToolResult FakeXtKernel::ipset_restore(const std::string& script) {
  const auto lines = lines_of(script);
  calls.push_back("ipset restore");
  ipset_lines += lines.size();
  if (refuse_ == "ipset") {
    refuse_.clear();
    return refused("ipset v7.17: injected failure");
  }
  // Line by line, as ipset restore does: a failing line stops the rest.
  std::string saved;  // what "save NAME" lines print
  for (const std::string& line : lines) {
    std::istringstream words(line);
    std::string verb, name, arg;
    words >> verb >> name;
    if (verb == "create") {
      Set s;
      for (std::string w; words >> w;) {
        if (w == "hash:net" || w == "hash:ip") s.type = w;
        if (w == "family") words >> s.family;
        if (w == "maxelem") words >> s.maxelem;
        if (w == "timeout") words >> s.timeout;
      }
      sets.emplace(name, s);  // -exist: an existing set stays
    } else if (verb == "add" || verb == "del") {
      auto it = sets.find(name);
      if (it == sets.end()) return refused("ipset: no set " + name);
      words >> arg;
      // hash:net prints a host without its length.
      const auto slash = arg.find('/');
      if (slash != std::string::npos &&
          arg.substr(slash + 1) == (arg.find(':') == std::string::npos ? "32" : "128"))
        arg = arg.substr(0, slash);
      auto& m = it->second.members;
      const auto at = std::find(m.begin(), m.end(), arg);
      if (verb == "add" && at == m.end()) m.push_back(arg);
      if (verb == "del" && at != m.end()) m.erase(at);
    } else if (verb == "destroy") {
      std::string list = list_sets().output;
      if (list.find("Name: " + name + "\n") == std::string::npos)
        return refused("ipset: no set " + name);
      // A set a rule uses cannot be destroyed.
      for (const Table* t : {&v4, &v6})
        for (const auto& [chain, rules] : t->rules)
          for (const Rule& r : rules) {
            const auto used = set_names(r.text);
            if (std::find(used.begin(), used.end(), name) != used.end())
              return refused("ipset: Set cannot be destroyed: it is in use by a kernel component");
          }
      sets.erase(name);
    } else if (verb == "save") {
      const ToolResult one = save_set(name);
      if (!one.ok()) return one;
      saved += one.output;
    } else {
      return refused("ipset: unknown command " + verb);
    }
  }
  return ok(saved);
}

ToolResult FakeXtKernel::restore(net::Family family, const std::string& input, bool test) {
  const std::string tool = family == net::Family::v4 ? "iptables" : "ip6tables";
  calls.push_back(tool + (test ? " restore --test" : " restore"));
  if (!test && refuse_ == tool) {
    refuse_.clear();
    return refused(tool + "-restore: line 3 failed (injected)");
  }
  Table t = table(family);  // all or nothing: a copy, swapped in at COMMIT
  const auto has = [&](const std::string& c) {
    return c == "FORWARD" || std::find(t.chains.begin(), t.chains.end(), c) != t.chains.end();
  };
  for (const std::string& line : lines_of(input)) {
    if (line == "*filter" || line == "COMMIT") continue;
    if (line[0] == ':') {
      const std::string chain = line.substr(1, line.find(' ') - 1);
      if (!has(chain)) t.chains.push_back(chain);
      t.rules[chain].clear();  // declaring flushes
      continue;
    }
    const std::string verb = line.substr(0, 2);
    if (verb == "-A") {
      auto [chain, rest] = chain_and_rest(line, 3);
      if (!has(chain)) return refused(tool + "-restore: no chain " + chain);
      for (const auto& s : set_names(rest))
        if (!sets.contains(s)) return refused(tool + "-restore: Set " + s + " doesn't exist");
      t.rules[chain].push_back({rest, 0});
    } else if (verb == "-I") {
      auto [chain, rest] = chain_and_rest(line, 3);
      auto [position, rule] = chain_and_rest(rest, 0);
      auto& rules = t.rules[chain];
      const auto at = std::min<std::size_t>(std::stoul(position) - 1, rules.size());
      rules.insert(rules.begin() + static_cast<std::ptrdiff_t>(at), {rule, 0});
    } else if (verb == "-D") {
      auto [chain, rest] = chain_and_rest(line, 3);
      auto& rules = t.rules[chain];
      const auto at = std::find_if(rules.begin(), rules.end(), [&](const Rule& r) {
        return xt::split_tokens(r.text) == xt::split_tokens(rest);
      });
      if (at == rules.end()) return refused(tool + "-restore: rule to delete not found");
      rules.erase(at);
    } else if (verb == "-F") {
      t.rules[line.substr(3)].clear();
    } else if (verb == "-X") {
      const std::string chain = line.substr(3);
      for (const auto& [other, rules] : t.rules)
        for (const Rule& r : rules)
          if (r.text.ends_with(" " + chain)) return refused(tool + "-restore: chain in use");
      std::erase(t.chains, chain);
      t.rules.erase(chain);
    } else {
      return refused(tool + "-restore: cannot read " + line);
    }
  }
  if (!test) table(family) = std::move(t);
  return ok();
}

}  // namespace op25bc::test
