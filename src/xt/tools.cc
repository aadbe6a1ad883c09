// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/xt/tools.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace op25bc::xt {

namespace {

using xt::ToolResult;

constexpr const char* kTools[] = {"iptables-legacy-save", "iptables-legacy-restore",
                                  "ip6tables-legacy-save", "ip6tables-legacy-restore", "ipset"};
constexpr int kCannotRun = 127;  // as the shell says it

// The tool's path in $PATH, or in the system folders when there is no PATH
// (a DHCP server's hook runs op25bc with an environment of its own); "" when
// it is in neither. The child is given this path: execvp's own default
// search has no sbin folder.
std::string find_tool(const std::string& tool) {
  const char* path = std::getenv("PATH");
  std::string_view rest = path != nullptr ? path : "/usr/sbin:/usr/bin:/sbin:/bin";
  while (true) {
    const auto colon = rest.find(':');
    const std::string folder{rest.substr(0, colon)};
    if (!folder.empty() && ::access((folder + "/" + tool).c_str(), X_OK) == 0)
      return folder + "/" + tool;
    if (colon == std::string_view::npos) return {};
    rest.remove_prefix(colon + 1);
  }
}

void set_nonblocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
}

// Feeds `input` and drains both outputs at once: a tool that writes much while
// it reads (or the reverse) never deadlocks on a full pipe.
void exchange(int in, int out, int err, const std::string& input, ToolResult& r) {
  std::size_t written = 0;
  if (input.empty()) {
    ::close(in);
    in = -1;
  }
  char buf[65536];
  while (out >= 0 || err >= 0) {
    pollfd fds[3];
    nfds_t n = 0;
    if (in >= 0) fds[n++] = {in, POLLOUT, 0};
    if (out >= 0) fds[n++] = {out, POLLIN, 0};
    if (err >= 0) fds[n++] = {err, POLLIN, 0};
    if (::poll(fds, n, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == in) {
        const ssize_t w = ::write(in, input.data() + written, input.size() - written);
        if (w > 0) written += static_cast<std::size_t>(w);
        if (w < 0 && errno != EAGAIN && errno != EINTR) written = input.size();  // EPIPE
        if (written == input.size()) {
          ::close(in);
          in = -1;
        }
        continue;
      }
      const ssize_t got = ::read(fds[i].fd, buf, sizeof buf);
      if (got > 0) {
        (fds[i].fd == out ? r.output : r.error).append(buf, static_cast<std::size_t>(got));
      } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
        ::close(fds[i].fd);
        (fds[i].fd == out ? out : err) = -1;
      }
    }
  }
  if (in >= 0) ::close(in);
}

// The first line of a tool's complaint, with op25bc's hint when it is a known one.
void explain_failure(const std::string& tool, ToolResult& r) {
  const auto has = [&](const char* text) { return r.error.find(text) != std::string::npos; };
  if (has("Permission denied") || has("Operation not permitted"))
    r.error +=
        "\n  hint: the iptables backend needs CAP_NET_ADMIN and CAP_NET_RAW (iptables-legacy "
        "opens a raw socket): run it as root, or give the service both capabilities";
  else if (has("Cannot open session to kernel") || has("Kernel error received: ipset protocol"))
    r.error += "\n  hint: the ip_set kernel module is missing (modprobe ip_set_hash_net)";
  else if (has("Couldn't load match `set'") || has("Couldn't load match `time'"))
    r.error += "\n  hint: a netfilter match module is missing (modprobe xt_set xt_time)";
  else if (has("Table does not exist"))
    r.error +=
        "\n  hint: the legacy filter table is missing (modprobe iptable_filter "
        "ip6table_filter)";
  r.error = tool + ": " + r.error;
}

std::string restore_tool(net::Family f) {
  return f == net::Family::v4 ? "iptables-legacy-restore" : "ip6tables-legacy-restore";
}

}  // namespace

