// SPDX-License-Identifier: GPL-2.0-or-later
// Subscriber exemptions that follow the session: the session table and the
// index (their one spelling, their bounds, an address never left with its
// last holder), the session sets in the ruleset (never cut, their rule in
// every block), and a session event's change against the fake kernel.
#include "op25bc/session/table.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "op25bc/compile/compile.h"
#include "op25bc/ir/names.h"
#include "op25bc/nft/diff_text.h"
#include "op25bc/nft/reconcile.h"
#include "op25bc/policy/load.h"
#include "support/fake_kernel.h"
#include "support/memory_state_store.h"
#include "support/policies.h"

using namespace op25bc;
using nlohmann::json;

namespace {

net::Prefix pfx(const char* text) {
  return test::prefix(text);
}

std::vector<net::Prefix> pfxs(std::initializer_list<const char*> texts) {
  std::vector<net::Prefix> out;
  for (const char* t : texts) out.push_back(pfx(t));
  return out;
}

// The minimal policy with a subscriber exemption for "ppp-7" from 2006-11-01
// to 2007-01-01, beside the inline one by prefix.
json with_subscriber() {
  json doc = test::minimal_policy();
  doc["exemptions"].push_back({{"id", "cust-7"},
                               {"subscriber", "ppp-7"},
                               {"effective", "2006-11-01"},
                               {"until", "2007-01-01"}});
  return doc;
}

policy::Policy load(const json& doc) {
  return test::load_valid(doc);
}

std::string elements(const ir::Ruleset& r, const std::string& set) {
  const ir::Set* s = test::find_set(r, set);
  if (s == nullptr) return "(none)";
  std::string out;
  for (const auto& iv : s->elements) out += net::to_string(s->family, iv) + " ";
  return out;
}

}  // namespace

TEST_CASE("the session table has one spelling, and decode refuses every other") {
  session::Table t;
  t["ppp-7"] = pfxs({"198.18.1.9", "2001:db8:1000::/56"});
  t["a b%c\xe3\x81\x82"] = pfxs({"198.18.1.10"});  // space, percent, UTF-8
  const std::string bytes = session::encode(t);
  CHECK(bytes ==
        "op25bc-sessions 1\n"
        "a%20b%25c\xe3\x81\x82 198.18.1.10\n"
        "ppp-7 198.18.1.9 2001:db8:1000::/56\n");
  std::string error;
  CHECK(session::decode(bytes, error) == t);
  for (const std::string bad :
       {"op25bc-sessions 2\n", "op25bc-sessions 1\nppp-7 198.18.1.9",  // cut off
        "op25bc-sessions 1\nppp-7\n",                                  // no address
        "op25bc-sessions 1\nppp-7 198.18.1.9 198.18.1.9\n",            // twice
        "op25bc-sessions 1\nppp-7 198.18.1.10 198.18.1.9\n",           // out of order
        "op25bc-sessions 1\nz 198.18.1.9\na 198.18.1.10\n",            // subscribers too
        "op25bc-sessions 1\na%2fb 198.18.1.9\n",                       // lower-case escape
        "op25bc-sessions 1\na%0Ab 198.18.1.9\n",                       // a line feed in it
        "op25bc-sessions 1\nppp-7 198.18.1.9/24\n",                    // host bits
        "op25bc-sessions 1\nppp-7 198.18.1.9/32\n"}) {                 // not as written
    error.clear();
    CHECK_MESSAGE(!session::decode(bad, error), bad);
    CHECK(!error.empty());
  }
}

TEST_CASE("session up records only subscribers with an exemption; down withdraws") {
  session::Table t;
  auto c = session::up(t, "ppp-7", pfxs({"198.18.1.9"}), true);
  CHECK(c.changed);
  CHECK(t.at("ppp-7") == pfxs({"198.18.1.9"}));
  c = session::up(t, "ppp-7", pfxs({"2001:db8:1000::/56", "198.18.1.9"}), true);  // dual stack
  CHECK(c.changed);
  CHECK(t.at("ppp-7") == pfxs({"198.18.1.9", "2001:db8:1000::/56"}));
  CHECK_FALSE(session::up(t, "ppp-7", pfxs({"198.18.1.9"}), true).changed);  // a renewal
  // Nobody else's session is recorded, and costs nothing.
  CHECK_FALSE(session::held_by_another(t, "ppp-8", pfxs({"198.18.1.10"})));
  CHECK_FALSE(session::up(t, "ppp-8", pfxs({"198.18.1.10"}), false).changed);
  CHECK_FALSE(t.contains("ppp-8"));
  // Down: one address, then every one.
  CHECK(session::down(t, "ppp-7", pfxs({"198.18.1.9"})).changed);
  CHECK(t.at("ppp-7") == pfxs({"2001:db8:1000::/56"}));
  CHECK(session::down(t, "ppp-7", {}).changed);
  CHECK(t.empty());
  CHECK_FALSE(session::down(t, "ppp-7", {}).changed);
}

