// SPDX-License-Identifier: GPL-2.0-or-later
// The differ and the reconcile loop against the fake kernel: atomic, minimal,
// owned-table-only, no lost updates.
#include <doctest/doctest.h>

#include <cerrno>

#include "op25bc/compile/compile.h"
#include "op25bc/nft/diff_text.h"
#include "op25bc/nft/differ.h"
#include "op25bc/nft/reconcile.h"
#include "op25bc/nft/render_text.h"
#include "support/fake_kernel.h"
#include "support/forwarding_kernel.h"
#include "support/memory_state_store.h"
#include "support/policies.h"

using namespace op25bc;
using nlohmann::json;

namespace {

ir::Ruleset at(const policy::Policy& p, const char* when) {
  return compile(p, test::at(p, when));
}

struct Setup {
  test::FakeKernel kernel;
  test::MemoryStateStore state;
  nft::ReconcileOutcome run(const ir::Ruleset& desired, backend::RunOptions o = {}) {
    return nft::reconcile(kernel, state, desired, o);
  }
};

std::string table_text(const ir::Ruleset& r) {
  return nft::render_nft_table(r);
}

}  // namespace

TEST_CASE("apply creates the table, and the kernel then holds exactly the desired ruleset") {
  const auto p = test::load_example("spinnet");
  Setup s;
  const auto desired = at(p, "2006-10-01");
  const auto out = s.run(desired);
  REQUIRE_MESSAGE(out.ok, out.error);
  CHECK(s.kernel.dump("op25b") == table_text(desired));
  CHECK(s.kernel.last_messages() == nft::message_count(nft::create(desired)));
  // The port's counters, one per phase and the adoption counters, as status reads them.
  std::vector<std::string> counters;
  for (const auto& c : s.kernel.counters("op25b")) counters.push_back(c.name);
  CHECK(counters == std::vector<std::string>{"phase_mobile", "phase_all", "submission4",
                                             "submission6", "smarthost4", "smarthost6",
                                             "monitor_all"});
  CHECK(s.kernel.counters("elsewhere").empty());
}

TEST_CASE("re-applying the same policy sends nothing and says in sync") {
  const auto p = test::load_example("spinnet");
  Setup s;
  REQUIRE(s.run(at(p, "2006-10-01")).ok);
  const auto commits = s.kernel.commits();
  const auto again = s.run(at(p, "2006-10-01"));
  CHECK(again.ok);
  CHECK(again.in_sync);
  CHECK(s.kernel.commits() == commits);
  CHECK(s.kernel.reads_with_elements() == 0);  // the record, not a dump, supplied elements
}

TEST_CASE("a one-prefix change sends only that element") {
  json doc = test::minimal_policy();
  Diagnostics diags;
  auto before = test::load_json(doc, diags);
  doc["pools"][1]["prefixes"].push_back("198.18.64.0/24");
  auto after = test::load_json(doc, diags);
  REQUIRE_MESSAGE((before && after), test::describe(diags));
  Setup s;
  REQUIRE(s.run(at(*before, "2006-10-01")).ok);
  const auto out = s.run(at(*after, "2006-10-01"));
  REQUIRE(out.ok);
  // Only the phase "mobile" source set (all pools) gains it; "all" selects flets-b only.
  CHECK(nft::to_text(out.transaction) == "  set phase_mobile_src4\n+ 198.18.64.0/24\n");
  CHECK(out.commit.messages == 1);
  // The record's digests showed which set changes: only it was read back.
  CHECK(out.sets_read_back == 1);
  CHECK_FALSE(out.elements_read_back);
  CHECK(s.kernel.dump("op25b") == table_text(at(*after, "2006-10-01")));
}

TEST_CASE("a reshaped interval is deleted before its replacement is added") {
  json doc = test::minimal_policy();
  Diagnostics diags;
  auto before = test::load_json(doc, diags);
  doc["pools"][1]["prefixes"].push_back("198.18.32.0/24");  // adjacent to osaka's /20: merges
  auto after = test::load_json(doc, diags);
  REQUIRE((before && after));
  Setup s;
  REQUIRE(s.run(at(*before, "2006-10-01")).ok);
  const auto out = s.run(at(*after, "2006-10-01"));
  REQUIRE(out.ok);
  CHECK(nft::to_text(out.transaction) ==
        "  set phase_mobile_src4\n- 198.18.0.0/19\n  set phase_mobile_src4\n"
        "+ 198.18.0.0-198.18.32.255\n");
  CHECK(out.commit.messages == 2);
}

