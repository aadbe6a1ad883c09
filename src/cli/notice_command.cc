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
  const std::string text = args.format == "markdown" ? notice::to_markdown(d) : notice::to_html(d);
  return write_output(args.output, text, io) ? kExitOk : kExitFailure;
}

}  // namespace op25bc::cli
