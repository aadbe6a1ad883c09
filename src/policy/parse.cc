// SPDX-License-Identifier: GPL-2.0-or-later
#include "parse.h"

#include <algorithm>
#include <map>
#include <set>

#include "field_reader.h"
#include "op25bc/text/escape.h"

namespace op25bc::policy {

using nlohmann::json;

bool is_valid_id(std::string_view id) {
  if (id.empty() || id.size() > 32) return false;
  const auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(id[0])) return false;
  for (char c : id)
    if (!alpha(c) && !(c >= '0' && c <= '9') && c != '-' && c != '_') return false;
  return true;
}

std::string subscriber_problem(std::string_view subscriber) {
  if (subscriber.empty()) return "it is empty";
  if (subscriber.size() > kMaxSubscriberBytes)
    return "it has " + std::to_string(subscriber.size()) + " bytes, more than " +
           std::to_string(kMaxSubscriberBytes);
  if (const auto bad = text::find_forbidden(subscriber)) return "it holds " + text::describe(*bad);
  return {};
}

namespace {

// Dates op25bc can hand to every consumer: systemd's calendar ends with 2199,
// the kernel's meta time counts nanoseconds from 1970 in 64 bits.
bool schedulable(Instant t) {
  using namespace std::chrono;
  constexpr auto first = sys_days{year{1970} / January / 1};
  constexpr auto end = sys_days{year{2200} / January / 1};
  return t >= first && t < end;
}

const char* const kIdHint =
    "an id starts with a letter and has up to 32 letters, digits, '-' or '_'";

class Parser {
 public:
  Parser(Diagnostics& diags, const date::time_zone* zone,
         std::unordered_map<std::string, PrefixArray>& arrays, PrefixFiles* files)
      : r_(diags), zone_(zone), arrays_(arrays), files_(files) {}

  Policy run(const json& doc) {
    Policy p;
    if (!r_.object(doc, "",
                   {{"$schema", false},
                    {"version", true},
                    {"operator", false},
                    {"description", false},
                    {"timezone", true},
                    {"table", false},
                    {"enforcement", false},
                    {"services", true},
                    {"pools", true},
                    {"smarthosts", false},
                    {"destinations", false},
                    {"exemptions", false},
                    {"exemptions_dir", false},
                    {"submission", false},
                    {"contact", false},
                    {"monitoring", false},
                    {"phases", true},
                    {"regions", false},
                    {"routers", false}}))
      return p;
    r_.string(doc, "", "$schema");
    text(doc, "", "description", true);
    version(doc, p);
    p.operator_name = text(doc, "", "operator").value_or("");
    timezone(doc, p);
    table(doc, p);
    if (doc.contains("enforcement")) enforcement(doc["enforcement"], p.enforcement);
    list(doc, "services", p.services, &Parser::service);
    list(doc, "pools", p.pools, &Parser::pool);
    list(doc, "smarthosts", p.smarthosts, &Parser::smarthost);
    list(doc, "destinations", p.destinations, &Parser::destination);
    list(doc, "exemptions", p.exemptions, &Parser::exemption);
    if (auto dir = r_.string(doc, "", "exemptions_dir")) exemptions_dir(*dir, p);
    if (doc.contains("submission")) submission(doc["submission"], p.submission);
    if (doc.contains("contact")) contact(doc["contact"], p);
    if (doc.contains("monitoring")) monitoring(doc["monitoring"], p.monitoring);
    list(doc, "phases", p.phases, &Parser::phase);
    list(doc, "routers", p.routers, &Parser::router);
    if (doc.contains("regions")) regions(doc["regions"], p);
    p.translations = std::move(translations_);
    p.file_prefix_storage = std::move(file_storage_);
    return p;
  }

 private:
  template <typename T>
  void list(const json& doc, std::string_view key, std::vector<T>& out,
            void (Parser::*one)(const json&, const std::string&, T&)) {
    const json* items = r_.array(doc, "", key);
    if (items == nullptr) return;
    const std::string ptr = pointer_append("", key);
    out.resize(items->size());  // keep indexes aligned with the document
    for (std::size_t i = 0; i < items->size(); ++i)
      (this->*one)((*items)[i], pointer_append(ptr, i), out[i]);
  }

