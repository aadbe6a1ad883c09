// SPDX-License-Identifier: GPL-2.0-or-later
// The customer notice (op25bc notice): what an ISP publishes before a
// rollout, written from the same model as the ruleset, so the page and the
// firewall never disagree. Two steps: the facts of the policy become one
// document (sections of paragraphs, lists, tables, the yes/no chart and the
// timeline picture, in English or Japanese), and the document is written as
// self-contained HTML (inline CSS and SVG) or as Markdown (the same facts,
// without the picture). Every text from the policy is escaped by the
// writer's own rules.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "op25bc/policy/model.h"
#include "op25bc/time/instant.h"

namespace op25bc::notice {

enum class Lang { en, ja };
enum class Format { html, markdown };

// A policy text in another language than the document's (a text given by
// language, but not in this one) is marked inside any text of the document:
// kOtherLanguage, its language tag, kOtherLanguageText, the text,
// kOtherLanguageEnd. The HTML writer makes it a span with that lang; the
// others drop the marks. Policy texts never hold these control characters.
inline constexpr char kOtherLanguage = '\x01';
inline constexpr char kOtherLanguageText = '\x02';
inline constexpr char kOtherLanguageEnd = '\x03';

// A run of text, or a link (an e-mail address or the contact URL).
struct Span {
  std::string text;
  std::string href;       // "" for plain text
  bool unbroken = false;  // never broken across lines (a date)
};
using Line = std::vector<Span>;

// One step of the rollout as the picture draws it.
struct Bar {
  std::string label;
  std::string detail;  // the services it concerns, written in the bar
  Instant from;
  std::optional<Instant> until;
};

struct Block {
  enum class Kind { paragraph, list, table, chart, picture };
  Kind kind = Kind::paragraph;
  std::vector<Line> lines = {};              // paragraph: one; list: items; chart: questions
  std::vector<std::string> header = {};      // table
  std::vector<std::vector<Line>> rows = {};  // table: cells; chart: per question, no and yes
  std::vector<bool> done = {};               // table: per row, already happened (--at)
  std::vector<Bar> bars = {};                // picture
  std::vector<std::pair<Instant, std::string>> marks = {};  // picture: single instants
};

struct Section {
  std::string id;  // the HTML anchor
  std::string heading;
  std::vector<Block> blocks;
};

struct Document {
  Lang lang = Lang::en;
  std::string title;
  std::string lead;
  std::vector<Section> sections;
  std::string footer;
  const date::time_zone* zone = nullptr;  // the picture's dates
  // The JSON pointers of the policy's texts given by language but not in
  // this one (their default text is shown), sorted.
  std::vector<std::string> missing;
};

// The notice of `policy` (narrowed to a router's pools, if it was), with
// what has happened by `at` marked as done.
Document build(const policy::Policy& policy, Lang lang, std::optional<Instant> at);

// A date as the notice writes it: "October 1, 2006", "2006年10月1日"; with the
// time of day when the instant is not local midnight.
std::string date_text(Instant t, const date::time_zone* zone, Lang lang);

std::string to_html(const Document& d);
std::string to_markdown(const Document& d);

}  // namespace op25bc::notice
