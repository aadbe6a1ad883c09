// SPDX-License-Identifier: GPL-2.0-or-later
// Drop-in exemptions (exemptions_dir): each file checked as an inline
// exemption is, its diagnostics pointing into the file; one bad file left out
// (lenient) or refusing the policy (strict); a rollback's copy taking the live
// folder's drop-ins.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>

#include "op25bc/compile/compile.h"
#include "op25bc/history/fingerprint.h"
#include "op25bc/policy/load.h"
#include "op25bc/policy/prefix_file.h"
#include "support/policies.h"

using namespace op25bc;
using nlohmann::json;
using Files = std::map<std::string, std::string>;

namespace {

json with_dir() {
  json doc = test::minimal_policy();
  doc["exemptions_dir"] = "exemptions.d";
  return doc;
}

struct Loaded {
  std::optional<policy::Policy> policy;
  Diagnostics diags;
  std::string text;  // every diagnostic, formatted
};

Loaded load(const json& doc, Files files, policy::DropIns mode) {
  Loaded out;
  policy::StoredPrefixFiles source(std::move(files), "kept");
  out.policy = policy::load_text(doc.dump(), out.diags, &source, mode);
  for (const auto& d : out.diags.entries()) out.text += format_diagnostic(d, "policy.json");
  return out;
}

const Files kGood{
    {"exemptions.d/acme.json",
     R"({"id": "acme", "prefixes": ["198.18.1.5/32"], "reason": "runs its own MTA",
         "ticket": "CRM-1042", "until": "2007-06-30"})"},
    {"exemptions.d/zeta.json", R"({"id": "zeta", "prefixes": ["2001:db8:1000::5/128"]})"},
};

Files with(Files files, const std::string& name, const std::string& text) {
  files["exemptions.d/" + name] = text;
  return files;
}

}  // namespace

TEST_CASE("drop-ins join the inline exemptions, in file name order, and reach the exempt set") {
  const auto l = load(with_dir(), kGood, policy::DropIns::strict);
  REQUIRE_MESSAGE(l.policy, l.text);
  REQUIRE(l.policy->exemptions.size() == 3);
  CHECK(l.policy->exemptions[0].file.empty());  // the policy's own cust-1
  CHECK(l.policy->exemptions[1].id == "acme");
  CHECK(l.policy->exemptions[1].file == "kept#exemptions.d/acme.json");
  CHECK(l.policy->exemptions[1].ticket == "CRM-1042");
  CHECK(l.policy->exemptions[2].id == "zeta");
  CHECK(l.policy->exemptions_dir == "exemptions.d");
  const ir::Ruleset r = compile(*l.policy, test::at(*l.policy, "2006-10-01"));
  const ir::Set* exempt4 = test::find_set(r, "exempt4");
  REQUIRE(exempt4);
  CHECK(exempt4->elements.size() == 2);  // cust-1's 198.18.3.4 and acme's 198.18.1.5
  CHECK(test::find_set(r, "exempt6")->elements.size() == 1);
}

TEST_CASE("a bad drop-in: strict names the file and the place in it; lenient leaves it out") {
  Files files = with(kGood, "outside.json", R"({"id": "far", "prefixes": ["203.0.113.9/32"]})");
  files = with(files, "typo.json", "{\"id\": \"typo\",\n \"prefixes\": [\"198.18.1.6/32\"],,}");
  files = with(files, "twin.json", R"({"id": "acme", "prefixes": ["198.18.1.7/32"]})");
  files = with(files, "keys.json", R"({"id": "keys", "prefix": ["198.18.1.8/32"]})");
  files = with(files, "not-json.txt", "ignored: not *.json");
  const auto strict = load(with_dir(), files, policy::DropIns::strict);
  CHECK_FALSE(strict.policy);
  CHECK(strict.text.find("kept#exemptions.d/outside.json: /prefixes/0: error: exemption "
                         "203.0.113.9 lies outside every pool") != std::string::npos);
  CHECK(strict.text.find("kept#exemptions.d/typo.json:2: error: malformed JSON") !=
        std::string::npos);
  CHECK(strict.text.find("kept#exemptions.d/twin.json: /id: error: duplicate exemption id "
                         "\"acme\"\nkept#exemptions.d/acme.json: /id: note: first defined "
                         "here\n") != std::string::npos);
  CHECK(strict.text.find("kept#exemptions.d/keys.json: /prefix: error:") != std::string::npos);
  CHECK(strict.diags.error_count() >= 4);

  const auto lenient = load(with_dir(), files, policy::DropIns::lenient);
  REQUIRE_MESSAGE(lenient.policy, lenient.text);
  CHECK(lenient.diags.error_count() == 0);
  CHECK(lenient.policy->exemptions.size() == 3);  // cust-1, acme, zeta
  CHECK(lenient.policy->skipped_files() ==
        std::vector<std::string>{"kept#exemptions.d/keys.json", "kept#exemptions.d/outside.json",
                                 "kept#exemptions.d/twin.json", "kept#exemptions.d/typo.json"});
  CHECK(lenient.text.find("kept#exemptions.d/outside.json: warning: drop-in exemption skipped: "
                          "/prefixes/0: exemption 203.0.113.9 lies outside every pool") !=
        std::string::npos);
}