  void version(const json& doc, Policy& p) {
    const auto v = r_.integer(doc, "", "version");
    if (!v) return;
    if (*v != 1) {
      r_.diags().error("/version", "unsupported policy version " + std::to_string(*v),
                       "this op25bc reads version 1");
      return;
    }
    p.version = 1;
  }

  void timezone(const json& doc, Policy& p) {
    const auto tz = r_.string(doc, "", "timezone");
    if (!tz) return;
    p.timezone = *tz;
    p.zone = find_zone(*tz);
    if (p.zone == nullptr && host_dependent_zone(*tz))
      r_.diags().error("/timezone", "time zone \"" + *tz + "\" depends on the host's setting",
                       "name the IANA time zone the dates are meant in, such as \"Asia/Tokyo\"");
    else if (p.zone == nullptr)
      r_.diags().error("/timezone", "unknown time zone \"" + *tz + "\"",
                       "use an IANA time zone name such as \"Asia/Tokyo\"");
  }

  void table(const json& doc, Policy& p) {
    const auto name = r_.string(doc, "", "table");
    if (!name) return;
    bool ok = name->size() <= 32 && ((*name)[0] >= 'a' && (*name)[0] <= 'z');
    for (char c : *name) ok = ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
    if (!ok) {
      r_.diags().error("/table", "invalid table name \"" + *name + "\"",
                       "a table name starts with a lowercase letter and has up to 32 lowercase "
                       "letters, digits or '_'");
      return;
    }
    p.table = *name;
  }

  void enforcement(const json& j, Enforcement& e) {
    const std::string ptr = "/enforcement";
    if (!r_.object(
            j, ptr,
            {{"ports", false}, {"action", false}, {"log", false}, {"max_set_intervals", false}}))
      return;
    if (auto ports = r_.ports(j, ptr, "ports")) e.ports = *ports;
    if (auto action = r_.string(j, ptr, "action")) {
      if (*action == "reject")
        e.action = Action::reject;
      else if (*action == "icmp")
        e.action = Action::icmp;
      else if (*action == "drop")
        e.action = Action::drop;
      else
        r_.diags().error("/enforcement/action", "unknown action \"" + *action + "\"",
                         "use \"reject\" (TCP reset), \"icmp\" (admin-prohibited) or \"drop\"");
    }
    if (j.contains("log")) log(j["log"], ptr + "/log", e);
    if (auto n = r_.integer(j, ptr, "max_set_intervals")) {
      if (*n < static_cast<std::int64_t>(kMinMaxSetIntervals) ||
          *n > static_cast<std::int64_t>(kMaxMaxSetIntervals))
        r_.diags().error(ptr + "/max_set_intervals",
                         "max_set_intervals " + std::to_string(*n) + " is out of range",
                         "use " + std::to_string(kMinMaxSetIntervals) + " to " +
                             std::to_string(kMaxMaxSetIntervals) + "; the default, " +
                             std::to_string(kDefaultMaxSetIntervals) + ", suits most routers");
      else
        e.max_set_intervals = static_cast<std::size_t>(*n);
    }
  }

  void log(const json& j, const std::string& ptr, Enforcement& e) {
    if (!r_.object(j, ptr, {{"prefix", false}, {"rate", false}})) return;
    Log log;
    if (auto prefix = r_.string(j, ptr, "prefix")) {
      if (prefix->size() > 127)
        r_.diags().error(ptr + "/prefix", "log prefix is longer than 127 bytes");
      else if (const auto bad = prefix->find_first_of("\"$"); bad != std::string::npos)
        r_.diags().error(ptr + "/prefix",
                         "log prefix must not contain '" + prefix->substr(bad, 1) + "'",
                         "nft cannot quote '\"' and reads '$' as a variable in a log prefix");
      else
        log.prefix = *prefix;
    }
    if (auto rate = r_.string(j, ptr, "rate")) log.rate = parse_rate(*rate, ptr + "/rate");
    e.log = log;
  }

