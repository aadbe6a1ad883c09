// SPDX-License-Identifier: GPL-2.0-or-later
#include <algorithm>
#include <charconv>

#include "op25bc/xt/kernel.h"

namespace op25bc::xt {

namespace {

// Splits `text` into lines without copying; the last may lack its newline.
template <typename F>
void each_line(std::string_view text, F&& f) {
  while (!text.empty()) {
    const auto end = text.find('\n');
    f(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

std::optional<std::uint64_t> number(std::string_view text) {
  std::uint64_t n = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return n;
}

// "[12:720]" -> 12, 720.
bool counters(std::string_view text, KernelRule& rule) {
  if (text.size() < 5 || text.front() != '[' || text.back() != ']') return false;
  text = text.substr(1, text.size() - 2);
  const auto colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  const auto packets = number(text.substr(0, colon));
  const auto bytes = number(text.substr(colon + 1));
  if (!packets || !bytes) return false;
  rule.packets = *packets;
  rule.bytes = *bytes;
  return true;
}

// "key value key value ..." of an ipset header: the value after `key`.
std::size_t header_value(std::string_view header, std::string_view key) {
  const auto words = xt::split_tokens(header);
  for (std::size_t i = 0; i + 1 < words.size(); ++i)
    if (words[i] == key) return number(words[i + 1]).value_or(0);
  return 0;
}

std::string header_word(std::string_view header, std::string_view key) {
  const auto words = xt::split_tokens(header);
  for (std::size_t i = 0; i + 1 < words.size(); ++i)
    if (words[i] == key) return words[i + 1];
  return {};
}

}  // namespace

bool KernelTable::has_chain(std::string_view name) const {
  return std::find(chains.begin(), chains.end(), name) != chains.end();
}

std::vector<const KernelRule*> KernelTable::rules_of(std::string_view chain) const {
  std::vector<const KernelRule*> out;
  for (const KernelRule& r : rules)
    if (r.chain == chain) out.push_back(&r);
  return out;
}

const KernelSet* KernelView::set(std::string_view name) const {
  for (const KernelSet& s : sets)
    if (s.name == name) return &s;
  return nullptr;
}

std::optional<KernelTable> parse_save(std::string_view text, std::string& error) {
  KernelTable table;
  std::size_t line_number = 0;
  bool ok = true;
  each_line(text, [&](std::string_view line) {
    ++line_number;
    if (!ok || line.empty() || line.front() == '#' || line.front() == '*' || line == "COMMIT")
      return;
    if (line.front() == ':') {
      const auto space = line.find(' ');
      const std::string name{
          line.substr(1, space == std::string_view::npos ? line.npos : space - 1)};
      const bool builtin = space != std::string_view::npos && line.substr(space + 1, 2) != "- ";
      if (!builtin) table.chains.push_back(name);
      return;
    }
    KernelRule rule;
    if (line.front() == '[') {
      const auto space = line.find(' ');
      if (space == std::string_view::npos || !counters(line.substr(0, space), rule)) {
        ok = false;
        error = "iptables-save line " + std::to_string(line_number) + ": unreadable counters";
        return;
      }
      line.remove_prefix(space + 1);
    }
    Tokens tokens = xt::split_tokens(line);
    if (tokens.size() < 2 || tokens[0] != "-A") {
      ok = false;
      error = "iptables-save line " + std::to_string(line_number) +
              ": not a rule: " + std::string{line.substr(0, 80)};
      return;
    }
    rule.chain = tokens[1];
    rule.tokens.assign(std::make_move_iterator(tokens.begin() + 2),
                       std::make_move_iterator(tokens.end()));
    table.rules.push_back(std::move(rule));
  });
  if (!ok) return std::nullopt;
  return table;
}

std::optional<std::vector<KernelSet>> parse_ipset_list(std::string_view text, std::string& error) {
  std::vector<KernelSet> sets;
  bool ok = true;
  each_line(text, [&](std::string_view line) {
    if (!ok || line.empty()) return;
    const auto colon = line.find(": ");
    const std::string_view key = line.substr(0, colon);
    const std::string_view value =
        colon == std::string_view::npos ? std::string_view{} : line.substr(colon + 2);
    if (key == "Name") {
      sets.push_back({std::string{value}, {}, {}, 0, 0, 0});
      return;
    }
    if (sets.empty()) {
      ok = false;
      error = "ipset list: a header line before any set name: " + std::string{line.substr(0, 80)};
      return;
    }
    KernelSet& s = sets.back();
    if (key == "Type") s.type = value;
    if (key == "Header") {
      s.family = header_word(value, "family");
      s.maxelem = header_value(value, "maxelem");
      s.timeout = header_value(value, "timeout");
    }
    if (key == "References") s.references = number(value).value_or(0);
    if (key == "Number of entries") s.entries = number(value).value_or(0);
  });
  if (!ok) return std::nullopt;
  return sets;
}

std::optional<std::vector<backend::RecordedSource>> parse_ipset_recorded(std::string_view text,
                                                                         net::Family family,
                                                                         std::string& error) {
  std::vector<backend::RecordedSource> out;
  bool ok = true;
  each_line(text, [&](std::string_view line) {
    if (!ok || !line.starts_with("add ")) return;
    const Tokens words = xt::split_tokens(line);
    const auto address = words.size() == 5 && words[3] == "timeout" ? net::parse_address(words[2])
                                                                    : std::optional<net::Address>{};
    const auto left = address ? number(words[4]) : std::nullopt;
    if (!address || address->family != family || !left) {
      ok = false;
      error = "ipset save: an element the rules did not record: " + std::string{line.substr(0, 80)};
      return;
    }
    out.push_back({*address, static_cast<std::uint64_t>(*left)});
  });
  if (!ok) return std::nullopt;
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.address.value < b.address.value; });
  return out;
}

std::optional<net::Prefixes> parse_ipset_members(std::string_view text, net::Family family,
                                                 std::string& error) {
  net::Prefixes out;
  bool ok = true;
  each_line(text, [&](std::string_view line) {
    if (!ok || !line.starts_with("add ")) return;
    const Tokens words = xt::split_tokens(line);
    const auto parsed = words.size() == 3 ? net::parse_prefix(words[2]) : net::PrefixParse{};
    if (!parsed.prefix || parsed.prefix->family != family) {
      ok = false;
      error = "ipset save: an element op25bc did not write: " + std::string{line.substr(0, 80)};
      return;
    }
    out.push_back(*parsed.prefix);
  });
  if (!ok) return std::nullopt;
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<KernelView> read_view(XtKernel& kernel, std::string& error) {
  KernelView view;
  for (net::Family f : {net::Family::v4, net::Family::v6}) {
    const ToolResult saved = kernel.save(f);
    if (!saved.ok()) {
      error = saved.error;
      return std::nullopt;
    }
    auto table = parse_save(saved.output, error);
    if (!table) return std::nullopt;
    (f == net::Family::v4 ? view.v4 : view.v6) = std::move(*table);
  }
  const ToolResult listed = kernel.list_sets();
  if (!listed.ok()) {
    error = listed.error;
    return std::nullopt;
  }
  auto sets = parse_ipset_list(listed.output, error);
  if (!sets) return std::nullopt;
  view.sets = std::move(*sets);
  return view;
}

}  // namespace op25bc::xt