TEST_CASE("a drop-in file holds one object: nothing it says escapes into the policy") {
  // Text that would close the wrapper and add a key or a second exemption.
  for (const char* text :
       {R"({"id": "a", "prefixes": ["198.18.1.5/32"]}], "pools": [)",
        R"({"id": "a", "prefixes": ["198.18.1.5/32"]}, {"id": "b", "prefixes": ["198.18.1.6/32"]})",
        "[]", "\"text\"", ""}) {
    CAPTURE(text);
    const auto l = load(with_dir(), {{"exemptions.d/x.json", text}}, policy::DropIns::strict);
    CHECK_FALSE(l.policy);
    CHECK(l.text.starts_with("kept#exemptions.d/x.json"));
    CHECK(l.text.find("policy.json") == std::string::npos);
  }
}

TEST_CASE("exemptions_dir stays inside the policy's folder") {
  namespace fs = std::filesystem;
  const fs::path root = fs::temp_directory_path() / ("op25bc-dropins-" + std::to_string(getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "policy" / "exemptions.d");
  fs::create_directories(root / "elsewhere");
  std::ofstream(root / "elsewhere" / "x.json") << R"({"id": "x", "prefixes": ["198.18.1.5/32"]})";
  std::ofstream(root / "policy" / "exemptions.d" / "a.json")
      << R"({"id": "a", "prefixes": ["198.18.1.6/32"]})";
  std::ofstream(root / "policy" / "exemptions.d" / ".a.json.tmp") << "half-written";
  fs::create_directory_symlink(root / "elsewhere", root / "policy" / "out.d");
  const std::string policy_path = (root / "policy" / "policy.json").string();
  const auto try_dir = [&](const std::string& dir) {
    json doc = test::minimal_policy();
    doc["exemptions_dir"] = dir;
    policy::FolderPrefixFiles files(policy_path);
    Diagnostics diags;
    auto p = policy::load_text(doc.dump(), diags, &files);
    std::string text;
    for (const auto& d : diags.entries()) text += format_diagnostic(d, "policy.json");
    return std::pair{std::move(p), text};
  };
  const auto [inside, fine] = try_dir("exemptions.d");
  REQUIRE_MESSAGE(inside, fine);
  CHECK(inside->exemptions.size() == 2);  // cust-1 and a; the hidden temporary file is no drop-in
  for (const std::string dir : {"../elsewhere", "out.d"}) {
    const auto [p, text] = try_dir(dir);
    CHECK_FALSE(p);
    CHECK(text.find("policy.json: /exemptions_dir: error: cannot read exemptions_dir") !=
          std::string::npos);
    CHECK(text.find("outside the policy's folder") != std::string::npos);
  }
  const auto [absolute, text] = try_dir((root / "elsewhere").string());
  CHECK_FALSE(absolute);
  CHECK(text.find("is an absolute path") != std::string::npos);
  fs::remove_all(root);
}

TEST_CASE("a kept copy takes the live folder's drop-ins; its fingerprint covers them") {
  const json doc = with_dir();
  Files kept = kGood;
  policy::StoredPrefixFiles stored(kept, "kept");
  Diagnostics diags;
  REQUIRE(policy::load_text(doc.dump(), diags, &stored));
  const std::string text = doc.dump();
  const std::string fp = history::fingerprint(text, stored.files_read());
  // Since the copy was kept, acme was withdrawn and nova granted.
  Files live{{"exemptions.d/nova.json", R"({"id": "nova", "prefixes": ["198.18.1.9/32"]})"},
             {"exemptions.d/zeta.json", kGood.at("exemptions.d/zeta.json")}};
  policy::StoredPrefixFiles rolled(kept, "kept",
                                   std::make_unique<policy::StoredPrefixFiles>(live, "live"));
  Diagnostics again;
  const auto p = policy::load_text(text, again, &rolled);
  REQUIRE(p);
  std::vector<std::string> ids;
  for (const auto& x : p->exemptions) ids.push_back(x.id);
  CHECK(ids == std::vector<std::string>{"cust-1", "nova", "zeta"});
  CHECK(p->exemptions[1].file == "live#exemptions.d/nova.json");
  CHECK(history::fingerprint(text, rolled.files_read()) != fp);
  // Any change to a drop-in changes the fingerprint.
  Files edited =
      with(kGood, "zeta.json", R"({"id": "zeta", "prefixes": ["2001:db8:1000::6/128"]})");
  policy::StoredPrefixFiles changed(edited, "kept");
  Diagnostics third;
  REQUIRE(policy::load_text(text, third, &changed));
  CHECK(history::fingerprint(text, changed.files_read()) != fp);
}

TEST_CASE("a drop-in left out is not in the fingerprint or the history's copy") {
  const std::string text = with_dir().dump();
  const auto read = [&](const Files& files) {
    policy::StoredPrefixFiles source(files, "kept");
    Diagnostics diags;
    REQUIRE(policy::load_text(text, diags, &source, policy::DropIns::lenient));
    std::vector<std::string> paths;
    for (const auto& [path, bytes] : source.files_read()) paths.push_back(path);
    return std::pair{paths, history::fingerprint(text, source.files_read())};
  };
  const auto [good_paths, good] = read(kGood);
  CHECK(good_paths == std::vector<std::string>{"exemptions.d/acme.json", "exemptions.d/zeta.json"});
  Files bad = with(kGood, "bad.json", "{\"id\": \"x\xff\"}");
  bad = with(bad, "n\nl.json", R"({"id": "nl", "prefixes": ["198.18.1.8/32"]})");
  const auto [bad_paths, with_bad] = read(bad);
  CHECK(bad_paths == good_paths);
  CHECK(with_bad == good);
}

TEST_CASE("a pending drop-in is read in its place in name order, as the written file will be") {
  const auto pending = [] {
    return policy::PendingDropIn(std::make_unique<policy::StoredPrefixFiles>(kGood, "kept"),
                                 "mid.json", R"({"id": "mid", "prefixes": ["198.18.1.9/32"]})");
  };
  policy::PendingDropIn files = pending();
  CHECK(files.path().empty());
  std::string error;
  CHECK(files.list("exemptions.d/", error) == std::vector<std::string>{"exemptions.d/acme.json",
                                                                       "exemptions.d/mid.json",
                                                                       "exemptions.d/zeta.json"});
  CHECK(files.path() == "exemptions.d/mid.json");
  files = pending();
  Diagnostics diags;
  const std::string text = with_dir().dump();
  const auto p = policy::load_text(text, diags, &files);
  REQUIRE(p);
  std::vector<std::string> ids;
  for (const auto& x : p->exemptions) ids.push_back(x.id);
  CHECK(ids == std::vector<std::string>{"cust-1", "acme", "mid", "zeta"});
  // What the folder gives once the file is written: the same files, in the
  // same order, so the same fingerprint.
  policy::StoredPrefixFiles written(
      with(kGood, "mid.json", R"({"id": "mid", "prefixes": ["198.18.1.9/32"]})"), "kept");
  Diagnostics written_diags;
  REQUIRE(policy::load_text(text, written_diags, &written));
  const auto paths = [](const policy::PrefixFiles& f) {
    std::vector<std::string> out;
    for (const auto& [path, bytes] : f.files_read()) out.push_back(path);
    return out;
  };
  CHECK(paths(files) == std::vector<std::string>{"exemptions.d/acme.json", "exemptions.d/mid.json",
                                                 "exemptions.d/zeta.json"});
  CHECK(paths(files) == paths(written));
  CHECK(history::fingerprint(text, files.files_read()) ==
        history::fingerprint(text, written.files_read()));
  // Left out as invalid, it is forgotten like any file.
  files.forget("exemptions.d/mid.json");
  CHECK(paths(files) ==
        std::vector<std::string>{"exemptions.d/acme.json", "exemptions.d/zeta.json"});
}

namespace {

// minimal_policy()'s pool prefixes: two adjacent IPv4 /20s of two pools, and
// one IPv6 /40.
const std::vector<net::Prefix>& pool_prefixes() {
  static const std::vector<net::Prefix> pools{test::prefix("198.18.0.0/20"),
                                              test::prefix("198.18.16.0/20"),
                                              test::prefix("2001:db8:1000::/40")};
  return pools;
}

bool inside_one_pool_prefix(const net::Prefix& x) {
  const net::Interval iv = x.interval();
  for (const net::Prefix& p : pool_prefixes())
    if (p.family == x.family && p.interval().first <= iv.first && iv.last <= p.interval().last)
      return true;
  return false;
}

// A random prefix near the pools: inside one, equal to one, across both
// IPv4 pools, around them, or anything up to the whole address space.
net::Prefix random_prefix(std::mt19937_64& rng) {
  const bool v6 = rng() % 3 == 0;
  const net::Family f = v6 ? net::Family::v6 : net::Family::v4;
  const int bits = v6 ? 128 : 32;
  const net::Prefix& near = pool_prefixes()[v6 ? 2 : rng() % 2];
  const int length = static_cast<int>(rng() % (bits + 1));
  net::Word base = near.base;
  if (rng() % 4 == 0) base ^= static_cast<net::Word>(rng()) << (v6 ? rng() % 64 : 0);
  base ^= static_cast<net::Word>(rng()) & net::host_mask(f, near.length);
  base &= ~net::host_mask(f, static_cast<std::uint8_t>(length));
  if (!v6) base &= 0xffffffffu;
  return {base, f, static_cast<std::uint8_t>(length)};
}

}  // namespace

TEST_CASE("property: an exemption is admitted only inside one pool prefix, inline or drop-in") {
  std::mt19937_64 rng(20261207);
  int admitted = 0, refused = 0;
  for (int round = 0; round < 400; ++round) {
    // One good prefix and one or two random ones, as a list.
    std::vector<net::Prefix> list{test::prefix("198.18.1.5/32")};
    for (int k = 0, n = 1 + static_cast<int>(rng() % 2); k < n; ++k)
      list.push_back(random_prefix(rng));
    json prefixes = json::array();
    for (const auto& x : list) prefixes.push_back(net::to_string(x));
    const bool fits = std::all_of(list.begin(), list.end(), inside_one_pool_prefix);
    CAPTURE(prefixes.dump());
    // Inline: the policy is valid exactly when every prefix fits.
    json inline_doc = with_dir();
    inline_doc["exemptions"].push_back({{"id", "x"}, {"prefixes", prefixes}});
    const auto in = load(inline_doc, {}, policy::DropIns::lenient);
    CHECK(in.policy.has_value() == fits);
    // A drop-in: admitted exactly when every prefix fits, else left out
    // (lenient) or an error (strict).
    const Files files{{"exemptions.d/x.json", json{{"id", "x"}, {"prefixes", prefixes}}.dump()}};
    const auto lenient = load(with_dir(), files, policy::DropIns::lenient);
    REQUIRE(lenient.policy);
    CHECK(lenient.policy->skipped_dropins.empty() == fits);
    CHECK(load(with_dir(), files, policy::DropIns::strict).policy.has_value() == fits);
    // Never wider than: every address the compiled ruleset exempts lies in
    // one pool prefix, whatever was written.
    for (const auto* l : {&in, &lenient}) {
      if (!l->policy) continue;
      const ir::Ruleset r = compile(*l->policy, test::at(*l->policy, "2006-10-01"));
      for (const char* name : {"exempt4", "exempt6"})
        if (const ir::Set* s = test::find_set(r, name))
          for (const net::Interval& iv : s->elements) {
            const std::optional<int> length = net::exact_prefix_length(s->family, iv);
            const bool inside = std::any_of(
                pool_prefixes().begin(), pool_prefixes().end(), [&](const net::Prefix& p) {
                  return p.family == s->family && p.interval().first <= iv.first &&
                         iv.last <= p.interval().last;
                });
            CHECK_MESSAGE(inside, net::to_string(s->family, iv), " ", length.value_or(-1));
          }
    }
    (fits ? admitted : refused) += 1;
  }
  // The generator reaches both sides often.
  CHECK(admitted > 50);
  CHECK(refused > 50);
}

TEST_CASE("an exemption wider than its pool prefix is an error naming it, for each wide kind") {
  for (const char* wide :
       {"0.0.0.0/0", "::/0", "128.0.0.0/1", "198.0.0.0/8", "198.18.0.0/19", "198.18.0.0/15",
        "2001:db8::/32", "198.18.0.0/16", "2001:db8:1000::/39"}) {
    const std::string shown = wide;
    CAPTURE(shown);
    const Files files{
        {"exemptions.d/x.json", json{{"id", "x"}, {"prefixes", {"198.18.1.9", wide}}}.dump()}};
    const auto strict = load(with_dir(), files, policy::DropIns::strict);
    CHECK_FALSE(strict.policy);
    CHECK_MESSAGE(strict.text.find("kept#exemptions.d/x.json: /prefixes/1: error: exemption") !=
                      std::string::npos,
                  strict.text);
    json doc = with_dir();
    doc["exemptions"][0]["prefixes"].push_back(wide);
    const auto in = load(doc, {}, policy::DropIns::lenient);
    CHECK_FALSE(in.policy);
    CHECK(in.text.find("policy.json: /exemptions/0/prefixes/1: error:") != std::string::npos);
  }
  // Equal to a pool prefix is fine.
  json doc = with_dir();
  doc["exemptions"][0]["prefixes"].push_back("198.18.16.0/20");
  CHECK(load(doc, {}, policy::DropIns::strict).policy);
}