TEST_CASE("an address handed on without its release is taken from its last holder") {
  session::Table t;
  session::up(t, "ppp-7", pfxs({"198.18.1.9", "2001:db8:1000::/56"}), true);
  // The address goes to a subscriber without an exemption: ppp-7 no longer has it.
  CHECK(session::held_by_another(t, "ppp-8", pfxs({"198.18.1.9"})));
  auto c = session::up(t, "ppp-8", pfxs({"198.18.1.9"}), false);
  CHECK(c.changed);
  CHECK(c.handed_over == std::vector<std::string>{"ppp-7 198.18.1.9"});
  CHECK(t.at("ppp-7") == pfxs({"2001:db8:1000::/56"}));
  // An address inside another's delegated prefix overlaps it, too.
  c = session::up(t, "ppp-9", pfxs({"2001:db8:1000::5"}), true);
  CHECK(c.handed_over == std::vector<std::string>{"ppp-7 2001:db8:1000::/56"});
  CHECK_FALSE(t.contains("ppp-7"));
  CHECK(t.at("ppp-9") == pfxs({"2001:db8:1000::5"}));
}

TEST_CASE("the table is bounded: an event past a bound changes nothing") {
  session::Table t;
  std::vector<net::Prefix> many;
  for (std::size_t i = 0; i < session::kMaxAddresses; ++i)
    many.push_back(pfx(("198.18.2." + std::to_string(i)).c_str()));
  CHECK(session::up(t, "ppp-7", many, true).error.empty());
  const session::Table before = t;
  const auto c = session::up(t, "ppp-7", pfxs({"198.18.3.1"}), true);
  CHECK(c.error.find("more than 16") != std::string::npos);
  CHECK_FALSE(c.changed);
  CHECK(t == before);
}

TEST_CASE("property: every table session events leave is read back as written") {
  // An id the file cannot name (fuzz/regressions/session_files/longest-id-plus-one:
  // a 253-byte id with one byte added) is refused and changes nothing; so is
  // one with a control byte or nothing at all. Every accepted event
  // leaves a table decode() reads back equal.
  const std::string longest(policy::kMaxSubscriberBytes, 'r');
  const std::vector<std::string> refused = {longest + "'", "", std::string("a\nb"),
                                            std::string(1, '\0')};
  const std::vector<std::string> accepted = {longest, "ppp-7", "a b", "a%20b", "r'"};
  session::Table t;
  CHECK(session::up(t, "held", pfxs({"198.18.2.1", "2001:db8:1:100::/56"}), true).error.empty());
  for (const auto& id : refused)
    for (const bool tracked : {true, false}) {
      const session::Table before = t;
      const auto c = session::up(t, id, pfxs({"198.18.2.1"}), tracked);
      CHECK_MESSAGE(!c.error.empty(), id);
      CHECK_FALSE(c.changed);
      CHECK(t == before);
    }
  int n = 0;
  for (const auto& id : accepted)
    for (const bool tracked : {true, false}) {
      const std::string a = "198.18.2." + std::to_string(++n);
      CHECK(session::up(t, id, pfxs({a.c_str()}), tracked).error.empty());
      std::string error;
      const auto back = session::decode(session::encode(t), error);
      REQUIRE_MESSAGE(back, error);
      CHECK(*back == t);
    }
  // Tracked with no address at all leaves no empty entry behind.
  CHECK(session::up(t, "nothing", {}, true).error.empty());
  CHECK_FALSE(t.contains("nothing"));
}

