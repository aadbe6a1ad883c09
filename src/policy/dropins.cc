// SPDX-License-Identifier: GPL-2.0-or-later
#include "dropins.h"

#include <algorithm>
#include <map>

#include "op25bc/policy/check.h"

namespace op25bc::policy {

namespace {

// The file's diagnostics, as they are.
void forward(const Diagnostics& from, Diagnostics& to) {
  for (const Diagnostic& d : from.entries()) {
    to.report(d.severity, {d.pointer, d.file, d.line}, d.message, d.hint);
    for (const Related& r : d.related) to.note(r.where, r.note);
  }
}

// One warning for a file left out, quoting its first error.
void skip(const DropIn& d, Diagnostics& to) {
  for (const Diagnostic& w : d.diags.entries())
    if (w.severity == Severity::warning)
      to.report(w.severity, {w.pointer, w.file, w.line}, w.message, w.hint);
  const auto& all = d.diags.entries();
  const auto first = std::find_if(
      all.begin(), all.end(), [](const Diagnostic& e) { return e.severity == Severity::error; });
  const std::size_t more = d.diags.error_count() - 1;
  to.report(
      Severity::warning, {"", d.display},
      "drop-in exemption skipped: " + (first->pointer.empty() ? "" : first->pointer + ": ") +
          first->message +
          (more ? " (and " + std::to_string(more) + " more problem" + (more == 1 ? "" : "s") + ")"
                : ""),
      "the other exemptions are enforced; op25bc validate lists every problem, and "
      "--strict makes apply and activate refuse instead");
}

}  // namespace

void admit_dropins(Policy& p, std::vector<DropIn>& dropins, DropIns mode, Diagnostics& diags) {
  std::map<std::string, Location> ids;  // the exemptions admitted so far, by id
  for (std::size_t x = 0; x < p.exemptions.size(); ++x)
    if (!p.exemptions[x].id.empty())
      ids.try_emplace(p.exemptions[x].id, exemption_place(p, x, "/id"));
  for (DropIn& d : dropins) {
    if (d.exemption) {
      d.exemption->file = d.display;
      if (const auto other = ids.find(d.exemption->id); other != ids.end()) {
        d.diags.report(Severity::error, {"/id", d.display},
                       "duplicate exemption id \"" + d.exemption->id + "\"",
                       "each exemption needs an id of its own, across the policy and its "
                       "drop-in files");
        d.diags.note(other->second, "first defined here");
      } else {
        p.exemptions.push_back(*d.exemption);
        check_exemption_prefixes(p, p.exemptions.size() - 1, d.diags);
        if (d.diags.has_errors()) p.exemptions.pop_back();
      }
    }
    if (!d.diags.has_errors()) {
      d.admitted = true;
      forward(d.diags, diags);
      ids.try_emplace(d.exemption->id, Location{"/id", d.display});
    } else if (mode == DropIns::strict) {
      forward(d.diags, diags);
    } else {
      skip(d, diags);
      p.skipped_dropins.push_back({d.display, d.exemption ? d.exemption->id : std::string{}});
    }
  }
}

}  // namespace op25bc::policy

namespace op25bc::policy {

std::vector<std::string> Policy::skipped_files() const {
  std::vector<std::string> files;
  files.reserve(skipped_dropins.size());
  for (const SkippedDropIn& s : skipped_dropins) files.push_back(s.file);
  return files;
}

}  // namespace op25bc::policy
