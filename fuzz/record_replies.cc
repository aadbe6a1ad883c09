// SPDX-License-Identifier: GPL-2.0-or-later
// Records what the kernel answers to the calls the netlink_reply harness
// makes, in that harness's input format, as its seed. Run it as root in a
// fresh network namespace (fuzz/run.sh does): it first commits POLICY's
// ruleset at AT there, then records.
//   record_replies POLICY AT OUTPUT
#include <fstream>
#include <iostream>
#include <vector>

#include "op25bc/compile/compile.h"
#include "op25bc/io/file_bytes.h"
#include "op25bc/nft/differ.h"
#include "op25bc/nft/netlink_kernel.h"
#include "op25bc/policy/load.h"

using namespace op25bc;

namespace {

class RecordingTransport final : public nft::Transport {
 public:
  RecordingTransport(std::unique_ptr<nft::Transport> real, std::vector<char>& out)
      : real_(std::move(real)), out_(out) {}
  nft::IoResult send(std::span<const char> d) override { return real_->send(d); }
  nft::IoResult receive(std::span<char> buffer) override {
    const auto r = real_->receive(buffer);
    if (r.error == 0 && r.bytes < 65536) {
      out_.push_back(static_cast<char>(r.bytes & 0xff));
      out_.push_back(static_cast<char>(r.bytes >> 8));
      out_.insert(out_.end(), buffer.begin(), buffer.begin() + static_cast<long>(r.bytes));
    }
    return r;
  }
  nft::IoResult wait(std::chrono::milliseconds t) override { return real_->wait(t); }
  std::uint32_t port_id() const override { return real_->port_id(); }
  std::uint64_t netns_cookie() const override { return real_->netns_cookie(); }
  void reserve(std::size_t s, std::size_t r) override { real_->reserve(s, r); }

 private:
  std::unique_ptr<nft::Transport> real_;
  std::vector<char>& out_;
};

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: record_replies POLICY AT OUTPUT\n";
    return 2;
  }
  Diagnostics diags;
  const auto bytes = policy::read_file(argv[1], diags);
  const auto p = bytes ? policy::load_text(bytes->view(), diags) : std::nullopt;
  if (!p) {
    std::cerr << argv[1] << ": not a valid policy\n";
    return 1;
  }
  const auto at = parse_time(argv[2], p->zone);
  if (!at.instant) {
    std::cerr << argv[2] << ": " << at.error << "\n";
    return 1;
  }
  const ir::Ruleset desired = compile(*p, *at.instant);
  {
    nft::NetlinkKernel plain;
    const auto applied = plain.commit(nft::create(desired), plain.generation(), false);
    if (!applied.ok) {
      std::cerr << "commit: " << applied.error << "\n";
      return 1;
    }
  }
  std::vector<char> out;
  nft::NetlinkKernel k(std::make_unique<RecordingTransport>(nft::open_netfilter_socket(), out));
  const auto generation = k.generation();
  k.tables();
  const auto table = k.read(desired.table, nft::ElementRead::all());
  k.counters(desired.table);
  ir::Ruleset again = desired;  // committed in check mode: validated, then aborted
  again.table += "_check";
  k.commit(nft::create(again), generation, true);
  try {  // the harness's last call; a policy without the set has the kernel say so
    k.recorded(desired.table, "phase_all_seen4");
  } catch (const nft::KernelError&) {
  }
  std::ofstream(argv[3], std::ios::binary).write(out.data(), static_cast<long>(out.size()));
  return table ? 0 : 1;
}