  std::optional<LogRate> parse_rate(const std::string& text, const std::string& ptr) {
    const auto slash = text.find('/');
    LogRate rate;
    bool ok = slash != std::string::npos && slash > 0 && slash <= 9;
    for (std::size_t i = 0; ok && i < slash; ++i) ok = text[i] >= '0' && text[i] <= '9';
    if (ok) {
      rate.count = static_cast<unsigned>(std::stoul(text.substr(0, slash)));
      rate.unit = text.substr(slash + 1);
      ok = rate.count > 0 && (rate.unit == "second" || rate.unit == "minute" ||
                              rate.unit == "hour" || rate.unit == "day");
    }
    if (ok) return rate;
    r_.diags().error(ptr, "invalid log rate \"" + text + "\"",
                     "write COUNT/UNIT with a unit of second, minute, hour or day, e.g. "
                     "\"10/minute\"");
    return std::nullopt;
  }

  // A text a customer reads (FieldReader::text), its languages kept by its
  // pointer.
  std::optional<std::string> text(const json& j, const std::string& ptr, std::string_view key,
                                  bool allow_empty = false) {
    std::map<std::string, std::string> by_language;
    auto out = r_.text(j, ptr, key, by_language, allow_empty);
    if (!by_language.empty()) translations_[pointer_append(ptr, key)] = std::move(by_language);
    return out;
  }

  // "regions": {"tokyo": TEXT, ...}, how customers name the region ids.
  void regions(const json& j, Policy& p) {
    if (!j.is_object()) {
      r_.diags().error("/regions",
                       "expected an object of region names, not " + std::string{type_name(j)},
                       "write {\"tokyo\": {\"en\": \"Tokyo\", \"ja\": \"東京\"}}");
      return;
    }
    std::set<std::string, std::less<>> used;
    for (const Pool& pool : p.pools) used.insert(pool.region);
    for (const Smarthost& h : p.smarthosts) used.insert(h.regions.begin(), h.regions.end());
    for (const auto& [region, value] : j.items()) {
      const std::string at = pointer_append("/regions", region);
      if (!is_valid_id(region)) {
        r_.diags().error(at, "invalid region id \"" + region + "\"", kIdHint);
        continue;
      }
      if (const auto name = text(j, "/regions", region)) p.region_names[region] = *name;
      if (!used.contains(region))
        r_.diags().warning(at, "no pool or smarthost has region \"" + region + "\"",
                           "a region's name is shown where a pool's or smarthost's region is");
    }
  }

  std::string id(const json& j, const std::string& ptr) {
    const auto value = r_.string(j, ptr, "id");
    if (!value) return {};
    if (!is_valid_id(*value)) {
      r_.diags().error(ptr + "/id", "invalid id \"" + *value + "\"", kIdHint);
      return {};
    }
    return *value;
  }

  // A prefix array: read_json parsed it already; report its bad entries here,
  // in document order. Anything else under the key is a type error.
  PrefixList prefixes(const json& j, const std::string& ptr, std::string_view key) {
    const std::string here = pointer_append(ptr, key);
    auto it = arrays_.find(here);
    if (it == arrays_.end()) {
      r_.array(j, ptr, key);  // absent (reported as missing) or not an array
      return {};
    }
    for (const auto& bad : it->second.bad)
      r_.diags().error(pointer_append(here, bad.position), bad.message, bad.hint);
    return std::move(it->second.list);
  }

  // Entries under a prefix key, good and bad, or 0.
  std::size_t entries(const std::string& ptr, std::string_view key) const {
    auto it = arrays_.find(pointer_append(ptr, key));
    return it == arrays_.end() ? 0 : it->second.size;
  }
  bool empty_array(const json& j, const std::string& ptr, std::string_view key) const {
    return j.contains(key) && j[key].is_array() && entries(ptr, key) == 0;
  }

  std::optional<Instant> time(const json& j, const std::string& ptr, std::string_view key,
                              const date::time_zone* zone) {
    const auto text = r_.string(j, ptr, key);
    if (!text) return std::nullopt;
    TimeParse parsed = parse_time(*text, zone);
    if (!parsed.instant) r_.diags().error(pointer_append(ptr, key), parsed.error);
    if (parsed.instant && !schedulable(*parsed.instant)) {
      r_.diags().error(pointer_append(ptr, key),
                       quote(*text) + " is outside 1970-01-01 to 2199-12-31 (UTC)",
                       "systemd timers and the kernel's clock (meta time) cannot represent it; "
                       "leave \"until\" out for no end");
      return std::nullopt;
    }
    return parsed.instant;
  }