TEST_CASE("a phase boundary replaces only the rules it must") {
  const auto p = test::load_example("spinnet");
  Setup s;
  REQUIRE(s.run(at(p, "2006-09-15")).ok);
  const auto out = s.run(at(p, "2006-10-01"));
  REQUIRE(out.ok);
  // "all" shares mobile's source sets: its two monitor rules give way to its
  // two blocking rules, and nothing else changes (its recording sets stay).
  CHECK(nft::to_text(out.transaction) ==
        "- chain check: tcp flags syn / syn,ack ct status ! confirmed ip saddr @phase_mobile_src4 "
        "counter name "
        "\"monitor_all\" update @phase_all_seen4 { ip saddr }\n"
        "- chain check: tcp flags syn / syn,ack ct status ! confirmed ip6 saddr @phase_mobile_src6 "
        "counter name "
        "\"monitor_all\" update @phase_all_seen6 { ip6 saddr }\n"
        "+ chain check: ip6 saddr @phase_mobile_src6 counter name \"phase_all\" goto block\n"
        "+ chain check: ip saddr @phase_mobile_src4 counter name \"phase_all\" goto block\n");
  CHECK(s.kernel.dump("op25b") == table_text(at(p, "2006-10-01")));
  // And back: exactly those rules go, by handle, and the monitor rules return.
  const auto back = s.run(at(p, "2006-09-15"));
  REQUIRE(back.ok);
  CHECK(nft::stats(back.transaction).rules_deleted == 2);
  CHECK(nft::stats(back.transaction).rules_added == 2);
  CHECK(nft::stats(back.transaction).objects_changed == 0);
  CHECK(s.kernel.dump("op25b") == table_text(at(p, "2006-09-15")));
}

TEST_CASE("the number of messages follows the changes, not the set sizes") {
  json doc = test::minimal_policy();
  for (int i = 0; i < 4000; ++i)
    doc["pools"][1]["prefixes"].push_back("198.19." + std::to_string(i / 16) + "." +
                                          std::to_string((i % 16) * 16) + "/29");
  Diagnostics diags;
  auto big = test::load_json(doc, diags);
  doc["pools"][1]["prefixes"].erase(doc["pools"][1]["prefixes"].end() - 1);
  auto smaller = test::load_json(doc, diags);
  REQUIRE_MESSAGE((big && smaller), test::describe(diags));
  Setup s;
  const auto created = s.run(at(*big, "2006-10-01"));
  REQUIRE(created.ok);
  // The 4000-and-more-element set is split across messages inside the one batch.
  for (const auto& op : created.transaction.ops)
    if (const auto* a = std::get_if<nft::AddElements>(&op); a && a->set == "phase_mobile_src4")
      CHECK(nft::message_count(op) ==
            (a->elements.size() + nft::kIntervalsPerMessage - 1) / nft::kIntervalsPerMessage);
  const auto out = s.run(at(*smaller, "2006-10-01"));
  REQUIRE(out.ok);
  CHECK(out.commit.messages == 1);
  CHECK(nft::stats(out.transaction).elements_deleted == 1);
}

TEST_CASE("a table op25bc did not create is refused, or replaced with --adopt") {
  const auto p = test::load_example("spinnet");
  Setup s;
  s.kernel.add_foreign_table("op25b");
  const auto refused = s.run(at(p, "2006-10-01"));
  CHECK_FALSE(refused.ok);
  CHECK(refused.error ==
        "table inet op25b exists and was not created by op25bc; refusing to change it (use "
        "--adopt to replace it)");
  CHECK(s.kernel.commits() == 0);
  backend::RunOptions adopt;
  adopt.adopt = true;
  const auto adopted = s.run(at(p, "2006-10-01"), adopt);
  REQUIRE(adopted.ok);
  CHECK(std::holds_alternative<nft::DeleteTable>(adopted.transaction.ops.front()));
  CHECK(s.kernel.dump("op25b") == table_text(at(p, "2006-10-01")));
  CHECK(s.run(at(p, "2006-10-01")).in_sync);  // and from now on it is op25bc's
}

TEST_CASE("a rejected batch changes nothing and names the failing operation") {
  const auto p = test::load_example("spinnet");
  Setup s;
  REQUIRE(s.run(at(p, "2006-06-15")).ok);
  const std::string before = s.kernel.dump("op25b");
  s.kernel.fail_at(1);
  const auto out = s.run(at(p, "2006-10-01"));
  CHECK_FALSE(out.ok);
  CHECK(out.commit.failed_op == std::size_t{1});
  CHECK(out.error == "the kernel rejected the batch: Invalid argument");
  CHECK(s.kernel.dump("op25b") == before);
}

