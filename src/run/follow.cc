// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/run/follow.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <utility>

#include "input_file.h"
#include "op25bc/history/lock.h"
#include "op25bc/io/atomic_file.h"
#include "op25bc/io/file_bytes.h"
#include "op25bc/policy/load.h"
#include "op25bc/run/source.h"
#include "op25bc/session/table.h"
#include "op25bc/text/escape.h"

namespace op25bc::run {

namespace {

namespace radius = session::radius;

// Bytes read from the detail file at once, at most: a batch of 10,000
// records is about 3 MB.
constexpr std::size_t kReadChunk = 16u << 20;
constexpr std::size_t kMaxPositionBytes = 64u << 20;
// A detail file sync reads whole: a day of a large BNG's accounting is well
// below this.
constexpr std::uint64_t kMaxSyncBytes = std::uint64_t{4} << 30;

std::string shown(const std::string& path) {
  return text::printable(path);
}

// The detail file `name` in `dir`, opened for reading (never through a
// link); EINVAL when it is not a regular file.
Fd open_in(int dir, const std::string& name, int& error, struct stat& st) {
  Fd fd{::openat(dir, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)};
  if (!fd) {
    error = errno;
    return fd;
  }
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) {
    error = EINVAL;
    return Fd{};
  }
  error = 0;
  return fd;
}

// The entry of `dir` whose name starts with `stem` ("detail", "detail.1",
// "detail-20261207") and which is the file (device, inode) the position
// names: where a rotation moved it.
Fd find_moved(int dir, const std::string& stem, std::uint64_t device, std::uint64_t inode) {
  const int copy = ::openat(dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (copy < 0) return Fd{};
  DIR* listing = ::fdopendir(copy);
  if (listing == nullptr) {
    ::close(copy);
    return Fd{};
  }
  Fd found;
  while (const dirent* entry = ::readdir(listing)) {
    const std::string name = entry->d_name;
    if (!name.starts_with(stem)) continue;
    struct stat st {};
    if (::fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode) ||
        st.st_dev != device || st.st_ino != inode)
      continue;
    int error = 0;
    found = open_in(dir, name, error, st);
    if (found && st.st_dev == device && st.st_ino == inode) break;
    found.reset();
  }
  ::closedir(listing);
  return found;
}

const char* const kDetailHint =
    "the detail file and its folder are FreeRADIUS's (freerad, mode 0600 and 0700) or root's; "
    "--writer names FreeRADIUS's user";

}  // namespace

std::string default_position_path(const std::string& state) {
  return state + ".radius-position";
}

std::vector<Event> events_of(const std::vector<radius::Record>& records,
                             std::map<std::string, std::string, std::less<>>& nas_of,
                             std::vector<std::string>& problems, std::optional<Instant>& newest) {
  std::vector<Event> events;
  for (const radius::Record& r : records) {
    if (r.written) newest = Instant{std::chrono::seconds{*r.written}};
    if (r.status == radius::Status::other) continue;
    if (r.status == radius::Status::nas_off) {
      for (auto it = nas_of.begin(); it != nas_of.end();)
        if (it->second == r.nas) {
          events.push_back({false, it->first, {}, false});
          it = nas_of.erase(it);
        } else {
          ++it;
        }
      continue;
    }
    if (const std::string why = policy::subscriber_problem(r.subscriber); !why.empty()) {
      problems.push_back("the record ending at byte " + std::to_string(r.end) +
                         " is skipped: its subscriber " + text::printable(why));
      continue;
    }
    if (r.status == radius::Status::stop) {
      events.push_back({false, r.subscriber, {}, false});
      nas_of.erase(r.subscriber);
    } else if (!r.addresses.empty()) {
      events.push_back({true, r.subscriber, r.addresses, false});
      if (!r.nas.empty()) nas_of[r.subscriber] = r.nas;
    }
  }
  return events;
}