  void service(const json& j, const std::string& ptr, Service& s) {
    if (!r_.object(j, ptr, {{"id", true}, {"name", false}, {"description", false}})) return;
    s.id = id(j, ptr);
    s.pointer = ptr;
    s.name = text(j, ptr, "name").value_or("");
    text(j, ptr, "description", true);
  }

  void pool(const json& j, const std::string& ptr, Pool& p) {
    if (!r_.object(j, ptr,
                   {{"id", true},
                    {"name", false},
                    {"description", false},
                    {"service", true},
                    {"region", false},
                    {"prefixes", false},
                    {"prefixes_file", false},
                    {"delegated_length", false}}))
      return;
    p.id = id(j, ptr);
    p.name = r_.string(j, ptr, "name").value_or("");
    text(j, ptr, "description", true);
    p.service = r_.string(j, ptr, "service").value_or("");
    p.region = r_.string(j, ptr, "region").value_or("");
    const bool has_file = j.contains("prefixes_file");
    if (!j.contains("prefixes") && !has_file)
      r_.diags().error(ptr, "pool has neither \"prefixes\" nor \"prefixes_file\"",
                       "list its prefixes, or name a file of them beside the policy");
    if (j.contains("prefixes")) p.prefixes = prefixes(j, ptr, "prefixes");
    if (empty_array(j, ptr, "prefixes") && !has_file)
      r_.diags().error(ptr + "/prefixes", "pool has no prefixes");
    if (auto path = r_.string(j, ptr, "prefixes_file")) prefix_file(*path, ptr, p);
    if (auto n = r_.integer(j, ptr, "delegated_length")) {
      if (*n < 16 || *n > 128)
        r_.diags().error(ptr + "/delegated_length",
                         "delegated_length " + std::to_string(*n) + " is out of range",
                         "the widest IPv6 prefix a session may hold, 16 to 128 (e.g. 56)");
      else
        p.delegated_length = static_cast<std::uint8_t>(*n);
    }
  }

  // The drop-in folder: each *.json file in it is one exemption, read and
  // parsed on its own, with diagnostics of its own that point into the file.
  // Whether it is admitted is decided once the pools are known
  // (admit_dropins); here only the folder itself can be an error.
  void exemptions_dir(const std::string& dir, Policy& p) {
    const std::string here = "/exemptions_dir";
    if (dir.empty() || dir.starts_with('/')) {
      r_.diags().error(
          here,
          "exemptions_dir " + quote(dir) + " is " + (dir.empty() ? "empty" : "an absolute path"),
          "name the folder relative to the policy file's folder, so the policy and "
          "its exemptions move together");
      return;
    }
    if (files_ == nullptr || dropins_ == nullptr) {
      r_.diags().error(here, "drop-in exemptions cannot be read here",
                       "this policy text was given without its folder");
      return;
    }
    std::string error;
    const auto paths = files_->list(dir, error);
    if (!paths) {
      r_.diags().error(
          here, "cannot read exemptions_dir " + quote(files_->display_name(dir)) + ": " + error,
          "the path is relative to the policy file's folder");
      return;
    }
    p.exemptions_dir = dir;
    dropins_->reserve(dropins_->size() + paths->size());
    std::vector<std::string> readable;
    for (const std::string& path : *paths) {
      DropIn& d = dropins_->emplace_back();
      d.path = path;
      d.display = files_->display_name(path);
      if (const auto bad = text::find_forbidden(path))  // never read: named in the history
        d.diags.report(Severity::error, {"", d.display},
                       "the drop-in's file name holds " + text::describe(*bad),
                       "name it with printable UTF-8, such as its exemption id");
      else
        readable.push_back(path);
    }
    files_->prefetch(readable);  // parse_dropins reads them
  }