TEST_CASE("the index: who is exempt when, its one spelling, written from the policy") {
  json doc = with_subscriber();
  doc["exemptions"].push_back({{"id", "cust-6"}, {"subscriber", "a b"}});
  const policy::Policy p = load(doc);
  const session::Index index = session::index_of(p, "nftables", "/run/op25bc/x.sessions");
  REQUIRE(index.entries.size() == 2);
  CHECK(index.entries[0].subscriber == "a b");  // sorted; the inline prefix exemption is not in it
  CHECK(index.knows("ppp-7"));
  CHECK_FALSE(index.knows("ppp-8"));
  CHECK_FALSE(index.exempt_at("ppp-7", test::at(p, "2006-10-31T23:59:59+09:00")));
  CHECK(index.exempt_at("ppp-7", test::at(p, "2006-11-01")) == "cust-7");
  CHECK_FALSE(index.exempt_at("ppp-7", test::at(p, "2007-01-01")));
  CHECK(index.exempt_at("a b", test::at(p, "2030-01-01")) == "cust-6");
  std::string error;
  const std::string bytes = session::encode(index);
  CHECK(session::decode_index(bytes, error) == index);
  CHECK_FALSE(session::decode_index(bytes.substr(0, bytes.size() - 1), error));
  std::string swapped = bytes;
  swapped.replace(swapped.find("table op25b"), 11, "table op25c");
  CHECK(session::decode_index(swapped, error));  // another table is still an index
  CHECK_FALSE(session::decode_index("op25bc-subscribers 1\ntable x\n", error));
  // Subscribers whose exemption is gone leave the table.
  session::Table t;
  t["ppp-7"] = pfxs({"198.18.1.9"});
  t["gone"] = pfxs({"198.18.1.10"});
  CHECK(session::prune(t, index));
  CHECK(t.size() == 1);
  CHECK(session::exempt_addresses(t, index, test::at(p, "2006-12-01")).v4.size() == 1);
  CHECK(session::exempt_addresses(t, index, test::at(p, "2007-02-01")).empty());
}

TEST_CASE("the session sets: there with a subscriber exemption, filled while it is in force") {
  const policy::Policy plain = load(test::minimal_policy());
  CHECK(test::find_set(compile(plain, test::at(plain, "2006-12-01")), "session4") == nullptr);

  const policy::Policy p = load(with_subscriber());
  session::Table t;
  t["ppp-7"] = pfxs({"198.18.1.9", "2001:db8:1000::/56"});
  t["ppp-8"] = pfxs({"198.18.1.10"});  // no exemption names it: never exempt
  const auto before = compile(p, test::at(p, "2006-10-15"), false, &t);
  CHECK(elements(before, "session4") == "");
  CHECK(elements(before, "session6") == "");
  const auto during = compile(p, test::at(p, "2006-12-01"), false, &t);
  CHECK(elements(during, "session4") == "198.18.1.9 ");
  CHECK(elements(during, "session6") == "2001:db8:1000::/56 ");
  CHECK(elements(during, "exempt4") == "198.18.3.4 ");  // the exemption by prefix, apart
  // Their rules return right after the exempt sets'.
  const auto rules = test::rule_texts(during, "check");
  const auto exempt = std::find(rules.begin(), rules.end(), "ip saddr @exempt4 return");
  REQUIRE(exempt != rules.end());
  CHECK(*(exempt + 2) == "ip saddr @session4 return");
  CHECK(*(exempt + 3) == "ip6 saddr @session6 return");
  // Kernel-timed: a session of an exemption ending at the next boundary waits in exempt_until.
  const auto timed = compile(p, test::at(p, "2006-12-31"), true, &t);
  CHECK(elements(timed, "session4") == "");
  CHECK(elements(timed, "exempt_until4") == "198.18.1.9 ");
}

TEST_CASE("cut into blocks, the session sets stay whole and their rule is in every block") {
  json doc = with_subscriber();
  doc["pools"][0]["prefixes"] = json::array();
  for (int i = 0; i < 16; ++i)  // 32 intervals that never merge, in 198.18.0.0/20
    for (const char* half : {".0/26", ".128/26"})
      doc["pools"][0]["prefixes"].push_back("198.18." + std::to_string(i) + half);
  doc["enforcement"]["max_set_intervals"] = 8;
  const policy::Policy p = load(doc);
  session::Table none, some;
  some["ppp-7"] = pfxs({"198.18.1.9"});
  const auto empty = compile(p, test::at(p, "2006-12-01"), false, &none);
  const auto full = compile(p, test::at(p, "2006-12-01"), false, &some);
  CHECK(elements(full, "session4") == "198.18.1.9 ");
  std::size_t blocks = 0;
  for (const auto& c : full.chains) {
    if (!c.name.starts_with("src4_")) continue;
    ++blocks;
    const auto rules = test::rule_texts(full, c.name);
    CHECK_MESSAGE(std::count(rules.begin(), rules.end(), "ip saddr @session4 return") == 1, c.name);
  }
  CHECK(blocks > 1);
  // A session changes the elements of one set, and nothing else.
  CHECK(empty.chains == full.chains);
  CHECK(empty.sets.size() == full.sets.size());
  for (std::size_t i = 0; i < full.sets.size(); ++i)
    if (full.sets[i].name != "session4") CHECK(full.sets[i] == empty.sets[i]);
}