TEST_CASE("a concurrent change between read and commit is detected and retried") {
  // A kernel that lets someone else commit right before each of our first N commits.
  struct Racy : test::ForwardingKernel<test::FakeKernel> {
    int races = 0;
    nft::CommitResult commit(const nft::Transaction& t, std::uint32_t g, bool c) override {
      if (races > 0) {
        --races;
        inner.bump_generation();
      }
      return inner.commit(t, g, c);
    }
  };
  const auto p = test::load_example("spinnet");
  test::MemoryStateStore state;
  Racy racy;
  racy.races = 1;
  const auto out = nft::reconcile(racy, state, at(p, "2006-10-01"), {});
  CHECK(out.ok);
  CHECK(out.attempts == 2);
  racy.races = 5;
  const auto gives_up = nft::reconcile(racy, state, at(p, "2007-04-01"), {});
  CHECK_FALSE(gives_up.ok);
  CHECK(gives_up.attempts == 3);
  CHECK(gives_up.error ==
        "the ruleset kept changing while op25bc worked (3 attempts); nothing was applied");
}

TEST_CASE("without a usable record elements are read back, and --verify always reads them") {
  const auto p = test::load_example("spinnet");
  Setup s;
  REQUIRE(s.run(at(p, "2006-10-01")).ok);
  test::MemoryStateStore empty;
  const auto out = nft::reconcile(s.kernel, empty, at(p, "2006-10-01"), {});
  CHECK(out.in_sync);
  CHECK(out.elements_read_back);
  backend::RunOptions verify;
  verify.verify = true;
  CHECK(s.run(at(p, "2006-10-01"), verify).elements_read_back);
}

TEST_CASE("check mode validates without changing anything") {
  const auto p = test::load_example("spinnet");
  Setup s;
  backend::RunOptions dry;
  dry.check_only = true;
  const auto out = s.run(at(p, "2006-10-01"), dry);
  CHECK(out.ok);
  CHECK_FALSE(out.transaction.empty());
  CHECK(s.kernel.dump("op25b").empty());
  CHECK_FALSE(s.state.load());
}

TEST_CASE("a run killed between the commit and the record converges on the next run") {
  // A store that dies (throws) on its second save: after the write-ahead
  // marker, before the final record: the commit happened, the record says pending.
  struct DyingStore : nft::StateStore {
    test::MemoryStateStore inner;
    int saves_left = 1 << 30;
    std::optional<nft::StateRecord> load() override { return inner.load(); }
    void save(const nft::StateRecord& r) override {
      if (saves_left-- == 0) throw std::runtime_error("killed");
      inner.save(r);
    }
  };
  json doc = test::minimal_policy();
  Diagnostics diags;
  auto before = test::load_json(doc, diags);
  doc["pools"][1]["prefixes"].push_back("198.18.64.0/24");
  auto after = test::load_json(doc, diags);
  REQUIRE((before && after));
  test::FakeKernel kernel;
  DyingStore store;
  REQUIRE(nft::reconcile(kernel, store, at(*before, "2006-10-01"), {}).ok);
  store.saves_left = 1;  // the marker is written, the final record is not
  CHECK_THROWS(nft::reconcile(kernel, store, at(*after, "2006-10-01"), {}));
  CHECK(kernel.dump("op25b") == table_text(at(*after, "2006-10-01")));  // committed
  REQUIRE(store.load());
  CHECK(store.load()->pending);
  // The stale elements are not trusted: they are read back, and all is in sync.
  store.saves_left = 1 << 30;
  const auto next = nft::reconcile(kernel, store, at(*after, "2006-10-01"), {});
  CHECK(next.in_sync);
  CHECK(next.elements_read_back);
  // Having read back, it recorded what it saw: the run after trusts the record again.
  CHECK_FALSE(store.load()->pending);
  const auto after_that = nft::reconcile(kernel, store, at(*after, "2006-10-01"), {});
  CHECK(after_that.in_sync);
  CHECK_FALSE(after_that.elements_read_back);
}

TEST_CASE("a rejected batch restores the record, so the next run still trusts it") {
  const auto p = test::load_example("spinnet");
  Setup s;
  REQUIRE(s.run(at(p, "2006-06-15")).ok);
  s.kernel.fail_at(0);
  CHECK_FALSE(s.run(at(p, "2006-10-01")).ok);
  REQUIRE(s.state.load());
  CHECK_FALSE(s.state.load()->pending);
  s.kernel.fail_at(1000);
  const auto next = s.run(at(p, "2006-10-01"));
  CHECK(next.ok);
  CHECK_FALSE(next.elements_read_back);
}