 public:
  // One drop-in file, as if it were the only item of a policy's
  // "exemptions": the same reader and checks, then pointers made the file's.
  static void dropin(DropIn& d, PrefixFiles& files, const date::time_zone* zone,
                     std::vector<std::shared_ptr<const net::Prefixes>>& storage) {
    if (d.diags.has_errors()) return;  // its name
    Diagnostics wrapped;
    std::string error;
    const auto bytes = files.read(d.path, error);
    if (!bytes) {
      d.diags.report(Severity::error, {"", d.display}, "cannot read drop-in exemption: " + error);
      return;
    }
    std::string text = "{\"exemptions\":[";
    text += *bytes;
    text += "\n]}";
    if (std::optional<Document> doc = read_json(text, wrapped)) {
      const json& root = doc->json;
      const json* items = root.contains("exemptions") ? &root["exemptions"] : nullptr;
      if (root.size() != 1 || items == nullptr || !items->is_array() || items->size() != 1) {
        d.diags.report(Severity::error, {"", d.display},
                       "a drop-in exemption file holds one JSON object, and nothing else");
        return;
      }
      Exemption e;
      Parser(wrapped, zone, doc->prefix_arrays, nullptr)
          .exemption((*items)[0], std::string{kWrapped}, e);
      storage.push_back(doc->prefixes);
      if (!wrapped.has_errors()) d.exemption = std::move(e);
    }
    relocate(wrapped, d);
  }

 private:
  // The wrapped file's diagnostics, pointing into the file itself.
  static void relocate(const Diagnostics& wrapped, DropIn& d) {
    const auto inside = [](const std::string& pointer) {
      return pointer.starts_with(kWrapped) ? pointer.substr(kWrapped.size()) : pointer;
    };
    for (const Diagnostic& w : wrapped.entries()) {
      d.diags.report(w.severity, {inside(w.pointer), d.display, w.line}, w.message, w.hint);
      for (const Related& r : w.related)
        d.diags.note(Location{inside(r.where.pointer), d.display, r.where.line}, r.note);
    }
  }

  // The pool's prefixes_file, read and parsed line by line; its prefixes
  // follow the inline ones in the pool's list.
  void prefix_file(const std::string& path, const std::string& ptr, Pool& p) {
    const std::string here = ptr + "/prefixes_file";
    if (path.starts_with('/')) {
      r_.diags().error(here, "prefixes_file " + quote(path) + " is an absolute path",
                       "name the file relative to the policy file's folder, so the policy and "
                       "its files move together");
      return;
    }
    if (files_ == nullptr) {
      r_.diags().error(here, "prefix files cannot be read here",
                       "this policy text was given without its folder");
      return;
    }
    std::string error;
    const auto bytes = files_->read(path, error);
    const std::string display = files_->display_name(path);
    if (!bytes) {
      r_.diags().error(here, "cannot read prefixes_file " + quote(display) + ": " + error,
                       "the path is relative to the policy file's folder");
      return;
    }
    PrefixFileContent content = parse_prefix_file(*bytes);
    report_bad_lines(content, display, here, p.id);
    if (content.prefixes.empty() && content.bad.empty() && p.prefixes.items.empty())
      r_.diags().error(here, "prefixes_file " + quote(display) + " holds no prefixes",
                       "a pool needs at least one prefix");
    PrefixFileOrigin origin{display, p.prefixes.items.size(), std::move(content.lines)};
    auto storage = std::make_shared<net::Prefixes>();
    if (p.prefixes.items.empty()) {
      *storage = std::move(content.prefixes);
    } else {
      storage->reserve(p.prefixes.items.size() + content.prefixes.size());
      storage->insert(storage->end(), p.prefixes.items.begin(), p.prefixes.items.end());
      storage->insert(storage->end(), content.prefixes.begin(), content.prefixes.end());
    }
    p.prefixes.items = std::span<const net::Prefix>(storage->data(), storage->size());
    p.file = std::move(origin);
    file_storage_.push_back(std::move(storage));
  }

  // A file full of something else (a spreadsheet, say) is told in a few
  // lines, not a million; and a file with no prefix, or mostly other lines,
  // is not quoted at all: only the numbers of its lines, never their text.
  void report_bad_lines(const PrefixFileContent& content, const std::string& display,
                        const std::string& here, const std::string& pool) {
    if (content.bad.empty()) return;
    constexpr std::size_t kFewLines = 10;
    if (content.prefixes.empty() ||
        (content.bad.size() >= kFewLines && content.bad.size() > content.prefixes.size())) {
      std::string lines;
      for (std::size_t i = 0; i < std::min(content.bad.size(), kFewLines); ++i)
        lines += (i == 0 ? "" : ", ") + std::to_string(content.bad[i].line);
      if (content.bad.size() > kFewLines) lines += ", ...";
      r_.diags().error(here,
                       "prefixes_file " + quote(display) + ": " +
                           std::to_string(content.bad.size()) + " lines are not prefixes (" +
                           (content.bad.size() == 1 ? "line " : "lines ") + lines + ")",
                       "is this the file of prefixes the pool should read? A prefix file "
                       "holds one prefix per line; '#' starts a comment");
      return;
    }
    constexpr std::size_t kShown = 100;
    for (std::size_t i = 0; i < std::min(content.bad.size(), kShown); ++i) {
      const auto& bad = content.bad[i];
      r_.diags().report(Severity::error, {"", display, bad.line}, bad.message, bad.hint);
      r_.diags().note(here, "in the prefixes_file of pool " + quote(pool));
    }
    if (content.bad.size() > kShown)
      r_.diags().error(here,
                       std::to_string(content.bad.size() - kShown) + " more lines of " +
                           quote(display) + " are not prefixes",
                       "is this the file of prefixes the pool should read?");
  }

