// SPDX-License-Identifier: GPL-2.0-or-later
// The policy loader end to end: bytes -> diagnostics or a model. A model is
// compiled at every instant its timeline names (and a few fixed ones) and
// must keep op25bc's promises: the same output twice, no subscriber source
// set holding a smarthost address, submission ports 587 and 465 never
// matched. The two JSON readers must agree wherever the fast one answers.
#include <algorithm>
#include <cstdint>
#include <map>
#include <string_view>

#include "fuzz.h"
#include "nft/netlink_batch.h"
#include "op25bc/compile/compile.h"
#include "op25bc/ir/names.h"
#include "op25bc/nft/differ.h"
#include "op25bc/nft/render_text.h"
#include "op25bc/notice/notice.h"
#include "op25bc/policy/load.h"
#include "op25bc/policy/prefix_file.h"
#include "op25bc/timeline/timeline.h"
#include "policy/read_json.h"

using namespace op25bc;

namespace {

void check_readers_agree(std::string_view text) {
  const auto fast = policy::read_clean_json(text);
  if (!fast) return;  // declined: the reference reports whatever it is
  Diagnostics diags;
  const auto reference = policy::read_json_reference(text, diags);
  FUZZ_REQUIRE(reference);
  FUZZ_REQUIRE(!diags.has_errors());
  FUZZ_REQUIRE(fast->json.dump() == reference->json.dump());
  FUZZ_REQUIRE(fast->prefix_arrays.size() == reference->prefix_arrays.size());
  for (const auto& [pointer, want] : reference->prefix_arrays) {
    const auto it = fast->prefix_arrays.find(pointer);
    FUZZ_REQUIRE(it != fast->prefix_arrays.end());
    FUZZ_REQUIRE(it->second.size == want.size);
    FUZZ_REQUIRE(it->second.bad.size() == want.bad.size());
    FUZZ_REQUIRE(std::equal(it->second.list.items.begin(), it->second.list.items.end(),
                            want.list.items.begin(), want.list.items.end()));
  }
}

bool overlaps(const net::Intervals& set, const net::Interval& iv) {
  const auto it = std::lower_bound(set.begin(), set.end(), iv.first,
                                   [](const net::Interval& s, net::Word w) { return s.last < w; });
  return it != set.end() && it->first <= iv.last;
}

// Submission ports are never blocked: in every chain that can block, each
// submission port is returned for before the first rule that sends a packet
// to "block", and no rule that names one blocks.
void check_submission_passes(const policy::Policy& p, const ir::Chain& chain) {
  std::vector<std::uint16_t> returned;
  for (const auto& rule : chain.rules) {
    const bool blocks = rule.verdict.target == ir::kBlockChain;
    for (const auto& match : rule.matches)
      if (const auto* ports = std::get_if<ir::TcpDestinationPorts>(&match))
        for (const auto port : ports->ports) {
          const bool submission = port == 587 || port == 465 ||
                                  std::find(p.submission.ports.begin(), p.submission.ports.end(),
                                            port) != p.submission.ports.end();
          FUZZ_REQUIRE(!(submission && blocks));
          if (rule.verdict.kind == ir::Verdict::Kind::return_ && rule.matches.size() == 1)
            returned.push_back(port);
        }
    if (blocks)
      for (const auto port : p.submission.ports)
        FUZZ_REQUIRE(std::find(returned.begin(), returned.end(), port) != returned.end());
  }
}

void check_invariants(const policy::Policy& p, const ir::Ruleset& r) {
  for (const auto& chain : r.chains) check_submission_passes(p, chain);
  for (const auto& chain : r.chains)
    for (const auto& rule : chain.rules)
      for (const auto& match : rule.matches) {
        const auto* in = std::get_if<ir::AddressInSet>(&match);
        if (!in || in->direction != ir::Direction::source || in->vmap ||
            in->set == ir::set_name(ir::kExemptSet, in->family))
          continue;
        const auto set = std::find_if(r.sets.begin(), r.sets.end(),
                                      [&](const ir::Set& s) { return s.name == in->set; });
        FUZZ_REQUIRE(set != r.sets.end());
        for (const auto& smarthost : p.smarthosts)
          for (const auto& prefix : smarthost.addresses.items)
            if (prefix.family == set->family)
              FUZZ_REQUIRE(!overlaps(set->elements, prefix.interval()));
      }
}

void compile_at(const policy::Policy& p, Instant at) {
  for (const bool timed : {false, true}) {
    const ir::Ruleset first = compile(p, at, timed);
    const ir::Ruleset again = compile(p, at, timed);
    FUZZ_REQUIRE(first == again);
    check_invariants(p, first);
    for (const auto format : {nft::Format::script, nft::Format::json})
      FUZZ_REQUIRE(nft::render(p, first, at, format) == nft::render(p, again, at, format));
    std::uint32_t seq = 1;
    const auto batch = nft::build_netlink_batch(nft::create(first), 1, false, seq);
    FUZZ_REQUIRE(batch.messages() == nft::message_count(nft::create(first)));
  }
}

// The input as the one file of a drop-in folder beside a fixed policy: it is
// admitted, or left out (lenient) with the policy still loading, or refused
// (strict) with every diagnostic naming the file, never the policy.
void check_dropin(std::string_view text) {
  static constexpr std::string_view kPolicy = R"({"version": 1, "timezone": "UTC",
    "services": [{"id": "s"}], "pools": [{"id": "p", "service": "s",
    "prefixes": ["198.18.0.0/16", "2001:db8::/32"]}], "exemptions_dir": "x.d",
    "phases": [{"id": "all", "effective": "2006-10-01", "block": "all"}]})";
  const std::map<std::string, std::string> files{{"x.d/a.json", std::string{text}}};
  policy::StoredPrefixFiles strict_files(files, "kept");
  Diagnostics strict;
  const auto admitted = policy::load_text(kPolicy, strict, &strict_files, policy::DropIns::strict);
  for (const Diagnostic& d : strict.entries())
    if (d.severity == Severity::error) FUZZ_REQUIRE(d.file == "kept#x.d/a.json");
  policy::StoredPrefixFiles lenient_files(files, "kept");
  Diagnostics lenient;
  const auto loaded = policy::load_text(kPolicy, lenient, &lenient_files, policy::DropIns::lenient);
  FUZZ_REQUIRE(loaded && !lenient.has_errors());
  FUZZ_REQUIRE(loaded->exemptions.size() == (admitted ? 1u : 0u));
  FUZZ_REQUIRE(loaded->skipped_dropins.size() == (admitted ? 0u : 1u));
  if (admitted) compile_at(*loaded, Instant{std::chrono::seconds{1159660800}});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  check_readers_agree(text);
  check_dropin(text);
  Diagnostics diags;
  const auto policy = policy::load_text(text, diags);
  if (!policy) {
    FUZZ_REQUIRE(diags.has_errors());  // no model without saying why
    return 0;
  }
  FUZZ_REQUIRE(!diags.has_errors());
  std::vector<Instant> instants{Instant{}, Instant{std::chrono::seconds{1159628400}}};
  const auto events = timeline::build(*policy);
  for (std::size_t i = 0; i < events.size() && i < 4; ++i) {
    instants.push_back(events[i].at);
    instants.push_back(events[i].at - std::chrono::seconds{1});
  }
  for (const Instant at : instants) compile_at(*policy, at);
  // The customer notice: whatever the policy's text, the page holds no '<'
  // but those its template writes (every element starts "<" + a letter the
  // template chose, or "</"; a policy's '<' is always "&lt;").
  for (const auto lang : {notice::Lang::en, notice::Lang::ja}) {
    const notice::Document d = notice::build(*policy, lang, instants[1]);
    const std::string page = notice::to_html(d);
    for (std::size_t at = page.find('<'); at != std::string::npos; at = page.find('<', at + 1))
      FUZZ_REQUIRE(
          std::string_view(page).substr(at + 1, 1).find_first_of("!/abcdefghilmnoprstuvy") == 0);
    (void)notice::to_markdown(d);
  }
  return 0;
}
