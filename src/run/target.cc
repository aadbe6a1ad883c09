// SPDX-License-Identifier: GPL-2.0-or-later
#include "op25bc/run/target.h"

#include <stdexcept>

#include "op25bc/history/history.h"
#include "op25bc/io/file_bytes.h"
#include "op25bc/text/escape.h"

namespace op25bc::run {

Target Target::make(const TargetOptions& options, const backend::Registry& backends,
                    const std::string& table) {
  const backend::Backend* b =
      options.backend.empty() ? &backends.default_backend() : backends.find(options.backend);
  if (b == nullptr) throw std::logic_error("no backend named " + options.backend);
  Target t;
  t.backend = b;
  t.default_state = options.state.empty();
  t.state = t.default_state ? b->default_state_file(table) : options.state;
  t.sessions = options.sessions;
  t.lock = options.lock;
  t.lock_wait = options.lock_wait;
  t.keep = options.keep;
  return t;
}

std::string Target::history_folder() const {
  return history::FileHistoryStore::folder_for(state);
}

Result<Done> check_owner(const Target& target, const backend::Registry& backends) {
  int error = 0;
  const auto bytes = io::read_regular(target.state, error);
  // None yet, unreadable (the backend says so when it reads it), or ours.
  if (!bytes || target.backend->owns_record(*bytes)) return Done{};
  const backend::Backend* other = backends.owner_of_record(*bytes);
  if (other == nullptr) return Done{};  // unusable: the backend says so when it reads it
  return Failure{"the state file " + text::printable(target.state) + " is the " + other->name() +
                     " backend's record, not the " + target.backend->name() +
                     " backend's; nothing was read or changed",
                 "give --backend " + other->name() +
                     " to work with it, or name this backend's "
                     "own --state"};
}

}  // namespace op25bc::run