  void smarthost(const json& j, const std::string& ptr, Smarthost& s) {
    if (!r_.object(j, ptr,
                   {{"id", true},
                    {"hostname", false},
                    {"description", false},
                    {"addresses", true},
                    {"regions", false}}))
      return;
    s.id = id(j, ptr);
    s.hostname = r_.string(j, ptr, "hostname").value_or("");
    text(j, ptr, "description", true);
    s.addresses = prefixes(j, ptr, "addresses");
    if (empty_array(j, ptr, "addresses"))
      r_.diags().error(ptr + "/addresses", "smarthost has no addresses");
    s.regions = r_.strings(j, ptr, "regions").value_or(std::vector<std::string>{});
  }

  void destination(const json& j, const std::string& ptr, Destination& d) {
    if (!r_.object(j, ptr,
                   {{"id", true}, {"name", false}, {"description", false}, {"prefixes", true}}))
      return;
    d.id = id(j, ptr);
    d.pointer = ptr;
    d.name = text(j, ptr, "name").value_or("");
    text(j, ptr, "description", true);
    d.prefixes = prefixes(j, ptr, "prefixes");
    if (empty_array(j, ptr, "prefixes"))
      r_.diags().error(ptr + "/prefixes", "destination group \"" + d.id + "\" is empty",
                       "a destination group must list at least one prefix");
  }

  void exemption(const json& j, const std::string& ptr, Exemption& e) {
    if (!r_.object(j, ptr,
                   {{"id", true},
                    {"prefixes", false},
                    {"subscriber", false},
                    {"reason", false},
                    {"ticket", false},
                    {"effective", false},
                    {"until", false}}))
      return;
    e.id = id(j, ptr);
    e.reason = r_.string(j, ptr, "reason").value_or("");
    e.ticket = r_.string(j, ptr, "ticket").value_or("");
    if (j.contains("subscriber")) {
      e.subscriber = r_.string(j, ptr, "subscriber").value_or("");
      if (j.contains("prefixes"))
        r_.diags().error(ptr + "/prefixes", "exemption names both prefixes and a subscriber",
                         "an exemption covers fixed prefixes, or the addresses of one "
                         "subscriber's sessions: make two exemptions");
      else if (const std::string why = subscriber_problem(e.subscriber); !why.empty())
        r_.diags().error(ptr + "/subscriber", "invalid subscriber: " + why,
                         "a subscriber is the id the access server's session scripts pass to "
                         "op25bc session up: printable text, 1 to " +
                             std::to_string(kMaxSubscriberBytes) + " bytes");
    } else if (!j.contains("prefixes")) {
      r_.diags().error(ptr, "exemption has neither prefixes nor a subscriber",
                       "add \"prefixes\": [...] or \"subscriber\": \"ID\"");
    } else {
      e.prefixes = prefixes(j, ptr, "prefixes");
      if (empty_array(j, ptr, "prefixes"))
        r_.diags().error(ptr + "/prefixes", "exemption has no prefixes");
    }
    e.effective = time(j, ptr, "effective", zone_);
    e.until = time(j, ptr, "until", zone_);
    if (e.effective && e.until && *e.until <= *e.effective)
      r_.diags().error(ptr + "/until", "exemption ends before it starts");
  }

