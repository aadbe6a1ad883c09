// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/policy/router.h"

#include <algorithm>

#include "op25bc/diag/diagnostics.h"
#include "op25bc/text/escape.h"
#include "op25bc/text/join.h"

namespace op25bc::policy {

namespace {

bool holds(const std::vector<std::size_t>& sorted, std::size_t k) {
  return std::binary_search(sorted.begin(), sorted.end(), k);
}

}  // namespace

bool select_router(Policy& p, std::string_view id, std::string& error) {
  const auto it =
      std::find_if(p.routers.begin(), p.routers.end(), [&](const Router& r) { return r.id == id; });
  if (it == p.routers.end()) {
    if (p.routers.empty()) {
      error = "unknown router " + text::printable(quote(id)) + ": the policy defines no routers";
      return false;
    }
    std::vector<std::string> known;
    for (const Router& r : p.routers) known.push_back(r.id);
    const std::string guess = did_you_mean(id, known);
    error = "unknown router " + text::printable(quote(id)) +
            (guess.empty() ? "" : " (did you mean " + quote(guess) + "?)") +
            "; the policy's routers: " + text::join(known);
    return false;
  }
  const Router& router = *it;  // pool_indexes are sorted: resolve fills them in order
  for (Phase& phase : p.phases)
    std::erase_if(phase.pool_indexes,
                  [&](std::size_t k) { return !holds(router.pool_indexes, k); });
  std::erase_if(p.phases, [](const Phase& phase) { return phase.pool_indexes.empty(); });
  p.router = static_cast<std::size_t>(it - p.routers.begin());
  return true;
}

const Router* selected_router(const Policy& p) {
  return p.router ? &p.routers[*p.router] : nullptr;
}

bool carries(const Policy& p, std::size_t pool) {
  const Router* r = selected_router(p);
  return r == nullptr || holds(r->pool_indexes, pool);
}

std::vector<std::string> routers_carrying(const Policy& p, std::size_t pool) {
  std::vector<std::string> out;
  for (const Router& r : p.routers)
    if (holds(r.pool_indexes, pool)) out.push_back(r.id);
  return out;
}

}  // namespace op25bc::policy