Result<SyncReport> radius_sync(const Target& target, const backend::Registry& backends,
                               const std::vector<std::string>& files, const std::string& attribute,
                               uid_t writer, const Clock& clock) {
  SyncReport out;
  std::vector<Event> events;
  std::map<std::string, std::string, std::less<>> nas_of;
  std::optional<Instant> newest;
  for (const std::string& path : files) {
    // Opened once, by descriptor: a regular file root or the writer owns,
    // in a folder no one else may write.
    const auto read = read_input(path, writer, kMaxSyncBytes, kDetailHint);
    if (!read) {
      Failure failed = read.failure();
      if (failed.message.find("larger than") != std::string::npos)
        failed.hint =
            "give the files since the sessions now live began (the rotated ones of the "
            "last day or so), not the whole archive";
      return failed;
    }
    const std::string& bytes = *read;
    const radius::Parsed parsed = radius::parse(bytes, 0, attribute, bytes.size());
    out.records += parsed.records.size() + parsed.problems.size();
    for (const auto& p : parsed.problems)
      out.problems.push_back(shown(path) + ": the record at byte " + std::to_string(p.at) +
                             " is skipped: " + text::printable(p.what));
    if (parsed.consumed < bytes.size())
      out.problems.push_back(shown(path) + ": " + std::to_string(bytes.size() - parsed.consumed) +
                             " bytes at its end are no whole record (still being written?)");
    std::vector<std::string> problems;
    auto more = events_of(parsed.records, nas_of, problems, newest);
    for (auto& p : problems) out.problems.push_back(shown(path) + ": " + p);
    std::move(more.begin(), more.end(), std::back_inserter(events));
  }
  out.events = events.size();
  auto report = session_batch(target, backends, events, clock, true);
  if (!report) return report.failure();
  for (const auto& why : report->refused)
    if (!why.empty()) out.problems.push_back(why);
  out.report = std::move(*report);
  return out;
}

std::optional<FollowerView> follower_view(const std::string& position) {
  int error = 0;
  const auto bytes = io::read_regular(position, error, kMaxPositionBytes);
  if (!bytes) return std::nullopt;
  std::string why;
  auto p = radius::decode_position(*bytes, why);
  if (!p) return std::nullopt;
  FollowerView view{std::move(*p), 0};
  struct stat st {};
  if (::stat(view.position.detail.c_str(), &st) == 0) {
    const auto size = static_cast<std::uint64_t>(st.st_size);
    const bool same = st.st_dev == view.position.device && st.st_ino == view.position.inode;
    // A file it has not begun (rotated meanwhile) is all behind.
    view.behind = !same ? size : size > view.position.offset ? size - view.position.offset : 0;
  }
  return view;
}

struct Follower::State {
  Target target;
  const backend::Registry* backends = nullptr;
  FollowOptions options;
  std::unique_ptr<history::LockFile> lock;
  Fd dir, file, notify;
  std::string name;  // the detail file's name in its folder
  radius::Position position;

  Result<Done> keep_position() {
    return io::write_atomically(options.position, radius::encode(position), 0600);
  }

  Result<Done> trusted(const struct stat& st, const std::string& what) const {
    return run::trusted(st, options.writer, what, "nothing read", kDetailHint);
  }

  // The file the path names now, when it is not the one being read and the
  // writer has begun it (not empty): the old one is finished.
  using Successor = std::optional<std::pair<Fd, struct stat>>;
  Result<Successor> successor() const {
    struct stat st {};
    int error = 0;
    Fd fd = open_in(dir.get(), name, error, st);
    if (!fd) {
      if (error == ENOENT) return Successor{};
      return Failure{shown(options.detail) + ": " + io::error_text(error)};
    }
    if (file && st.st_dev == position.device && st.st_ino == position.inode) return Successor{};
    if (file && st.st_size == 0) return Successor{};  // made, but not written to yet
    if (auto ok = trusted(st, shown(options.detail)); !ok) return ok.failure();
    return Successor{std::pair{std::move(fd), st}};
  }
};

Follower::Follower(std::unique_ptr<State> state) : s_(std::move(state)) {}
Follower::Follower(Follower&&) noexcept = default;
Follower& Follower::operator=(Follower&&) noexcept = default;
Follower::~Follower() = default;