  // An address a mailto: link takes as one recipient and nothing more: a
  // local part of letters, digits and . _ + -, and a domain of dot-separated
  // labels of letters, digits and - (non-ASCII letters allowed in both).
  static bool plain_email(std::string_view email) {
    const std::size_t at = email.find('@');
    if (at == 0 || at == std::string_view::npos || email.find('@', at + 1) != email.npos)
      return false;
    const auto is = [](char c, std::string_view more) {
      const auto b = static_cast<unsigned char>(c);
      return b >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
             (c >= '0' && c <= '9') || more.find(c) != std::string_view::npos;
    };
    const std::string_view local = email.substr(0, at), domain = email.substr(at + 1);
    if (!std::all_of(local.begin(), local.end(), [&](char c) { return is(c, "._+-"); }))
      return false;
    std::size_t start = 0;
    for (;;) {  // each label non-empty
      const std::size_t dot = domain.find('.', start);
      const std::string_view label = domain.substr(start, dot - start);
      if (label.empty() ||
          !std::all_of(label.begin(), label.end(), [&](char c) { return is(c, "-"); }))
        return false;
      if (dot == std::string_view::npos) return true;
      start = dot + 1;
    }
  }

  // "contact": whom customers ask, as the notice shows it. The e-mail address
  // and the URL become links: they must be what they say they are.
  void contact(const json& j, Policy& p) {
    const std::string ptr = "/contact";
    if (!r_.object(j, ptr,
                   {{"name", false},
                    {"email", false},
                    {"phone", false},
                    {"hours", false},
                    {"url", false}}))
      return;
    Contact c;
    c.name = text(j, ptr, "name").value_or("");
    c.email = r_.string(j, ptr, "email").value_or("");
    c.phone = r_.string(j, ptr, "phone").value_or("");
    c.hours = text(j, ptr, "hours").value_or("");
    c.url = r_.string(j, ptr, "url").value_or("");
    const auto plain = [](const std::string& text) {
      return text.find_first_of(" \t\"'<>\\`") == std::string::npos;
    };
    if (!c.email.empty() && !plain_email(c.email))
      r_.diags().error(ptr + "/email", "not a plain e-mail address: " + quote(c.email),
                       "LOCAL@DOMAIN of letters, digits and . _ + - (the domain's labels "
                       "letters, digits and -), e.g. support@isp.example: nothing a mailto: "
                       "link would read as more recipients or headers");
    if (!c.url.empty() && (!(c.url.starts_with("https://") || c.url.starts_with("http://")) ||
                           c.url.find("://") + 3 == c.url.size() || !plain(c.url)))
      r_.diags().error(ptr + "/url", "not a web address: " + quote(c.url),
                       "an http:// or https:// address without spaces or quotes");
    p.contact = std::move(c);
  }

  void submission(const json& j, Submission& s) {
    const std::string ptr = "/submission";
    if (!r_.object(j, ptr, {{"ports", false}, {"effective", false}, {"hostname", false}})) return;
    if (auto ports = r_.ports(j, ptr, "ports")) s.ports = *ports;
    s.effective = time(j, ptr, "effective", zone_);
    s.hostname = r_.string(j, ptr, "hostname").value_or("");
  }

  void monitoring(const json& j, Monitoring& m) {
    const std::string ptr = "/monitoring";
    if (!r_.object(j, ptr, {{"retention_days", false}, {"max_sources", false}})) return;
    if (auto n = r_.integer(j, ptr, "retention_days")) {
      if (*n < 1 || *n > kMaxRetentionDays)
        r_.diags().error(ptr + "/retention_days",
                         "retention_days " + std::to_string(*n) + " is out of range",
                         "between 1 and " + std::to_string(kMaxRetentionDays) + " days");
      else
        m.retention_days = *n;
    }
    if (auto n = r_.integer(j, ptr, "max_sources")) {
      if (*n < 1 || static_cast<std::uint64_t>(*n) > kMaxMaxSources)
        r_.diags().error(ptr + "/max_sources",
                         "max_sources " + std::to_string(*n) + " is out of range",
                         "between 1 and " + std::to_string(kMaxMaxSources) + " sources a set");
      else
        m.max_sources = static_cast<std::size_t>(*n);
    }
  }

