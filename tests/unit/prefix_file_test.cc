// SPDX-License-Identifier: GPL-2.0-or-later
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "op25bc/compile/compile.h"
#include "op25bc/history/fingerprint.h"
#include "op25bc/nft/render_text.h"
#include "op25bc/nft/state.h"
#include "op25bc/policy/load.h"
#include "op25bc/policy/prefix_file.h"
#include "support/policies.h"

using namespace op25bc;
using nlohmann::json;

namespace {

struct Loaded {
  std::optional<policy::Policy> policy;
  Diagnostics diags;
};

// minimal_policy with Tokyo's prefixes (or some of them) in a file.
Loaded load_with(const json& doc, std::map<std::string, std::string> files) {
  Loaded out;
  policy::StoredPrefixFiles source(std::move(files), "kept");
  out.policy = policy::load_text(doc.dump(), out.diags, &source);
  return out;
}

json tokyo_from(const std::string& path, bool keep_inline = false) {
  json doc = test::minimal_policy();
  doc["pools"][0]["prefixes_file"] = path;
  if (!keep_inline) doc["pools"][0].erase("prefixes");
  return doc;
}

std::string formatted(const Diagnostics& diags) {
  std::string out;
  for (const auto& d : diags.entries()) out += format_diagnostic(d, "policy.json");
  return out;
}

// Without Tokyo's prefixes its exemption would be an error too: left out here.
json without_exemptions(json doc) {
  doc.erase("exemptions");
  return doc;
}

}  // namespace

TEST_CASE("a prefix file: one prefix per line, comments, blanks and spaces") {
  const auto c = policy::parse_prefix_file(
      "# Tokyo, from NetBox\n198.18.0.0/21\n\n  2001:db8:1000::/48  # v6 \r\n\t198.18.8.0/24");
  CHECK(c.bad.empty());
  REQUIRE(c.prefixes.size() == 3);
  CHECK(net::to_string(c.prefixes[1]) == "2001:db8:1000::/48");
  CHECK(c.lines == std::vector<std::uint32_t>{2, 4, 5});
  CHECK(policy::parse_prefix_file("").prefixes.empty());
}

TEST_CASE("a prefix file's bad lines are errors at file:line, with the pool's pointer") {
  const Loaded l = load_with(tokyo_from("pools/tokyo.txt"),
                             {{"pools/tokyo.txt",
                               "198.18.0.0/20\n198.18.16.1/20\n198.18.32.0/20 tokyo-east\n"
                               "# caf\xc3\xa9\n# \xff\n"}});
  CHECK_FALSE(l.policy);
  CHECK(formatted(l.diags) ==
        "kept#pools/tokyo.txt:2: error: prefix \"198.18.16.1/20\" has host bits set\n"
        "policy.json: /pools/0/prefixes_file: note: in the prefixes_file of pool \"tokyo\"\n"
        "  hint: the network address is 198.18.16.0/20\n"
        "kept#pools/tokyo.txt:3: error: expected one prefix, found \"198.18.32.0/20 tokyo-east\"\n"
        "policy.json: /pools/0/prefixes_file: note: in the prefixes_file of pool \"tokyo\"\n"
        "  hint: write one prefix per line; '#' starts a comment\n"
        "kept#pools/tokyo.txt:5: error: byte 3 of the line is not UTF-8\n"
        "policy.json: /pools/0/prefixes_file: note: in the prefixes_file of pool \"tokyo\"\n"
        "  hint: a prefix file is UTF-8 (or ASCII) text\n");
}

TEST_CASE("a missing, absolute or empty prefix file is an error, never an empty pool") {
  Loaded missing = load_with(without_exemptions(tokyo_from("pools/nowhere.txt")), {});
  CHECK(formatted(missing.diags) ==
        "policy.json: /pools/0/prefixes_file: error: cannot read prefixes_file "
        "\"kept#pools/nowhere.txt\": the history kept no copy of it\n"
        "  hint: the path is relative to the policy file's folder\n");
  Loaded absolute = load_with(without_exemptions(tokyo_from("/etc/passwd")), {});
  CHECK(test::describe(absolute.diags) ==
        "/pools/0/prefixes_file: error: prefixes_file \"/etc/passwd\" is an absolute path\n");
  Loaded empty =
      load_with(without_exemptions(tokyo_from("t.txt")), {{"t.txt", "# nothing yet\n\n"}});
  CHECK(test::describe(empty.diags) ==
        "/pools/0/prefixes_file: error: prefixes_file \"kept#t.txt\" holds no prefixes\n");
  json neither = without_exemptions(test::minimal_policy());
  neither["pools"][0].erase("prefixes");
  Diagnostics diags;
  CHECK_FALSE(policy::load_text(neither.dump(), diags));
  CHECK(test::describe(diags) ==
        "/pools/0: error: pool has neither \"prefixes\" nor \"prefixes_file\"\n");
  // Text given without its folder cannot name files.
  Diagnostics no_source;
  CHECK_FALSE(policy::load_text(without_exemptions(tokyo_from("t.txt")).dump(), no_source));
  CHECK(test::describe(no_source) ==
        "/pools/0/prefixes_file: error: prefix files cannot be read here\n");
}