// The policy with a subscriber exemption, applied to a fake kernel on
// 2006-12-01 with no live session: where the session event tests start.
struct Applied {
  policy::Policy p = load(with_subscriber());
  test::FakeKernel kernel;
  test::MemoryStateStore state;
  Instant now = test::at(p, "2006-12-01");
  session::Table t;
  Applied() { REQUIRE(nft::reconcile(kernel, state, compile(p, now, false, &t), {}).ok); }
};

TEST_CASE("a session event changes one set in one batch, and the record moves on with it") {
  Applied a;
  auto& [p, kernel, state, now, t] = a;
  const auto commits = kernel.commits();

  t["ppp-7"] = pfxs({"198.18.1.9"});
  const ir::Set four{"session4", net::Family::v4, {}, {pfx("198.18.1.9").interval()}};
  const ir::Set six{"session6", net::Family::v6, {}, {}};
  auto out = nft::replace_elements(kernel, state, "op25b", {four, six});
  REQUIRE_MESSAGE(out.ok, out.error);
  CHECK(nft::to_text(out.transaction) == "  set session4\n+ 198.18.1.9\n");
  CHECK(kernel.commits() == commits + 1);
  CHECK(out.commit.messages == 1);
  // The same event again: nothing to send.
  out = nft::replace_elements(kernel, state, "op25b", {four, six});
  CHECK((out.ok && out.in_sync));
  CHECK(kernel.commits() == commits + 1);
  // The next run finds the kernel as the table says, from the record alone.
  const auto reads = kernel.reads_with_elements();
  const auto again = nft::reconcile(kernel, state, compile(p, now, false, &t), {});
  CHECK((again.ok && again.in_sync));
  CHECK(kernel.reads_with_elements() == reads);
  // The exemption ends: the next run withdraws the address.
  const auto after =
      nft::reconcile(kernel, state, compile(p, test::at(p, "2007-01-02"), false, &t), {});
  CHECK(nft::to_text(after.transaction).find("- 198.18.1.9") != std::string::npos);
}

TEST_CASE("given what the sets last held, an event reads them only back, and only if unchanged") {
  Applied a;
  auto& [p, kernel, state, now, t] = a;
  const ir::Set none{"session4", net::Family::v4, {}, {}};
  const ir::Set nine{"session4", net::Family::v4, {}, {pfx("198.18.1.9").interval()}};
  const ir::Set six{"session6", net::Family::v6, {}, {}};

  // The record says the sets hold `last`: no read before, the read-back after.
  auto reads = kernel.reads_with_elements();
  auto out = nft::replace_elements(kernel, state, "op25b", {nine, six}, 5, {none, six});
  REQUIRE_MESSAGE(out.ok, out.error);
  CHECK(nft::to_text(out.transaction) == "  set session4\n+ 198.18.1.9\n");
  CHECK(kernel.reads_with_elements() == reads + 1);

  // A `last` the record does not describe is not believed: the sets are read
  // first, and the change is what the kernel needs.
  reads = kernel.reads_with_elements();
  out = nft::replace_elements(kernel, state, "op25b", {none, six}, 5, {none, six});
  REQUIRE_MESSAGE(out.ok, out.error);
  CHECK(nft::to_text(out.transaction) == "  set session4\n- 198.18.1.9\n");
  CHECK(kernel.reads_with_elements() == reads + 2);

  // Someone else changed the set since the record (the generation moved):
  // the hint is not believed either, and their element is taken out too.
  kernel.replace_elements("op25b", "session4", {pfx("198.18.1.7").interval()});
  kernel.bump_generation();
  reads = kernel.reads_with_elements();
  out = nft::replace_elements(kernel, state, "op25b", {nine, six}, 5, {none, six});
  REQUIRE_MESSAGE(out.ok, out.error);
  CHECK(nft::to_text(out.transaction) ==
        "  set session4\n- 198.18.1.7\n  set session4\n+ 198.18.1.9\n");
  CHECK(kernel.reads_with_elements() == reads + 2);
}

