// SPDX-License-Identifier: GPL-2.0-or-later
// Why is this connection blocked or allowed? Evaluated straight from the policy
// (not from the compiled rules), so tests can hold the two against each other.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>  // the declarations; the .cc has the whole library
#include <optional>
#include <string>
#include <vector>

#include "op25bc/policy/model.h"

namespace op25bc::explain {

struct Query {
  net::Address source;
  net::Address destination;
  std::uint16_t port = 25;
  Instant at;
};

enum class Reason {
  port_not_blocked,         // allowed: the port is not an enforcement port
  smarthost,                // allowed: the destination is a smarthost
  not_in_pool,              // allowed: the source is in no subscriber pool
  not_carried,              // allowed here: the selected router does not carry the pool
  exempt,                   // allowed: an active exemption covers the source
  no_phase,                 // allowed: no active phase selects the source's pool
  destination_not_covered,  // allowed: active phases select the pool, not this destination
  blocked,                  // blocked by `phase`
};

struct Explanation {
  Reason reason = Reason::port_not_blocked;
  std::optional<policy::PoolIndex::Entry> pool;  // the source's pool and prefix
  std::optional<std::size_t> smarthost;          // the destination's smarthost
  std::optional<std::size_t> exemption;          // the source's active exemption
  std::optional<std::size_t> phase;              // the blocking phase
  std::vector<std::size_t> pool_phases;          // active phases selecting the pool
  std::vector<std::size_t> destinations;         // destination groups holding the destination
  std::optional<std::size_t> upcoming;           // a later phase that would block this
  // A phase in its monitor period that would block this: the connection
  // passes, is counted, and its source is recorded.
  std::optional<std::size_t> monitored;

  bool blocked() const { return reason == Reason::blocked; }
};

Explanation explain(const policy::Policy& policy, const Query& q);

std::string reason_name(Reason r);
std::string to_text(const policy::Policy& policy, const Query& q, const Explanation& e);
nlohmann::json to_json(const policy::Policy& policy, const Query& q, const Explanation& e);

}  // namespace op25bc::explain