ToolResult run_tool(const std::vector<std::string>& argv, const std::string& input) {
  ToolResult r;
  const std::string tool = find_tool(argv.front());
  if (tool.empty()) {
    r.error = argv.front() + ": not found; install the iptables and ipset packages";
    return r;
  }
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
    r.error = std::string{"pipe: "} + std::strerror(errno);
    return r;
  }
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  // The child only rearranges descriptors and execs (async-signal-safe calls),
  // so this is safe with threads (ipset_restore_all runs tools side by side).
  const pid_t pid = ::fork();
  if (pid < 0) {
    r.error = std::string{"fork: "} + std::strerror(errno);
    return r;
  }
  if (pid == 0) {
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    struct sigaction normal {};
    normal.sa_handler = SIG_DFL;
    ::sigaction(SIGPIPE, &normal, nullptr);
    ::execv(tool.c_str(), args.data());
    ::_exit(kCannotRun);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  set_nonblocking(in[1]);
  set_nonblocking(out[0]);
  set_nonblocking(err[0]);
  // A tool that exits before reading all its input must not kill op25bc.
  struct sigaction ignore {
  }, previous{};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &previous);
  exchange(in[1], out[0], err[0], input, r);
  ::sigaction(SIGPIPE, &previous, nullptr);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  r.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (r.status != 0) explain_failure(argv.front(), r);
  return r;
}

ToolsKernel::ToolsKernel() {
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  ::sigaction(SIGPIPE, &ignore, &previous_);
}

ToolsKernel::~ToolsKernel() {
  ::sigaction(SIGPIPE, &previous_, nullptr);
}

std::vector<ToolResult> ToolsKernel::ipset_restore_all(const std::vector<std::string>& scripts) {
  std::vector<ToolResult> out(scripts.size());
  std::vector<std::thread> workers;
  for (std::size_t i = 1; i < scripts.size(); ++i)
    workers.emplace_back([&, i] { out[i] = run_tool({"ipset", "-exist", "restore"}, scripts[i]); });
  if (!scripts.empty()) out[0] = run_tool({"ipset", "-exist", "restore"}, scripts[0]);
  for (auto& w : workers) w.join();
  return out;
}

ToolResult ToolsKernel::save(net::Family family) {
  return run_tool({family == net::Family::v4 ? "iptables-legacy-save" : "ip6tables-legacy-save",
                   "-c", "-t", "filter"},
                  {});
}

ToolResult ToolsKernel::list_sets() {
  return run_tool({"ipset", "list", "-t"}, {});
}

ToolResult ToolsKernel::save_set(const std::string& name) {
  return run_tool({"ipset", "save", name}, {});
}

ToolResult ToolsKernel::ipset_restore(const std::string& script) {
  return run_tool({"ipset", "-exist", "restore"}, script);
}

ToolResult ToolsKernel::restore(net::Family family, const std::string& input, bool test) {
  std::vector<std::string> argv{restore_tool(family), "-w", "--noflush"};
  if (test) argv.push_back("--test");
  return run_tool(argv, input);
}

std::string missing_capabilities() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[2]{};
  const bool read = ::syscall(SYS_capget, &header, data) == 0;
  const auto has = [&](unsigned cap) {
    return read && (data[cap / 32].effective & (1u << (cap % 32))) != 0;
  };
  std::string missing;
  for (const auto& [cap, name] :
       {std::pair{CAP_NET_ADMIN, "CAP_NET_ADMIN"}, std::pair{CAP_NET_RAW, "CAP_NET_RAW"}})
    if (!has(cap)) missing += (missing.empty() ? "" : " and ") + std::string(name);
  return missing;
}

std::string missing_tools() {
  std::string missing;
  for (const char* tool : kTools)
    if (find_tool(tool).empty()) missing += (missing.empty() ? "" : ", ") + std::string{tool};
  return missing;
}

bool iptables_nft_holds_rules() {
  char target[4096];
  const ssize_t n = ::readlink("/etc/alternatives/iptables", target, sizeof target - 1);
  if (n <= 0 ||
      std::string_view(target, static_cast<std::size_t>(n)).find("nft") == std::string_view::npos)
    return false;
  // A default Debian host has iptables-nft and no rule in it: nothing is hidden then.
  for (const char* tool : {"iptables-nft-save", "ip6tables-nft-save"}) {
    if (find_tool(tool).empty()) continue;
    const ToolResult saved = run_tool({tool}, {});
    std::string_view out = saved.output;
    while (!out.empty()) {
      const std::size_t end = std::min(out.find('\n'), out.size());
      if (out.substr(0, end).starts_with("-A ")) return true;
      out.remove_prefix(std::min(end + 1, out.size()));
    }
  }
  return false;
}

io::ThrowawayResult load_in_throwaway_netns(const xt::Ruleset& ruleset) {
  return io::in_throwaway_netns([&] {
    ToolsKernel kernel;
    auto r = kernel.ipset_restore(xt::render_ipset(ruleset));
    for (net::Family f : {net::Family::v4, net::Family::v6})
      if (r.ok()) r = kernel.restore(f, xt::render_restore(ruleset, f), false);
    return r.ok() ? std::string{} : r.error;
  });
}

}  // namespace op25bc::xt