TEST_CASE("a session event for a table without session sets changes nothing") {
  const policy::Policy p = load(test::minimal_policy());
  test::FakeKernel kernel;
  test::MemoryStateStore state;
  REQUIRE(nft::reconcile(kernel, state, compile(p, test::at(p, "2006-12-01")), {}).ok);
  const auto commits = kernel.commits();
  const ir::Set four{"session4", net::Family::v4, {}, {pfx("198.18.1.9").interval()}};
  const auto out = nft::replace_elements(kernel, state, "op25b", {four});
  CHECK_FALSE(out.ok);
  CHECK(out.error.find("no set session4") != std::string::npos);
  CHECK(kernel.commits() == commits);
  CHECK_FALSE(nft::replace_elements(kernel, state, "other", {four}).ok);
}

TEST_CASE("a table at its documented bounds is written and read back whole") {
  // 100,000 subscribers of 16 IPv6 addresses each, with 253-byte ids whose
  // every byte is escaped: the largest table the bounds allow (~140 MiB).
  session::Table table;
  for (std::size_t s = 0; s < session::kMaxSubscribers; ++s) {
    std::string id = std::to_string(s);
    id.insert(0, policy::kMaxSubscriberBytes - id.size(), '%');
    std::vector<net::Prefix> held;
    for (std::size_t k = 0; k < session::kMaxAddresses; ++k)
      held.push_back({(net::Word{0xffffffffffffffffu} << 64) | (s << 8) | (k << 2) | 0x1,
                      net::Family::v6, 127});
    for (auto& p : held) p.base &= ~net::Word{1};  // a /127 has one host bit
    table.emplace(std::move(id), std::move(held));
  }
  const std::string bytes = session::encode(table);
  CHECK(bytes.size() > std::size_t{64} << 20);  // beyond the cap that once cut it
  const std::string path = "/tmp/op25bc-bounds-table-" + std::to_string(::getpid());
  {
    std::ofstream out(path, std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  const auto read = session::read_table(path);
  std::filesystem::remove(path);
  REQUIRE_MESSAGE(read, (read ? std::string{} : read.failure().message));
  CHECK(read->size() == session::kMaxSubscribers);
  CHECK(*read == table);
}

TEST_CASE("property: with the index of holders, up and down change exactly what the walk does") {
  // Random events over few subscribers and a small address space (hosts, and
  // IPv6 prefixes that nest), applied to two tables: one walked, one through
  // Holders. After every event both tables, both changes, and what the index
  // finds against an index built afresh are the same.
  std::mt19937 rng(39);
  const std::vector<std::string> who = {"ann", "bob", "cid", "dan", "eve"};
  const auto address = [&] {
    if (rng() % 2) return pfx(("198.18.2." + std::to_string(rng() % 8)).c_str());
    static const char* const v6[] = {"2001:db8:1::/48", "2001:db8:1::/56",   "2001:db8:1:100::/56",
                                     "2001:db8:1::1",   "2001:db8:1:100::7", "2001:db8:2::/56"};
    return pfx(v6[rng() % 6]);
  };
  for (int round = 0; round < 200; ++round) {
    session::Table walked, indexed;
    session::Holders holders(indexed);
    for (int step = 0; step < 60; ++step) {
      const std::string& s = who[rng() % who.size()];
      std::vector<net::Prefix> addresses;
      for (std::size_t k = rng() % 3; k > 0; --k) addresses.push_back(address());
      const bool is_up = rng() % 3 != 0, tracked = rng() % 4 != 0;
      const session::Change a =
          is_up ? session::up(walked, s, addresses, tracked) : session::down(walked, s, addresses);
      const session::Change b = is_up ? session::up(indexed, holders, s, addresses, tracked)
                                      : session::down(indexed, holders, s, addresses);
      REQUIRE(walked == indexed);
      CHECK(a.changed == b.changed);
      CHECK(a.handed_over == b.handed_over);
      CHECK(a.error == b.error);
      const session::Holders fresh(indexed);
      const net::Prefix q = address();
      CHECK(holders.overlapping(q) == fresh.overlapping(q));
      CHECK(session::held_by_another(holders, s, {q}) == session::held_by_another(indexed, s, {q}));
    }
  }
}
