// SPDX-License-Identifier: GPL-2.0-or-later
#include <doctest/doctest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "op25bc/history/fingerprint.h"
#include "op25bc/net/digest.h"
#include "op25bc/nft/state.h"

using namespace op25bc;

namespace {

struct TempDir {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("op25bc-state-" + std::to_string(::getpid()));
  TempDir() { std::filesystem::create_directories(path); }
  ~TempDir() { std::filesystem::remove_all(path); }
};

nft::StateRecord sample() {
  nft::StateRecord r;
  r.generation = 42;
  r.boot_id = "5e1f0c2a-3b7d-4e8a-9c61-0d2f4b6a8e10";
  r.netns_cookie = 4097;
  r.table = "op25b";
  r.policy_fingerprint = "0123456789abcdef";
  r.applied_at = "2006-10-01T00:00:00+09:00";
  r.sets.push_back({"phase_all_src4", net::Family::v4, 7,
                    net::digest({{0xC6120000, 0xC6120FFF}, {0xC6130000, 0xffffffff}})});
  r.sets.push_back({"phase_all_src6", net::Family::v6, 9,
                    net::digest({{net::Word{1} << 100, net::max_word(net::Family::v6)}})});
  r.sets.push_back({"exempt4", net::Family::v4, 11, net::digest({})});
  r.sets.push_back({"dispatch4", net::Family::v4, 1ull << 40, {~0ull, ~0ull - 1, 3}});
  return r;
}

void check_equal(const nft::StateRecord& a, const nft::StateRecord& b) {
  CHECK(a.generation == b.generation);
  CHECK(a.boot_id == b.boot_id);
  CHECK(a.netns_cookie == b.netns_cookie);
  CHECK(a.table == b.table);
  CHECK(a.policy_fingerprint == b.policy_fingerprint);
  CHECK(a.applied_at == b.applied_at);
  CHECK(a.version == b.version);
  REQUIRE(a.sets.size() == b.sets.size());
  for (std::size_t i = 0; i < a.sets.size(); ++i) {
    CHECK(a.sets[i].name == b.sets[i].name);
    CHECK(a.sets[i].family == b.sets[i].family);
    CHECK(a.sets[i].handle == b.sets[i].handle);
    CHECK(a.sets[i].digest == b.sets[i].digest);
  }
}

}  // namespace

TEST_CASE("the state record round-trips through its file, IPv4 and IPv6 alike") {
  TempDir dir;
  nft::FileStateStore store((dir.path / "op25b.state").string());
  CHECK_FALSE(store.load());
  CHECK_FALSE(store.unusable());  // no record is not a bad record
  store.save(sample());
  const auto loaded = store.load();
  REQUIRE(loaded);
  CHECK_FALSE(store.unusable());
  check_equal(*loaded, sample());
  // Only the file itself remains: no temporary left behind.
  CHECK(std::distance(std::filesystem::directory_iterator(dir.path),
                      std::filesystem::directory_iterator{}) == 1);
}

TEST_CASE("a torn or foreign state file is ignored, never trusted") {
  TempDir dir;
  const auto path = dir.path / "op25b.state";
  nft::FileStateStore store(path.string());
  store.save(sample());
  const auto size = std::filesystem::file_size(path);
  for (std::uintmax_t cut : {size - 1, size / 2, std::uintmax_t{9}, std::uintmax_t{0}}) {
    CAPTURE(cut);
    store.save(sample());
    std::filesystem::resize_file(path, cut);
    CHECK_FALSE(store.load());
    CHECK(store.unusable());  // worth a note to the operator
  }
  std::ofstream(path) << "{\"not\": \"a record\"}";
  CHECK_FALSE(store.load());
  CHECK(store.unusable());
}

TEST_CASE("the record codec accepts exactly the bytes it makes") {
  const std::string bytes = nft::encode_record(sample());
  const auto decoded = nft::decode_record(bytes);
  REQUIRE(decoded);
  CHECK(*decoded == sample());
  CHECK(nft::encode_record(*decoded) == bytes);
  // A bad family or pending flag behind an intact checksum is refused, not
  // read as something else.
  nft::StateRecord odd = sample();
  std::string patched = nft::encode_record(odd);
  const auto family_at = patched.find("phase_all_src4") + std::string("phase_all_src4").size();
  patched[family_at] = 5;  // the family: 4 or 6
  const std::uint64_t sum = net::hash64(std::string_view(patched).substr(0, patched.size() - 8));
  std::memcpy(patched.data() + patched.size() - 8, &sum, 8);
  CHECK_FALSE(nft::decode_record(patched));
}

TEST_CASE("set digests tell contents apart: count, values and family width") {
  const net::Intervals a{{0xC6120000, 0xC6120FFF}};
  CHECK(net::digest(a) == net::digest(net::Intervals{{0xC6120000, 0xC6120FFF}}));
  CHECK(net::digest(a).count == 1);
  CHECK(net::digest(a) != net::digest(net::Intervals{{0xC6120000, 0xC6120FFE}}));
  CHECK(net::digest(a) !=
        net::digest(net::Intervals{{0xC6120000, 0xC6120FFF}, {0xC6130000, 0xC6130000}}));
  CHECK(net::digest(a) != net::digest(net::Intervals{{net::Word{0xC6120000} << 96, 0xC6120FFF}}));
  CHECK(net::digest({}).count == 0);
}

TEST_CASE("fingerprints are stable and sensitive to every byte") {
  CHECK(history::fingerprint("") == "2d06800538d394c2");  // XXH3-64 of nothing, seed 0
  CHECK(history::fingerprint("{\"version\": 1}") == history::fingerprint("{\"version\": 1}"));
  CHECK(history::fingerprint("{\"version\": 1}") != history::fingerprint("{\"version\":  1}"));
}
