// SPDX-License-Identifier: GPL-2.0-or-later
// notice: the customer notice of the policy, in English or Japanese, as one
// self-contained HTML page or as Markdown.
#include "commands.h"
#include "op25bc/notice/notice.h"
#include "support.h"

namespace op25bc::cli {

int run_notice(const NoticeArgs& args, Io io) {
  const Loaded loaded = load(args.policy, io, args.router);
  if (!loaded.policy) return kExitFailure;
  std::optional<Instant> at;
  if (args.at) {
    at = parse_at(args.at, *loaded.policy, io);
    if (!at) return kExitUsage;
  }
  const notice::Document d =
      notice::build(*loaded.policy, args.lang == "ja" ? notice::Lang::ja : notice::Lang::en, at);
  // A text the policy gives by language, but not in this one.
  Diagnostics missing;
  for (const std::string& pointer : d.missing)
    missing.warning(pointer, "has no \"" + args.lang + "\" text; the notice shows its default one",
                    "add \"" + args.lang + "\": \"...\" beside the other languages");
  for (const Diagnostic& diag : missing.entries()) io.err << format_diagnostic(diag, args.policy);
  const std::string text = args.format == "markdown" ? notice::to_markdown(d) : notice::to_html(d);
  return write_output(args.output, text, io) ? kExitOk : kExitFailure;
}

}  // namespace op25bc::cli
