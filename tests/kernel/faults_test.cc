// SPDX-License-Identifier: GPL-2.0-or-later
// Fault injection at the netlink seam, against the real kernel: for every
// fault op25bc finishes correctly or fails with a clear message, its record
// never claims what the kernel does not hold, and the next run converges on
// exactly what `nft -f` of the compiled policy loads.
#include <doctest/doctest.h>
#include <sched.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "op25bc/compile/compile.h"
#include "op25bc/nft/netlink_kernel.h"
#include "op25bc/nft/reconcile.h"
#include "op25bc/nft/render_text.h"
#include "support/faulty_transport.h"
#include "support/memory_state_store.h"
#include "support/netns.h"
#include "support/policies.h"

using namespace op25bc;
using test::Fault;

namespace {

struct Run {
  nft::ReconcileOutcome outcome;
  std::string thrown;  // a KernelError's text
  int injected = 0;
};

Run run_with(Fault fault, nft::StateStore& state, const ir::Ruleset& desired) {
  auto transport = std::make_unique<test::FaultyTransport>(nft::open_netfilter_socket(), fault);
  test::FaultyTransport& faulty = *transport;
  // A silent kernel is given up on within a second, not thirty.
  nft::NetlinkKernel k(std::move(transport), {std::chrono::milliseconds{1000}});
  Run run;
  try {
    run.outcome = nft::reconcile(k, state, desired, {});
  } catch (const nft::KernelError& e) {
    run.thrown = e.what();
  }
  run.injected = faulty.injected();
  return run;
}

// The record, if op25bc would trust it, holds exactly what the kernel holds.
void check_record_honest(nft::StateStore& state) {
  const auto record = state.load();
  if (!record) return;
  nft::NetlinkKernel k;
  if (!nft::record_current(*record, k.instance(), k.generation())) return;
  const auto held = k.read(record->table, nft::ElementRead::all());
  REQUIRE(held);
  REQUIRE(record->sets.size() == held->ruleset.sets.size());
  for (std::size_t i = 0; i < held->ruleset.sets.size(); ++i) {
    CAPTURE(held->ruleset.sets[i].name);
    CHECK(record->sets[i].name == held->ruleset.sets[i].name);
    CHECK(record->sets[i].handle == held->set_handles[i]);
    CHECK(record->sets[i].digest == net::digest(held->ruleset.sets[i].elements));
  }
}

// What `nft -f` of the compiled policy makes of a fresh namespace.
std::string oracle(const policy::Policy& p, Instant at, const ir::Ruleset& desired) {
  const std::string file = "/tmp/op25bc-faults-oracle-" + std::to_string(::getpid()) + ".nft";
  std::ofstream(file) << nft::render(p, desired, at, nft::Format::script);
  const std::string listed =
      test::sh("unshare -n sh -c 'nft -f " + file + " && nft list table inet op25b'");
  std::remove(file.c_str());
  return listed;
}

// The next, fault-free runs: one converges, the one after finds nothing to
// do, and the kernel lists exactly what nft loads from the compiled policy.
void check_converges(nft::StateStore& state, const policy::Policy& p, Instant at,
                     const ir::Ruleset& desired) {
  nft::NetlinkKernel k;
  const auto again = nft::reconcile(k, state, desired, {});
  REQUIRE_MESSAGE(again.ok, again.error);
  const auto then = nft::reconcile(k, state, desired, {});
  CHECK(then.in_sync);
  CHECK(test::sh("nft list table inet op25b") == oracle(p, at, desired));
  check_record_honest(state);
}

struct Case {
  Fault fault;
  const char* name;
};

}  // namespace

TEST_CASE("faults the socket recovers from: the apply finishes as if nothing happened") {
  const auto p = test::load_example("spinnet");
  const Instant at = test::at(p, "2006-10-01");
  const ir::Ruleset desired = compile(p, at);
  for (const Case c : {Case{Fault::none, "none"}, Case{Fault::eintr, "EINTR everywhere"},
                       Case{Fault::eagain, "EAGAIN on every receive"},
                       Case{Fault::enobufs_dump, "ENOBUFS during dumps"},
                       Case{Fault::stale_reply, "a late reply before every reply"}}) {
    CAPTURE(c.name);
    test::fresh_netns();
    test::MemoryStateStore state;
    // From an older ruleset, so the run changes sets, rules and elements.
    REQUIRE(run_with(Fault::none, state, compile(p, test::at(p, "2006-06-15"))).outcome.ok);
    const Run run = run_with(c.fault, state, desired);
    CHECK_MESSAGE(run.outcome.ok, run.outcome.error, run.thrown);
    CHECK(run.thrown.empty());
    if (c.fault != Fault::none) CHECK(run.injected > 0);
    check_record_honest(state);
    check_converges(state, p, at, desired);
  }
}

TEST_CASE("faults that stop the apply: a clear message, an honest record, the next run converges") {
  const auto p = test::load_example("spinnet");
  const Instant at = test::at(p, "2006-10-01");
  const ir::Ruleset desired = compile(p, at);
  struct Expect {
    Fault fault;
    const char* message;  // in the outcome's error or the KernelError
    bool kernel_unchanged;
    bool from_scratch_only = false;  // a small change's few acks fit even a small buffer
  };
  for (const Expect e : {
           Expect{Fault::enobufs,
                  "acknowledgements were lost (ENOBUFS); whether the batch was applied is unknown",
                  false},
           Expect{Fault::small_receive_buffer, "acknowledgements were lost (ENOBUFS)", false, true},
           // The dump that breaks may come after the commit (reading back).
           Expect{Fault::truncated_reply, "a malformed netlink reply", false},
           Expect{Fault::error_mid_batch, "the kernel rejected the batch: ", true},
           Expect{Fault::eperm, "op25bc needs root or CAP_NET_ADMIN to talk to nf_tables", true},
           Expect{Fault::silent_acks,
                  "the kernel did not acknowledge every message within 1 s; whether the batch "
                  "was applied is unknown",
                  false},
           Expect{Fault::erestart_forever,
                  "the ruleset kept changing while op25bc worked (3 attempts); nothing was applied",
                  true},
       }) {
    for (const bool from_scratch : {true, false}) {
      if (e.from_scratch_only && !from_scratch) continue;
      CAPTURE(static_cast<int>(e.fault));
      CAPTURE(from_scratch);
      test::fresh_netns();
      test::MemoryStateStore state;
      std::string before;
      if (!from_scratch) {
        REQUIRE(run_with(Fault::none, state, compile(p, test::at(p, "2006-06-15"))).outcome.ok);
        before = test::sh("nft list ruleset");
      }
      const Run run = run_with(e.fault, state, desired);
      CHECK_FALSE(run.outcome.ok);
      CHECK(run.injected > 0);
      const std::string said = run.thrown.empty() ? run.outcome.error : run.thrown;
      CHECK_MESSAGE(said.find(e.message) != std::string::npos, said);
      // A refused or never-sent batch leaves the kernel exactly as it was.
      if (e.kernel_unchanged) CHECK(test::sh("nft list ruleset") == before);
      // A failed commit says whether the kernel may have changed.
      if (run.thrown.empty()) CHECK(run.outcome.outcome_unknown == !e.kernel_unchanged);
      check_record_honest(state);
      check_converges(state, p, at, desired);
    }
  }
}