TEST_CASE("a prefix file's prefixes follow the inline ones and mean the same") {
  // Inline and from a file: the same ruleset as all inline.
  const Loaded split = load_with(tokyo_from("v6.txt", true), {{"v6.txt", "2001:db8:2000::/40\n"}});
  REQUIRE_MESSAGE(split.policy, test::describe(split.diags));
  json inline_doc = test::minimal_policy();
  inline_doc["pools"][0]["prefixes"].push_back("2001:db8:2000::/40");
  Diagnostics diags;
  const auto whole = test::load_json(inline_doc, diags);
  REQUIRE(whole);
  const Instant t = test::at(*whole, "2006-10-01");
  CHECK(nft::render(*split.policy, compile(*split.policy, t), t, nft::Format::script) ==
        nft::render(*whole, compile(*whole, t), t, nft::Format::script));
  const auto& pool = split.policy->pools[0];
  REQUIRE(pool.file);
  CHECK(pool.file->first == 2);
  CHECK(pool.prefixes.items.size() == 3);
}

TEST_CASE("check's diagnostics about a file's prefix point at its line") {
  const Loaded l = load_with(tokyo_from("t.txt"), {{"t.txt", "198.18.0.0/20\n\n198.18.16.0/24\n"}});
  CHECK(formatted(l.diags) ==
        "policy.json: /pools/1/prefixes/0: error: 198.18.16.0/20 of pool \"osaka\" overlaps "
        "198.18.16.0/24 of pool \"tokyo\"\n"
        "kept#t.txt:3: note: the prefix it overlaps\n"
        "  hint: an address must belong to one pool and one service\n");
}

TEST_CASE("the fingerprint covers the prefix files' contents and names") {
  const std::string policy = "{}";
  const auto a = history::fingerprint(policy, {{"t.txt", "198.18.0.0/20\n"}});
  CHECK(history::fingerprint(policy, {}) == history::fingerprint(policy));
  CHECK(a != history::fingerprint(policy));
  CHECK(a != history::fingerprint(policy, {{"t.txt", "198.18.0.0/21\n"}}));
  CHECK(a != history::fingerprint(policy, {{"u.txt", "198.18.0.0/20\n"}}));
  CHECK(a == history::fingerprint(policy, {{"t.txt", "198.18.0.0/20\n"}}));
}

namespace {

// A policy folder on disk: policy/ beside a secret that must stay unread.
struct Folder {
  std::filesystem::path root;
  Folder() {
    char name[] = "/tmp/op25bc-prefix-XXXXXX";
    root = ::mkdtemp(name);
    std::filesystem::create_directories(root / "policy" / "lists");
    write("secret", "root:$y$j9T$secret-hash:19000:0:99999:7:::\n");
    write("policy/lists/tokyo.txt", "198.18.0.0/20\n");
  }
  ~Folder() { std::filesystem::remove_all(root); }
  void write(const std::string& name, const std::string& text) const {
    std::ofstream(root / name) << text;
  }
  Loaded load(const std::string& path) const {
    Loaded out;
    policy::FolderPrefixFiles source((root / "policy" / "policy.json").string());
    out.policy = policy::load_text(without_exemptions(tokyo_from(path)).dump(), out.diags, &source);
    return out;
  }
};

bool names_the_secret(const Diagnostics& d) {
  return test::describe(d).find("secret-hash") != std::string::npos;
}

}  // namespace