  void phase(const json& j, const std::string& ptr, Phase& ph) {
    if (!r_.object(j, ptr,
                   {{"id", true},
                    {"name", false},
                    {"description", false},
                    {"monitor_from", false},
                    {"effective", true},
                    {"until", false},
                    {"scope", false},
                    {"block", true}}))
      return;
    ph.id = id(j, ptr);
    ph.pointer = ptr;
    ph.name = text(j, ptr, "name").value_or("");
    text(j, ptr, "description", true);
    ph.monitor_from = time(j, ptr, "monitor_from", zone_);
    ph.effective = time(j, ptr, "effective", zone_);
    ph.until = time(j, ptr, "until", zone_);
    if (ph.effective && ph.until && *ph.until <= *ph.effective)
      r_.diags().error(ptr + "/until", "phase ends before it starts");
    if (ph.monitor_from && ph.effective && *ph.monitor_from >= *ph.effective)
      r_.diags().error(ptr + "/monitor_from", "the monitor period ends before it starts",
                       "monitor_from must come before effective, when the phase starts blocking");
    if (j.contains("scope")) scope(j["scope"], ptr + "/scope", ph.scope);
    block(j, ptr, ph);
  }

  void scope(const json& j, const std::string& ptr, Scope& s) {
    if (!r_.object(j, ptr, {{"services", false}, {"regions", false}, {"pools", false}})) return;
    s.services = r_.strings(j, ptr, "services");
    s.regions = r_.strings(j, ptr, "regions");
    s.pools = r_.strings(j, ptr, "pools");
    for (const auto* key : {"services", "regions", "pools"}) {
      if (j.contains(key) && j[key].is_array() && j[key].empty())
        r_.diags().error(pointer_append(ptr, key), "empty list selects nothing",
                         "leave the key out to select every pool");
    }
  }

  void router(const json& j, const std::string& ptr, Router& r) {
    if (!r_.object(j, ptr, {{"id", true}, {"description", false}, {"scope", true}})) return;
    r.id = id(j, ptr);
    text(j, ptr, "description", true);
    if (j.contains("scope")) scope(j["scope"], ptr + "/scope", r.scope);
  }

  void block(const json& j, const std::string& ptr, Phase& ph) {
    if (!j.contains("block")) return;
    const json& b = j["block"];
    const std::string here = ptr + "/block";
    if (b.is_string()) {
      if (b.get_ref<const std::string&>() == "all")
        ph.block_all = true;
      else
        r_.diags().error(here, "block must be \"all\" or a list of destination ids",
                         "to block one destination group write [\"" + b.get<std::string>() + "\"]");
      return;
    }
    if (!b.is_array()) {
      r_.diags().error(here, "expected \"all\" or an array of destination ids, found " +
                                 std::string{type_name(b)});
      return;
    }
    if (b.empty()) r_.diags().error(here, "block list is empty", "write \"all\" or list ids");
    ph.block = r_.strings(j, ptr, "block").value_or(std::vector<std::string>{});
  }

  FieldReader r_;
  const date::time_zone* zone_;
  std::unordered_map<std::string, PrefixArray>& arrays_;
  std::map<std::string, std::map<std::string, std::string>, std::less<>> translations_;
  PrefixFiles* files_;
  std::vector<std::shared_ptr<const net::Prefixes>> file_storage_;
  std::vector<DropIn>* dropins_ = nullptr;
  static constexpr std::string_view kWrapped = "/exemptions/0";

 public:
  void collect_dropins(std::vector<DropIn>* dropins) { dropins_ = dropins; }
};

}  // namespace

Policy parse(Document& doc, Diagnostics& diags, PrefixFiles* files, std::vector<DropIn>* dropins) {
  const json& document = doc.json;
  // Dates need the zone first; an unknown zone was reported and dates then
  // fall back to UTC so their syntax is still checked.
  const date::time_zone* zone = nullptr;
  if (document.is_object() && document.contains("timezone") && document["timezone"].is_string())
    zone = find_zone(document["timezone"].get<std::string>());
  Parser parser(diags, zone, doc.prefix_arrays, files);
  parser.collect_dropins(dropins);
  Policy policy = parser.run(document);
  policy.prefix_storage = doc.prefixes;
  return policy;
}

void parse_dropins(std::vector<DropIn>& dropins, PrefixFiles& files, const date::time_zone* zone,
                   std::vector<std::shared_ptr<const net::Prefixes>>& storage) {
  for (DropIn& d : dropins) Parser::dropin(d, files, zone, storage);
}

}  // namespace op25bc::policy