Result<Follower> Follower::open(const Target& target, const backend::Registry& backends,
                                FollowOptions options) {
  auto s = std::make_unique<State>();
  s->target = target;
  s->backends = &backends;
  if (options.position.empty()) options.position = default_position_path(target.state);
  s->options = options;
  s->position.detail = absolute_path(options.detail);
  auto lock = history::LockFile::take(options.position + ".lock", std::chrono::milliseconds{0});
  if (!lock)
    return Failure{
        "another follower keeps " + shown(options.position) + ": " + lock.failure().message,
        "one follower per detail file; --position names another place"};
  s->lock = std::move(*lock);

  const std::string folder = folder_of(options.detail);
  s->name = std::filesystem::path(options.detail).filename().string();
  if (s->name.empty() || s->name == "." || s->name == "..")
    return Failure{shown(options.detail) + " does not name a file"};
  s->dir = Fd{::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (!s->dir) return Failure{shown(folder) + ": " + errno_text(errno)};
  struct stat st {};
  if (::fstat(s->dir.get(), &st) != 0) return Failure{shown(folder) + ": " + errno_text(errno)};
  if (auto ok = s->trusted(st, shown(folder)); !ok) return ok.failure();

  int error = 0;
  auto bytes = io::read_regular(options.position, error, kMaxPositionBytes);
  if (bytes) {
    std::string why;
    auto p = radius::decode_position(*bytes, why);
    if (!p)
      return Failure{shown(options.position) + ": " + text::printable(why) + "; nothing read",
                     "move it aside to read the detail file from its beginning"};
    s->position = std::move(*p);
    s->position.detail = absolute_path(options.detail);
  } else if (error != ENOENT) {
    return Failure{shown(options.position) + ": " + io::error_text(error)};
  }

  Fd now = open_in(s->dir.get(), s->name, error, st);
  if (!now && error != ENOENT) return Failure{shown(options.detail) + ": " + io::error_text(error)};
  if (now)
    if (auto ok = s->trusted(st, shown(options.detail)); !ok) return ok.failure();
  const bool placed = s->position.inode != 0;
  if (!placed) {
    // The first start: the detail file from its beginning (it is a queue).
    if (now) {
      s->position.device = st.st_dev;
      s->position.inode = st.st_ino;
      s->file = std::move(now);
    }
  } else if (now && st.st_dev == s->position.device && st.st_ino == s->position.inode) {
    s->file = std::move(now);
  } else {
    s->file = find_moved(s->dir.get(), s->name, s->position.device, s->position.inode);
    if (!s->file)
      return Failure{"the detail file " + shown(options.detail) +
                         " the follower was reading (inode " + std::to_string(s->position.inode) +
                         ") is gone; its records after byte " + std::to_string(s->position.offset) +
                         " were never read",
                     "op25bc session sync rebuilds the sessions; then move " +
                         shown(options.position) + " aside to follow the new file"};
  }
  if (s->file) {
    if (::fstat(s->file.get(), &st) != 0)
      return Failure{shown(options.detail) + ": " + errno_text(errno)};
    if (auto ok = s->trusted(st, shown(options.detail)); !ok) return ok.failure();
    if (static_cast<std::uint64_t>(st.st_size) < s->position.offset)
      return Failure{shown(options.detail) + " is shorter (" + std::to_string(st.st_size) +
                         " bytes) than the position (" + std::to_string(s->position.offset) +
                         "): it was cut, and records may never have been read",
                     "rotate the detail file by renaming it, never copytruncate; op25bc session "
                     "sync rebuilds the sessions"};
  }

  s->notify = Fd{::inotify_init1(IN_NONBLOCK | IN_CLOEXEC)};
  if (!s->notify) return Failure{"inotify: " + errno_text(errno)};
  const std::string watched = "/proc/self/fd/" + std::to_string(s->dir.get());
  if (::inotify_add_watch(s->notify.get(), watched.c_str(),
                          IN_MODIFY | IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM) < 0)
    return Failure{"inotify on " + shown(folder) + ": " + errno_text(errno)};
  return Follower{std::move(s)};
}

void Follower::wait(std::chrono::milliseconds timeout) const {
  pollfd p{s_->notify.get(), POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) > 0) {
    char drain[4096];
    while (::read(s_->notify.get(), drain, sizeof drain) > 0) {
    }
  }
}

