// SPDX-License-Identifier: GPL-2.0-or-later
// The history of applied policies: what is recorded, what is kept, where a
// rollback goes, and the folder it lives in.
#include "op25bc/history/history.h"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>

using namespace op25bc;
using history::History;
using history::HistoryEntry;

namespace {

HistoryEntry entry(const std::string& fp, const std::string& when, bool changed = true,
                   std::vector<std::string> phases = {"all"}) {
  return {when,
          "2006-10-01T00:00:00+09:00",
          fp,
          "apply",
          "/etc/op25bc/policy.json",
          std::move(phases),
          changed,
          std::nullopt,
          ""};
}

const std::string A = "aaaaaaaaaaaaaaaa", B = "bbbbbbbbbbbbbbbb", C = "cccccccccccccccc";

struct TempFolder {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("op25bc-history-" + std::to_string(::getpid()));
  TempFolder() { std::filesystem::remove_all(path); }
  ~TempFolder() { std::filesystem::remove_all(path); }
};

}  // namespace

TEST_CASE("history records what is new and keeps the newest N") {
  History h;
  CHECK(history::record(h, entry(A, "t1"), 3));
  // The same policy and phases, nothing committed: an activate every minute
  // adds nothing.
  CHECK_FALSE(history::record(h, entry(A, "t2", false), 3));
  // Other phases (a boundary) or a commit (drift repaired) are news.
  CHECK(history::record(h, entry(A, "t3", false, {"mobile", "all"}), 3));
  CHECK(history::record(h, entry(B, "t4"), 3));
  CHECK(history::record(h, entry(C, "t5"), 3));
  REQUIRE(h.entries.size() == 3);
  CHECK(h.entries.front().when == "t5");
  CHECK(h.entries.back().when == "t3");
  CHECK(history::referenced(h) == std::vector<std::string>{A, B, C});
  h.pin = history::Pin{A, "t6"};
  CHECK(history::record(h, entry(B, "t7"), 1));
  CHECK(h.entries.size() == 1);
  // A pinned policy keeps its copy even when no entry names it any more.
  CHECK(history::referenced(h) == std::vector<std::string>{A, B});
}

TEST_CASE("rollback goes to the previous other policy, or to a named one") {
  History h;
  std::string error;
  CHECK_FALSE(history::rollback_target(h, "", error));
  CHECK(error == "no policy has been applied with this state file yet");
  history::record(h, entry(A, "t1"), 10);
  CHECK_FALSE(history::rollback_target(h, "", error));
  CHECK(error == "the history holds no policy other than the one applied now (" + A + ")");
  history::record(h, entry(B, "t2"), 10);
  history::record(h, entry(B, "t3", false, {"mobile"}), 10);
  const auto previous = history::rollback_target(h, "", error);
  REQUIRE(previous);
  CHECK(previous->fingerprint == A);
  CHECK(history::rollback_target(h, "bbbb", error)->fingerprint == B);
  CHECK_FALSE(history::rollback_target(h, "d", error));
  CHECK(error == "no policy with fingerprint d in the history");
  history::record(h, entry("abbbbbbbbbbbbbbb", "t4"), 10);
  CHECK_FALSE(history::rollback_target(h, "a", error));
  CHECK(error == "the fingerprint prefix a names more than one policy");
}

TEST_CASE("history JSON round-trips and refuses what op25bc did not write") {
  History h;
  history::record(h, entry(A, "t1"), 10);
  auto late = entry(B, "t2");
  late.command = "activate";
  late.late_by_seconds = 95;
  history::record(h, late, 10);
  h.pin = history::Pin{A, "t3"};
  CHECK(history::history_from_json(history::to_json(h)) == h);
  auto bad = history::to_json(h);
  bad["entries"][0]["fingerprint"] = "../../etc/passwd";  // never a file name
  CHECK_FALSE(history::history_from_json(bad));
  CHECK_FALSE(history::history_from_json(nlohmann::json::parse(R"({"format": 2})")));
  const std::string text = history::to_text(h);
  CHECK(text.starts_with("pinned by a rollback since t3: " + A));
  CHECK(text.find("t2  " + B +
                  "  activate  at 2006-10-01T00:00:00+09:00  phases: all  late by 95 s  backend "
                  "nftables\n") != std::string::npos);
  // Which backends exist is not the history's business; a name is checked for its form.
  auto other = history::to_json(h);
  other["entries"][0]["backend"] = "memory";
  CHECK(history::history_from_json(other));
  other["entries"][0]["backend"] = "Bad Name\n";
  CHECK_FALSE(history::history_from_json(other));
}

TEST_CASE("the file store keeps policy copies by fingerprint and drops unreferenced ones") {
  CHECK(history::FileHistoryStore::folder_for("/var/lib/op25bc/op25b.state") ==
        "/var/lib/op25bc/op25b.history");
  CHECK(history::FileHistoryStore::folder_for("/srv/r1") == "/srv/r1.history");
  TempFolder t;
  history::FileHistoryStore store(t.path.string());
  REQUIRE(store.load());
  CHECK(*store.load() == History{});  // nothing yet
  REQUIRE(history::remember(store, entry(A, "t1"), "{\"a\": 1}", {}, 2));
  REQUIRE(history::remember(store, entry(B, "t2"), "{\"b\": 2}", {{"b.txt", "192.0.2.0/24\n"}}, 2));
  CHECK(store.policy(A)->policy == "{\"a\": 1}");
  CHECK(store.policy(A)->prefix_files.empty());
  // A policy's prefix files are kept with it, and go with it.
  CHECK(store.policy(B)->prefix_files ==
        std::map<std::string, std::string>{{"b.txt", "192.0.2.0/24\n"}});
  CHECK(std::filesystem::exists(t.path / ("policy-" + B + ".prefix-files.json")));
  REQUIRE(history::remember(store, entry(C, "t3"), "{\"c\": 3}", {}, 2));
  CHECK_FALSE(store.has_policy(A));  // trimmed away
  CHECK(store.has_policy(B));
  CHECK(std::filesystem::exists(t.path / ("policy-" + B + ".prefix-files.json")));
  REQUIRE(history::remember(store, entry(A, "t4"), "{\"a\": 1}", {}, 2));
  CHECK_FALSE(store.has_policy(B));
  CHECK_FALSE(std::filesystem::exists(t.path / ("policy-" + B + ".prefix-files.json")));
  CHECK(store.load()->entries.size() == 2);
  CHECK_FALSE(store.policy("../index"));
  std::ofstream(t.path / "index.json") << "{ not json";
  const auto broken = store.load();
  REQUIRE_FALSE(broken);
  CHECK(broken.failure().message.find("is not a history index op25bc wrote") != std::string::npos);
  // A failure is a value: remembering over a broken index says why it cannot.
  CHECK_FALSE(history::remember(store, entry(B, "t5"), "{\"b\": 2}", {}, 2));
}