// Issue 8, items 3-5: the record is trusted only for the kernel it describes.

TEST_CASE("someone else's change inside op25bc's sets is seen: the generation moved") {
  const auto p = test::load_example("spinnet");
  Setup s;
  const auto desired = at(p, "2006-10-01");
  REQUIRE(s.run(desired).ok);
  // `nft flush set inet op25b phase_mobile_src4`: every IPv4 subscriber unblocked.
  s.kernel.replace_elements("op25b", "phase_mobile_src4", {});
  backend::RunOptions diff_only;
  diff_only.check_only = true;
  const auto diff = s.run(desired, diff_only);
  CHECK_FALSE(diff.in_sync);
  CHECK(diff.elements_read_back);
  CHECK(nft::to_text(diff.transaction).find("  set phase_mobile_src4\n+ ") != std::string::npos);
  const auto repair = s.run(desired);
  CHECK(repair.ok);
  CHECK(s.kernel.dump("op25b") == table_text(desired));
  // The repair recorded the generation it made: the next run trusts the record again.
  const auto next = s.run(desired);
  CHECK(next.in_sync);
  CHECK_FALSE(next.elements_read_back);
}

TEST_CASE("a record from another boot or another namespace is never trusted") {
  const auto p = test::load_example("spinnet");
  for (const nft::Instance& other :
       {nft::Instance{"another-boot", 7}, nft::Instance{"0f2c6a1e-boot", 8},
        nft::Instance{"0f2c6a1e-boot", 0}}) {
    Setup s;
    REQUIRE(s.run(at(p, "2006-10-01")).ok);
    s.kernel.set_instance(other);  // same generation, same handles: only the instance differs
    const auto out = s.run(at(p, "2006-10-01"));
    CHECK(out.in_sync);
    CHECK(out.elements_read_back);
  }
}

TEST_CASE("a record that misstates a set's contents makes op25bc read that set back") {
  const auto p = test::load_example("spinnet");
  Setup s;
  REQUIRE(s.run(at(p, "2006-10-01")).ok);
  // A record that claims exempt4 holds another element too (a restored backup):
  // same instance and generation, so it is trusted, but its digest of exempt4
  // matches neither the kernel nor the policy.
  auto record = *s.state.load();
  for (auto& set : record.sets)
    if (set.name == "exempt4")
      set.digest = net::digest({{0xC6120909, 0xC6120909}, {0xC6120A00, 0xC6120AFF}});
  s.state.save(record);
  s.kernel.take_sets_read();
  const auto out = s.run(at(p, "2006-10-01"));
  REQUIRE_MESSAGE(out.ok, out.error);
  CHECK(out.in_sync);  // the kernel, read back, holds what the policy wants
  CHECK(out.sets_read_back == 1);
  CHECK(s.kernel.take_sets_read() == std::vector<std::string>{"exempt4"});
  // Having read it back, it recorded what it saw.
  CHECK(s.state.load()->generation == record.generation);
  CHECK(s.run(at(p, "2006-10-01")).sets_read_back == 0);
}

TEST_CASE("elements the kernel rejects as missing or present are drift: read back, retry once") {
  // The kernel contradicts what op25bc believed its sets held (ENOENT on an
  // element deletion). The batch changed nothing; the pending marker stays.
  struct Contradicting : test::ForwardingKernel<test::FakeKernel> {
    int rejections = 1;
    nft::CommitResult commit(const nft::Transaction& t, std::uint32_t g, bool c) override {
      for (std::size_t i = 0; i < t.ops.size() && rejections > 0; ++i)
        if (std::holds_alternative<nft::DeleteElements>(t.ops[i])) {
          --rejections;
          nft::CommitResult r;
          r.error_code = ENOENT;
          r.error = "No such file or directory";
          r.failed_op = i;
          return r;
        }
      return inner.commit(t, g, c);
    }
  };
  const auto p = test::load_example("spinnet");
  Contradicting k;
  test::MemoryStateStore state;
  REQUIRE(nft::reconcile(k, state, at(p, "2006-10-01"), {}).ok);
  k.inner.take_sets_read();
  const auto out = nft::reconcile(k, state, at(p, "2007-04-01"), {});  // exemption ends
  REQUIRE_MESSAGE(out.ok, out.error);
  CHECK(out.drift_repaired);
  CHECK(out.attempts == 2);
  CHECK(out.elements_read_back);  // the retry trusted nothing but the kernel
  CHECK(k.inner.take_sets_read().size() > 1);
  CHECK(k.inner.dump("op25b") == table_text(at(p, "2007-04-01")));
  CHECK_FALSE(state.load()->pending);
  CHECK(nft::reconcile(k, state, at(p, "2007-04-01"), {}).in_sync);
}