Result<std::optional<FollowBatch>> Follower::next(
    const Clock& clock, const std::function<void(const FollowBatch&)>& applied) {
  State& s = *s_;
  FollowBatch batch;
  std::string chunk;
  radius::Parsed parsed;
  for (;;) {
    if (!s.file) {
      auto first = s.successor();
      if (!first) return first.failure();
      if (!*first) return std::optional<FollowBatch>{};  // FreeRADIUS has not written yet
      s.file = std::move((*first)->first);
      s.position.device = (*first)->second.st_dev;
      s.position.inode = (*first)->second.st_ino;
      s.position.offset = 0;
    }
    struct stat st {};
    if (::fstat(s.file.get(), &st) != 0)
      return Failure{shown(s.options.detail) + ": " + errno_text(errno)};
    const auto size = static_cast<std::uint64_t>(st.st_size);
    if (size < s.position.offset)
      return Failure{shown(s.options.detail) + " was cut to " + std::to_string(size) +
                         " bytes under the follower, at byte " + std::to_string(s.position.offset) +
                         "; records may never have been read",
                     "rotate the detail file by renaming it, never copytruncate; op25bc session "
                     "sync rebuilds the sessions"};
    auto read = read_at(
        s.file.get(), s.position.offset,
        static_cast<std::size_t>(std::min<std::uint64_t>(size - s.position.offset, kReadChunk)));
    if (!read) return Failure{shown(s.options.detail) + ": " + errno_text(errno)};
    chunk = std::move(*read);
    const std::size_t got = chunk.size();
    parsed = radius::parse(chunk, s.position.offset, s.options.attribute, s.options.batch);
    if (parsed.consumed > 0) break;
    // Nothing whole to read: has the file been rotated, and the writer moved on?
    auto moved = s.successor();
    if (!moved) return moved.failure();
    if (!*moved) return std::optional<FollowBatch>{};
    // Read the old file once more: a record may have been ended since.
    if (::fstat(s.file.get(), &st) != 0)
      return Failure{shown(s.options.detail) + ": " + errno_text(errno)};
    if (static_cast<std::uint64_t>(st.st_size) > s.position.offset + got) continue;
    if (got > 0)
      batch.problems.push_back(
          std::to_string(got) + " bytes at the end of the rotated file (byte " +
          std::to_string(s.position.offset) + ") are no whole record; skipped");
    s.file = std::move((*moved)->first);
    s.position.device = (*moved)->second.st_dev;
    s.position.inode = (*moved)->second.st_ino;
    s.position.offset = 0;
    batch.rotated = true;
    batch.offset = 0;
    s.position.skipped += batch.problems.size();
    applied(batch);
    if (auto kept = s.keep_position(); !kept) return kept.failure();
    return std::optional{std::move(batch)};
  }

  // The records, as session events, in order.
  batch.records = parsed.records.size() + parsed.problems.size();  // read, used or not
  for (const auto& p : parsed.problems)
    batch.problems.push_back("the record at byte " + std::to_string(p.at) +
                             " is skipped: " + text::printable(p.what));
  auto nas_of = s.position.nas_of;
  std::vector<Event> events = events_of(parsed.records, nas_of, batch.problems, batch.newest);
  batch.events = events.size();
  struct stat index_st {};
  const bool indexed =
      ::stat(session::index_path(s.target.state).c_str(), &index_st) == 0 || errno != ENOENT;
  if (!events.empty() && !indexed) {
    batch.problems.push_back(std::to_string(events.size()) +
                             " session events not recorded: no subscriber exemption " +
                             "is applied with " + shown(s.target.state) + " (no " +
                             shown(session::index_path(s.target.state)) + ")");
    nas_of = s.position.nas_of;
  } else if (!events.empty()) {
    auto report = session_batch(s.target, *s.backends, events, clock);
    if (!report) return report.failure();  // the position stays: the batch is read again
    // The NAS is kept for subscribers with an exemption (the session table's);
    // for the others a Stop or Accounting-On has nothing to take back.
    std::set<std::string, std::less<>> known, seen;
    for (std::size_t i = 0; i < events.size(); ++i) {
      if (!report->refused[i].empty()) {
        batch.problems.push_back(report->refused[i]);
        continue;
      }
      if (!events[i].up) continue;
      seen.insert(events[i].subscriber);
      if (report->events[i].known) known.insert(events[i].subscriber);
    }
    for (const std::string& subscriber : seen)
      if (!known.contains(subscriber)) nas_of.erase(subscriber);
    batch.report = std::move(*report);
  }
  s.position.offset += parsed.consumed;
  s.position.nas_of = std::move(nas_of);
  s.position.records += batch.records;
  s.position.skipped += batch.problems.size();
  if (batch.newest)
    s.position.last_record = static_cast<std::uint64_t>(
        std::max<std::int64_t>(0, batch.newest->time_since_epoch().count()));
  s.position.last_batch =
      static_cast<std::uint64_t>(std::max<std::int64_t>(0, clock.now().time_since_epoch().count()));
  batch.offset = s.position.offset;
  applied(batch);
  if (auto kept = s.keep_position(); !kept) return kept.failure();
  return std::optional{std::move(batch)};
}

}  // namespace op25bc::run
