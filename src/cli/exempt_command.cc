// SPDX-License-Identifier: GPL-2.0-or-later
// exempt add|remove|list: the helpdesk's door to the drop-in folder
// (exemptions_dir). A grant is checked against the policy before its file is
// written; both happen under op25bc's lock, and with --apply the kernel
// follows within the same hold, as activate would make it.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <ostream>

#include "commands.h"
#include "op25bc/io/folder.h"
#include "op25bc/run/event.h"
#include "op25bc/run/run.h"
#include "op25bc/text/escape.h"
#include "op25bc/text/join.h"
#include "run_report.h"
#include "support.h"

namespace op25bc::cli {

namespace {

// op25bc's lock, taken before the policy and its drop-in folder are read and
// held to the end of the command: no other op25bc run (the minutely
// activate, another grant) sees the folder or the kernel in between. With
// --apply the backend's session joins it.
std::optional<run::Hold> take_lock(const ExemptArgs& a, Io io) {
  auto hold = run::Hold::lock(run::Target::make(a.target, io.backends, {}));
  if (!hold) {
    report("exempt: " + hold.failure().message, io);
    return std::nullopt;
  }
  return std::move(*hold);
}

run::Target target_of(const ExemptArgs& a, const policy::Policy& p, Io io) {
  return run::Target::make(a.target, io.backends, p.table);
}

// With --apply: the backend's checks and session, before anything is written.
bool open_for_apply(const ExemptArgs& a, const policy::Policy& p, run::Hold& h, Io io) {
  if (!a.apply) return true;
  const auto opened = h.join(target_of(a, p, io), io.backends);
  if (!opened) report(opened.failure(), io);
  return opened.ok();
}

// The drop-in's text: the keys in the order the manual lists them.
std::string dropin_text(const ExemptArgs& a) {
  nlohmann::ordered_json j;
  j["id"] = a.id;
  if (a.subscriber.empty())
    j["prefixes"] = a.prefixes;
  else
    j["subscriber"] = a.subscriber;
  if (!a.reason.empty()) j["reason"] = a.reason;
  if (!a.ticket.empty()) j["ticket"] = a.ticket;
  if (a.effective) j["effective"] = *a.effective;
  if (a.until) j["until"] = *a.until;
  return j.dump(2) + "\n";
}

// After the change: the kernel follows `loaded` (the policy as the folder now
// is), in the same hold, as activate would make it: while a rollback's pin
// holds, that is the pinned policy with this folder's drop-ins (which now
// hold the change).
int follow(const ExemptArgs& a, const Loaded& loaded, run::Hold& h, Io io) {
  if (!a.apply) return kExitOk;
  const auto at = parse_at(a.at, *loaded.policy, io);
  if (!at) return kExitUsage;
  const auto result =
      run::run(h, request_at(run::Role::exempt, loaded, a.policy, a.router, *at), io.clock);
  if (result && result->pin)
    note("exempt " + a.action + ": a rollback pinned policy " + result->pin->fingerprint + " on " +
             result->pin->since +
             "; the kernel follows it, with the drop-ins beside the policy file, as activate does",
         io);
  const int status = show_run(result, {"text", false, false, a.policy}, io);
  if (!result)
    note("exempt " + a.action +
             ": the drop-in folder is changed, the kernel is not: the next "
             "apply or activate makes it follow",
         io);
  return status;
}

// The policy's diagnostics said only when it is invalid: the helpdesk changes
// one exemption, the policy's own warnings are not theirs.
Loaded load_quietly(const std::string& path, const std::string& router, Io io) {
  Loaded loaded = run::load_file(path, router);
  if (!loaded.policy) say_loaded(loaded, io);
  return loaded;
}

bool names_dropin_folder(const Loaded& loaded, const std::string& path, Io io) {
  if (!loaded.policy) return false;
  if (!loaded.policy->exemptions_dir.empty()) return true;
  report({"exempt: " + path + " names no exemptions_dir",
          "add \"exemptions_dir\": \"exemptions.d\" to the policy and make that folder beside it"},
         io);
  return false;
}

// The drop-in folder, held open beneath the policy's folder: the grant is
// written, and a withdrawal removed, there and nowhere else.
std::optional<io::Folder> open_dropin_folder(const ExemptArgs& a, const policy::Policy& p, Io io) {
  auto folder = io::Folder::open_beneath(run::folder_of(a.policy), p.exemptions_dir);
  if (folder) return std::move(*folder);
  report({"exempt " + a.action + ": " + text::printable(folder.failure().message) +
              "; nothing was changed",
          folder.failure().hint},
         io);
  return std::nullopt;
}

// Whether the new drop-in `file` cannot be granted, after saying why. Only
// when a drop-in was left out of `with` (the policy with the new file) can it
// be: it was invalid, or its id was another's (then one of the two files was
// left out). The folder without it, and the new file's every problem, tell.
bool refused(const ExemptArgs& a, const Loaded& with, const std::string& file, Io io) {
  const auto skipped = with.policy->skipped_files();
  if (skipped.empty()) return false;
  const Loaded before = load_quietly(a.policy, {}, io);
  if (!before.policy) return true;
  for (const auto& x : before.policy->exemptions)
    if (x.id == a.id) {
      report({"exempt add: exemption " + text::printable(a.id) + " exists, in " +
                  text::printable(x.file.empty() ? a.policy : x.file) + "; nothing was written",
              "remove it first, or choose another id"},
             io);
      return true;
    }
  if (std::find(skipped.begin(), skipped.end(), file) == skipped.end()) return false;
  // Its every problem, as validate would list them.
  Diagnostics diags;
  policy::PendingDropIn files(std::make_unique<policy::FolderPrefixFiles>(a.policy), a.id + ".json",
                              dropin_text(a));
  policy::load_text(with.text, diags, &files, policy::DropIns::strict);
  for (const Diagnostic& d : diags.entries())
    if (d.file == file && d.severity == Severity::error) io.err << format_diagnostic(d, a.policy);
  report("exempt add: exemption " + text::printable(a.id) + " refused; nothing was written", io);
  return true;
}

int add(const ExemptArgs& a, Io io) {
  if (!policy::is_valid_id(a.id))
    return report({"exempt add: invalid id " + quote(text::printable(a.id)),
                   "an id starts with a letter and has up to 32 letters, digits, '-' or '_'; it "
                   "names the drop-in file"},
                  io, kExitUsage);
  if (a.prefixes.empty() == a.subscriber.empty())
    return report("exempt add: give --prefix (one or more) or --subscriber", io, kExitUsage);
  auto hold = take_lock(a, io);
  if (!hold) return kExitFailure;
  // One read of the policy: as it will be with the new file, checked before
  // the file is written and applied after. Every diagnostic it gives is
  // shown: a warning may be about the grant itself.
  const std::string name = a.id + ".json";
  const Loaded loaded = run::load_pending(a.policy, a.router, name, dropin_text(a));
  say_loaded(loaded, io);
  if (!names_dropin_folder(loaded, a.policy, io)) return kExitFailure;
  const auto folder = open_dropin_folder(a, *loaded.policy, io);
  if (!folder) return kExitFailure;
  const auto& pending = static_cast<const policy::PendingDropIn&>(*loaded.prefix_files);
  const std::string file = loaded.prefix_files->display_name(pending.path());
  if (folder->has(name))
    return report({"exempt add: " + text::printable(file) + " exists; nothing was written",
                   "choose another id, or withdraw what the file holds first (op25bc exempt "
                   "remove)"},
                  io);
  if (refused(a, loaded, file, io)) return kExitFailure;
  if (!open_for_apply(a, *loaded.policy, *hold, io)) return kExitFailure;
  if (const auto written = folder->write_atomically(name, dropin_text(a), 0644); !written)
    return report("exempt add: " + written.failure().message + "; nothing was written", io);
  io.out << "exemption " << text::printable(a.id) << " granted in " << text::printable(file)
         << "\n";
  return follow(a, loaded, *hold, io);
}

// Every drop-in file that holds exemption `id`: the one admitted, those left
// out that claim it (a duplicate, or one that is invalid), and the file named
// after it, whatever it holds. Withdrawing one of several could put another
// in force in its stead, so a remove takes only an id one file holds.
std::vector<std::string> files_holding(const policy::Policy& p, const std::string& id,
                                       const std::string& policy_path) {
  std::vector<std::string> files;
  const auto add = [&](const std::string& file) {
    if (std::find(files.begin(), files.end(), file) == files.end()) files.push_back(file);
  };
  for (const auto& x : p.exemptions)
    if (x.id == id && !x.file.empty()) add(x.file);
  const std::string named =
      policy::FolderPrefixFiles(policy_path).display_name(p.exemptions_dir + "/" + id + ".json");
  for (const auto& skipped : p.skipped_dropins)
    if (skipped.id == id || skipped.file == named) add(skipped.file);
  std::sort(files.begin(), files.end());
  return files;
}

// The policy as it is once drop-in exemption `id` is gone: `loaded` without
// it when that is sure (run/source.h), else the folder read again.
Loaded without(Loaded loaded, const std::string& id, const ExemptArgs& a, Io io) {
  if (run::drop_dropin(loaded, id)) return loaded;
  return load_quietly(a.policy, a.router, io);
}

int remove(const ExemptArgs& a, Io io) {
  auto hold = take_lock(a, io);
  if (!hold) return kExitFailure;
  Loaded loaded = load_quietly(a.policy, a.router, io);
  if (!names_dropin_folder(loaded, a.policy, io)) return kExitFailure;
  const policy::Policy* p = &*loaded.policy;
  for (const auto& x : p->exemptions)
    if (x.id == a.id && x.file.empty()) {
      return report("exempt remove: exemption " + text::printable(a.id) + " is in " + a.policy +
                        " itself, not a drop-in; edit the policy to withdraw it",
                    io);
    }
  const std::vector<std::string> holders = files_holding(*p, a.id, a.policy);
  if (holders.size() > 1)
    return report({"exempt remove: exemption " + text::printable(a.id) + " is held by " +
                       std::to_string(holders.size()) + " files, " +
                       text::join(holders, text::printable) + "; nothing was removed",
                   "removing one could put another in force; remove or correct the others by "
                   "hand, then withdraw it"},
                  io);
  const std::string file = holders.empty() ? std::string{} : holders.front();
  if (file.empty())
    return report("exempt remove: no drop-in exemption " + text::printable(a.id) + " in " +
                      text::printable(p->exemptions_dir),
                  io);
  const auto folder = open_dropin_folder(a, *p, io);
  if (!folder) return kExitFailure;
  if (!open_for_apply(a, *p, *hold, io)) return kExitFailure;
  // Every file of the folder is listed directly in it: its name is the last part.
  if (const auto removed = folder->remove(file.substr(file.rfind('/') + 1)); !removed)
    return report("exempt remove: " + text::printable(removed.failure().message), io);
  io.out << "exemption " << text::printable(a.id) << " withdrawn: " << text::printable(file)
         << " removed\n";
  if (!a.apply) return kExitOk;
  return follow(a, without(std::move(loaded), a.id, a, io), *hold, io);
}

// The session table the last run of `a`'s state file used (--sessions, the
// index beside it, or the default), when the policy has subscriber
// exemptions; nullopt when there is none to read (said on stderr if broken).
std::optional<session::Table> listed_sessions(const ExemptArgs& a, const policy::Policy& p, Io io) {
  if (!session::has_subscribers(p)) return std::nullopt;
  auto table = run::kept_sessions(target_of(a, p, io));
  if (!table) {
    report("exempt list: " + table.failure().message, io);
    return std::nullopt;
  }
  return std::move(*table);
}

int list(const ExemptArgs& a, Io io) {
  const Loaded loaded = load_quietly(a.policy, {}, io);
  if (!loaded.policy) return kExitFailure;
  const policy::Policy& p = *loaded.policy;
  const auto now = parse_at(a.at, p, io);
  if (!now) return kExitUsage;
  // The live sessions come from the state's side: never another backend's.
  if (session::has_subscribers(p))
    if (auto owned = run::check_owner(target_of(a, p, io), io.backends); !owned)
      return report(owned.failure(), io);
  const auto horizon =
      *now + std::chrono::seconds(static_cast<long>(a.expiring.value_or(0) * 86400));
  const auto when = [&](const std::optional<Instant>& t) {
    return t ? nlohmann::json(format_time(*t, p.zone)) : nlohmann::json(nullptr);
  };
  nlohmann::json rows = nlohmann::json::array();
  std::string out;
  for (const auto& x : p.exemptions) {
    if (a.expiring && (!x.until || *x.until < *now || *x.until > horizon)) continue;
    const bool active = (!x.effective || *x.effective <= *now) && (!x.until || *now < *x.until);
    std::vector<std::string> prefixes;
    for (const auto& prefix : x.prefixes.items) prefixes.push_back(net::to_string(prefix));
    rows.push_back({{"id", x.id},
                    {"source", x.file.empty() ? "inline" : "dropin"},
                    {"file", x.file.empty() ? nlohmann::json(nullptr) : nlohmann::json(x.file)},
                    {"prefixes", prefixes},
                    {"subscriber",
                     x.subscriber.empty() ? nlohmann::json(nullptr) : nlohmann::json(x.subscriber)},
                    {"reason", x.reason},
                    {"ticket", x.ticket},
                    {"effective", when(x.effective)},
                    {"until", when(x.until)},
                    {"active", active}});
    out += text::printable(x.id) + "  " + (x.file.empty() ? "inline" : text::printable(x.file)) +
           "  " +
           (x.subscriber.empty() ? text::join(prefixes)
                                 : "subscriber " + quote(text::printable(x.subscriber))) +
           (active ? "  active" : "  inactive") +
           (x.until ? "  until " + format_time(*x.until, p.zone) : std::string{}) +
           (x.ticket.empty() ? "" : "  ticket " + text::printable(x.ticket)) +
           (x.reason.empty() ? "" : "  (" + text::printable(x.reason) + ")") + "\n";
  }
  for (const auto& skipped : p.skipped_files())
    out += text::printable(skipped) + "  left out: invalid (op25bc validate names the problem)\n";
  // The live sessions of subscriber exemptions, as the session table holds them.
  if (const auto live = listed_sessions(a, p, io))
    for (const auto& [subscriber, held] : *live)
      for (const auto& x : p.exemptions) {
        if (x.subscriber != subscriber ||
            (a.expiring && (!x.until || *x.until < *now || *x.until > horizon)))
          continue;
        const bool active = policy::is_active(x.effective, x.until, *now);
        std::vector<std::string> addresses;
        for (const auto& prefix : held) addresses.push_back(net::to_string(prefix));
        rows.push_back({{"id", x.id},
                        {"source", "session"},
                        {"file", x.file.empty() ? nlohmann::json(nullptr) : nlohmann::json(x.file)},
                        {"prefixes", addresses},
                        {"subscriber", subscriber},
                        {"reason", x.reason},
                        {"ticket", x.ticket},
                        {"effective", when(x.effective)},
                        {"until", when(x.until)},
                        {"active", active}});
        out += text::printable(x.id) + "  session of " + quote(text::printable(subscriber)) + "  " +
               text::join(addresses) + (active ? "  active" : "  inactive") + "\n";
      }
  if (a.format == "json")
    io.out << json_text({{"schema_version", kSchemaVersion},
                         {"at", format_time(*now, p.zone)},
                         {"exemptions", rows},
                         {"skipped_dropins", p.skipped_files()}});
  else
    io.out << out;
  return kExitOk;
}

}  // namespace

int run_exempt(const ExemptArgs& args, Io io) {
  if (args.action == "add") return add(args, io);
  if (args.action == "remove") return remove(args, io);
  return list(args, io);
}

}  // namespace op25bc::cli