TEST_CASE("a prefix file is a regular file inside the policy's folder, never outside it") {
  Folder f;
  CHECK(f.load("lists/tokyo.txt").policy);
  std::filesystem::create_symlink("tokyo.txt", f.root / "policy/lists/inside.txt");
  CHECK_MESSAGE(f.load("lists/inside.txt").policy, "a link that stays inside is followed");

  std::filesystem::create_symlink(f.root / "secret", f.root / "policy/out-absolute.txt");
  std::filesystem::create_symlink("../secret", f.root / "policy/out-relative.txt");
  for (const std::string path :
       {"../secret", "lists/../../secret", "out-absolute.txt", "out-relative.txt"}) {
    CAPTURE(path);
    const Loaded l = f.load(path);
    CHECK_FALSE(l.policy);
    CHECK(test::describe(l.diags).find("it lies outside the policy's folder") != std::string::npos);
    CHECK_FALSE(names_the_secret(l.diags));
  }

  REQUIRE(::mkfifo((f.root / "policy/fifo").c_str(), 0600) == 0);
  for (const std::string path : {"fifo", "lists", "/dev/zero"}) {
    CAPTURE(path);
    const Loaded l = f.load(path);
    CHECK_FALSE(l.policy);
  }
  CHECK(test::describe(f.load("fifo").diags).find("it is not a regular file") != std::string::npos);
}

TEST_CASE("a file that is not a prefix list is never quoted; a bad line only in part") {
  Folder f;
  // A copy of a password file inside the folder: no line's text in any diagnostic.
  f.write("policy/shadow.txt",
          "root:$y$j9T$secret-hash:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\n");
  const Loaded l = f.load("shadow.txt");
  CHECK_FALSE(l.policy);
  CHECK_FALSE(names_the_secret(l.diags));
  CHECK(test::describe(l.diags).find("daemon") == std::string::npos);
  CHECK(test::describe(l.diags).find("2 lines are not prefixes (lines 1, 2)") != std::string::npos);

  // A prefix list with one long bad line: an escaped excerpt, not the line.
  f.write("policy/typo.txt", "198.18.0.0/20\n198.18.16.0/20 tokyo-east and its secret-hash tail\n");
  const Loaded typo = f.load("typo.txt");
  const std::string text = test::describe(typo.diags);
  CAPTURE(text);
  CHECK(text.find("expected one prefix, found \"198.18.16.0/20 tokyo-eas\"... (50 bytes)") !=
        std::string::npos);
  CHECK_FALSE(names_the_secret(typo.diags));
}

TEST_CASE("drop-ins read ahead on threads give what reading them one by one gives") {
  Folder f;
  std::filesystem::create_directories(f.root / "policy/exemptions.d");
  std::vector<std::string> names;
  for (int i = 0; i < 600; ++i) {  // enough for more than one reading thread
    const std::string name = "cust-" + std::to_string(1000 + i) + ".json";
    f.write("policy/exemptions.d/" + name, std::string(static_cast<std::size_t>(i), 'x'));
    names.push_back(name);
  }
  std::filesystem::create_symlink("../../secret", f.root / "policy/exemptions.d/escape.json");
  std::filesystem::create_directories(f.root / "policy/exemptions.d/folder.json");
  names.insert(names.end(), {"escape.json", "folder.json", "gone.json"});
  std::vector<std::string> paths;
  for (const auto& name : names) paths.push_back("exemptions.d/" + name);
  const std::string policy_path = (f.root / "policy" / "policy.json").string();

  struct Read {
    std::vector<std::optional<std::string>> bytes;
    std::vector<std::string> errors;
    std::vector<std::string> order;
  };
  const auto read_all = [&](bool ahead) {
    policy::FolderPrefixFiles files(policy_path);
    if (ahead) files.prefetch(paths);
    Read out;
    for (const auto& path : paths) {
      std::string error;
      const auto bytes = files.read(path, error);
      out.bytes.push_back(bytes ? std::optional<std::string>(*bytes) : std::nullopt);
      out.errors.push_back(error);
    }
    std::string error;
    CHECK(files.read(paths.front(), error) == std::string_view{});  // read twice: kept
    for (const auto& [path, bytes] : files.files_read()) out.order.push_back(path);
    return out;
  };
  const Read one_by_one = read_all(false);
  const Read ahead = read_all(true);
  CHECK(ahead.bytes == one_by_one.bytes);
  CHECK(ahead.errors == one_by_one.errors);
  CHECK(ahead.order == one_by_one.order);
  CHECK(one_by_one.order.size() == 600);
  CHECK(one_by_one.bytes[599] == std::string(599, 'x'));
  CHECK(one_by_one.errors[600] == "it lies outside the policy's folder");
  CHECK(one_by_one.errors[601] == "it is not a regular file");
  CHECK(one_by_one.errors[602] == "No such file or directory");

  // A read-ahead the parse never finishes (an invalid policy): nothing waits
  // on it, and its threads end with the object.
  {
    policy::FolderPrefixFiles files(policy_path);
    files.prefetch(paths);
  }
}