TEST_CASE("lost acknowledgements leave the record pending: nothing is known") {
  struct Deaf : test::ForwardingKernel<test::FakeKernel> {
    nft::CommitResult commit(const nft::Transaction& t, std::uint32_t g, bool c) override {
      auto r = inner.commit(t, g, c);  // committed, but the acks never arrive
      r.ok = false;
      r.error_code = ENOBUFS;
      r.error = "acknowledgements were lost";
      return r;
    }
  };
  const auto p = test::load_example("spinnet");
  test::MemoryStateStore state;
  Deaf deaf;
  CHECK_FALSE(nft::reconcile(deaf, state, at(p, "2006-10-01"), {}).ok);
  REQUIRE(state.load());
  CHECK(state.load()->pending);
}

TEST_CASE("a table op25bc made under a name the policy dropped is removed in the same batch") {
  const auto p = test::load_example("spinnet");
  Setup s;
  REQUIRE(s.run(at(p, "2006-10-01")).ok);
  s.kernel.add_foreign_table("filter");
  auto renamed = at(p, "2006-10-01");
  renamed.table = "op25b_v2";
  const auto out = s.run(renamed);
  REQUIRE_MESSAGE(out.ok, out.error);
  CHECK(s.kernel.commits() == 2);  // one batch: the new table in, the old one out
  CHECK(s.kernel.dump("op25b").empty());
  CHECK(s.kernel.dump("op25b_v2") == table_text(renamed));
  CHECK(nft::to_text(out.transaction)
            .find("- table inet op25b (made by op25bc, no longer named by the policy)\n") !=
        std::string::npos);
  CHECK(s.run(renamed).in_sync);
  bool foreign_kept = false;
  for (const auto& [name, comment] : s.kernel.tables()) foreign_kept |= name == "filter";
  CHECK(foreign_kept);
}

TEST_CASE(
    "a dormant table or a chain with a binding is drift: the diff names it, reconcile repairs it") {
  const auto p = test::load_example("spinnet");
  Setup s;
  const auto desired = at(p, "2006-10-01");
  REQUIRE(s.run(desired).ok);

  // Someone makes the table dormant: every rule as it was, no hook left.
  s.kernel.tamper("op25b", [](nft::TableState& t) { t.table_flags = nft::kTableDormant; });
  auto held = s.kernel.read("op25b", nft::ElementRead::all());
  REQUIRE(held);
  CHECK(nft::enforcement_drift(*held) ==
        std::vector<std::string>{"table inet op25b has flags dormant: dormant, its hooks are off "
                                 "and it blocks nothing"});
  backend::RunOptions check;
  check.check_only = true;
  const auto dry = s.run(desired, check);
  REQUIRE(dry.ok);
  CHECK_FALSE(dry.in_sync);
  REQUIRE(dry.transaction.ops.size() == 1);
  CHECK(std::get<nft::ResetTableFlags>(dry.transaction.ops[0]).held == nft::kTableDormant);
  CHECK(nft::to_text(dry.transaction).find("flags dormant -> none") != std::string::npos);
  const auto woken = s.run(desired);
  REQUIRE_MESSAGE(woken.ok, woken.error);
  CHECK(s.kernel.read("op25b", nft::ElementRead::none())->table_flags == 0);
  CHECK(s.run(desired).in_sync);

  // A base chain the kernel holds bound to a device: recreated, rules and all.
  s.kernel.tamper("op25b", [](nft::TableState& t) {
    t.ruleset.chains.front().unrecognized = "bound to device r0";
  });
  held = s.kernel.read("op25b", nft::ElementRead::none());
  CHECK(nft::enforcement_drift(*held) ==
        std::vector<std::string>{"chain " + held->ruleset.chains.front().name +
                                 ": bound to device r0"});
  const auto rebound = s.run(desired);
  REQUIRE_MESSAGE(rebound.ok, rebound.error);
  CHECK_FALSE(rebound.in_sync);
  held = s.kernel.read("op25b", nft::ElementRead::none());
  for (const auto& want : desired.chains) {  // a recreated chain is listed last
    const auto it = std::find_if(held->ruleset.chains.begin(), held->ruleset.chains.end(),
                                 [&](const ir::Chain& c) { return c.name == want.name; });
    REQUIRE(it != held->ruleset.chains.end());
    CHECK(*it == want);
  }
  CHECK(nft::enforcement_drift(*s.kernel.read("op25b", nft::ElementRead::none())).empty());
  CHECK(s.run(desired).in_sync);
}
