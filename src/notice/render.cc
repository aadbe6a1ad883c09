// SPDX-License-Identifier: GPL-2.0-or-later
// The notice's writers: one self-contained HTML page (inline CSS, the
// timeline as inline SVG, nothing loaded from elsewhere) and Markdown (the
// same blocks, without the picture). Text goes through text::html_text or
// text::markdown_text; nothing from the policy is written any other way.
#include <algorithm>
#include <cstdio>

#include <date/tz.h>

#include "op25bc/notice/notice.h"
#include "op25bc/text/escape.h"

namespace op25bc::notice {

namespace {

using text::html_text;
using text::markdown_text;

constexpr const char* kStyle =
    R"(body{margin:0;background:#f4f6f8;color:#1d2733;font:16px/1.6 system-ui,sans-serif}
main{max-width:52rem;margin:0 auto;padding:1.5rem 2rem;background:#fff}
h1{font-size:1.7rem;line-height:1.3;color:#0b3d6e;border-bottom:4px solid #1f6fb2;padding-bottom:.4rem}
h2{font-size:1.25rem;color:#0b3d6e;margin-top:2rem;border-left:6px solid #1f6fb2;padding-left:.5rem}
p.lead{font-size:1.05rem;background:#eaf2fa;padding:.8rem 1rem;border-radius:6px}
table{border-collapse:collapse;width:100%}
th,td{border:1px solid #c8d3de;padding:.4rem .6rem;text-align:left;vertical-align:top}
th{background:#dbe7f3}
tr.done td{color:#5b6b7a;background:#f0f0f0}
ol.chart>li{margin:.6rem 0}
ol.chart ul{list-style:none;padding-left:1rem}
li.no{color:#2e7d32}
li.yes{color:#b23c17}
figure{margin:1rem 0}
svg{width:100%;height:auto;background:#fbfcfd;border:1px solid #dde4ea}
svg text{paint-order:stroke;stroke:#fbfcfd;stroke-width:3px;stroke-linejoin:round}
footer{margin-top:2rem;font-size:.9rem;color:#5b6b7a}
.nb{white-space:nowrap})";

constexpr const char* kColours[] = {"#1f6fb2", "#d9822b", "#2e8b57",
                                    "#8e44ad", "#c0392b", "#16a085"};

// A policy text in another language than the page's comes marked by the
// document (notice.h, kOtherLanguage...): in HTML it is a span with its
// lang; everywhere else (Markdown, the picture) the marks are dropped. No
// policy text holds the marks' control characters: validate refuses them.
std::string html_marked(std::string_view text) {
  std::string out;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t mark = text.find_first_of(std::string_view{"\x01\x03", 2}, at);
    out += html_text(std::string{text.substr(at, mark - at)});
    if (mark == std::string_view::npos) break;
    if (text[mark] == kOtherLanguageEnd) {
      out += "</span>";
      at = mark + 1;
      continue;
    }
    const std::size_t tag_end = text.find(kOtherLanguageText, mark);
    out +=
        "<span lang=\"" + html_text(std::string{text.substr(mark + 1, tag_end - mark - 1)}) + "\">";
    at = tag_end == std::string_view::npos ? text.size() : tag_end + 1;
  }
  return out;
}

std::string unmarked(std::string_view text) {
  std::string out;
  for (std::size_t at = 0; at < text.size();) {
    const std::size_t mark = text.find_first_of(std::string_view{"\x01\x03", 2}, at);
    out += text.substr(at, mark - at);
    if (mark == std::string_view::npos) break;
    if (text[mark] == kOtherLanguageEnd) {
      at = mark + 1;
      continue;
    }
    const std::size_t tag_end = text.find(kOtherLanguageText, mark);
    at = tag_end == std::string_view::npos ? text.size() : tag_end + 1;
  }
  return out;
}

std::string html_line(const Line& line) {
  std::string out;
  for (const Span& s : line)
    out += !s.href.empty() ? "<a href=\"" + html_text(s.href) + "\">" + html_marked(s.text) + "</a>"
           : s.unbroken    ? "<span class=\"nb\">" + html_marked(s.text) + "</span>"
                           : html_marked(s.text);
  return out;
}

std::string number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

// A month as the date axis writes it: "Jun 2006", "2006年6月".
std::string month_text(date::year_month ym, Lang lang) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const int y = static_cast<int>(ym.year());
  const unsigned m = static_cast<unsigned>(ym.month());
  return lang == Lang::en ? std::string{kMonths[m - 1]} + " " + std::to_string(y)
                          : std::to_string(y) + "年" + std::to_string(m) + "月";
}

// A bar's dates: "from June 1, 2006", "June 1 – September 30, 2006" (as two
// dates), "2006年6月1日から".
std::string bar_dates(const Bar& bar, const Document& d) {
  const std::string from = date_text(bar.from, d.zone, d.lang);
  if (!bar.until) return d.lang == Lang::en ? "from " + from : from + "から";
  const std::string until = date_text(*bar.until, d.zone, d.lang);
  return d.lang == Lang::en ? from + " to " + until : from + "〜" + until;
}

// The rollout as a picture. Each bar has a row of its own: its label and
// dates on one line, the customers it concerns on the next, the bar below
// them on the shared time scale; the date axis (months) runs under the
// rows, and each single instant (the submission port's opening) is a
// dashed line with its label on a line of its own under the axis. No text
// shares a line with another, so none can overlap.
std::string svg(const Block& b, const Document& d) {
  const double width = 800, left = 12, right = 788, line = 18, top = 8;
  const double row = 2 * line + 22;
  Instant first = b.bars.front().from, last = first;
  for (const Bar& bar : b.bars) {
    first = std::min(first, bar.from);
    last = std::max({last, bar.from, bar.until.value_or(bar.from)});
  }
  for (const auto& [at, label] : b.marks) {
    first = std::min(first, at);
    last = std::max(last, at);
  }
  // From the first of the first month; room after the last date for bars
  // that do not end.
  const auto local = [&](Instant t) {
    return d.zone != nullptr ? d.zone->to_local(t) : date::local_seconds{t.time_since_epoch()};
  };
  const auto instant = [&](date::local_seconds t) {
    return d.zone != nullptr ? d.zone->to_sys(t, date::choose::earliest)
                             : Instant{t.time_since_epoch()};
  };
  const date::year_month_day first_day{date::floor<date::days>(local(first))};
  const date::year_month start_month = first_day.year() / first_day.month();
  first = instant(date::local_days{start_month / 1});
  const auto span = std::max(last - first, std::chrono::seconds{86400 * 60});
  last += span / 4;
  const auto x = [&](Instant t) {
    return left + (right - left) * static_cast<double>((t - first).count()) /
                      static_cast<double>((last - first).count());
  };
  const double axis = top + row * static_cast<double>(b.bars.size()) + 4;
  const double height = axis + 2 * line + line * static_cast<double>(b.marks.size()) + 6;
  const std::string title = d.lang == Lang::en ? "The rollout by date" : "実施スケジュールの図";
  // The same dates in words, for those who cannot see the picture.
  std::string desc;
  for (const Bar& bar : b.bars)
    desc += bar.label + (d.lang == Lang::en ? ": " : "：") + bar_dates(bar, d) +
            (bar.detail.empty()   ? ""
             : d.lang == Lang::en ? " (" + bar.detail + ")"
                                  : "（" + bar.detail + "）") +
            (d.lang == Lang::en ? ". " : "。");
  for (const auto& [at, label] : b.marks)
    desc += label + (d.lang == Lang::en ? ": " : "：") + date_text(at, d.zone, d.lang) +
            (d.lang == Lang::en ? ". " : "。");
  std::string out = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + number(width) +
                    " " + number(height) + "\" role=\"img\" aria-label=\"" +
                    html_text(unmarked(title + (d.lang == Lang::en ? ": " : "：") + desc)) +
                    "\">\n<title>" + html_text(title) + "</title>\n<desc>" +
                    html_text(unmarked(desc)) + "</desc>\n";
  // The month grid and axis first, under the bars.
  const double month_px =
      (right - left) * 30.44 * 86400 / static_cast<double>((last - first).count());
  const int step = month_px >= 90   ? 1
                   : month_px >= 45 ? 2
                   : month_px >= 30 ? 3
                   : month_px >= 15 ? 6
                                    : 12;
  int n = 0;
  for (date::year_month ym = start_month;; ym += date::months{1}, ++n) {
    const Instant at = instant(date::local_days{ym / 1});
    if (at > last) break;
    const double mx = x(at);
    out += "<line x1=\"" + number(mx) + "\" y1=\"" + number(top) + "\" x2=\"" + number(mx) +
           "\" y2=\"" + number(axis + 4) + "\" stroke=\"#dde4ea\" stroke-width=\"1\"/>\n";
    if (n % step != 0 || mx + 40 > right) continue;
    out += "<text x=\"" + number(mx + 3) + "\" y=\"" + number(axis + line) +
           "\" font-size=\"12\" fill=\"#44515e\">" + html_text(month_text(ym, d.lang)) +
           "</text>\n";
  }
  out += "<line x1=\"" + number(left) + "\" y1=\"" + number(axis) + "\" x2=\"" + number(right) +
         "\" y2=\"" + number(axis) + "\" stroke=\"#5b6b7a\" stroke-width=\"1\"/>\n";
  for (std::size_t i = 0; i < b.bars.size(); ++i) {
    const Bar& bar = b.bars[i];
    const double y = top + row * static_cast<double>(i);
    const double x0 = x(bar.from), x1 = bar.until ? x(*bar.until) : right;
    const char* colour = kColours[i % std::size(kColours)];
    out +=
        "<text x=\"" + number(left) + "\" y=\"" + number(y + 14) +
        "\" font-size=\"13\" font-weight=\"bold\" fill=\"#1d2733\">" +
        html_text(unmarked(bar.label + (d.lang == Lang::en ? " — " : "　") + bar_dates(bar, d))) +
        "</text>\n";
    if (!bar.detail.empty())
      out += "<text x=\"" + number(left) + "\" y=\"" + number(y + 14 + line) +
             "\" font-size=\"12\" fill=\"#44515e\">" + html_text(unmarked(bar.detail)) +
             "</text>\n";
    out += "<rect x=\"" + number(x0) + "\" y=\"" + number(y + 2 * line + 4) + "\" width=\"" +
           number(std::max(x1 - x0, 2.0)) + "\" height=\"12\" rx=\"4\" fill=\"" + colour + "\"" +
           (bar.until ? "" : " opacity=\"0.85\"") + "/>\n";
  }
  for (std::size_t k = 0; k < b.marks.size(); ++k) {
    const auto& [at, label] = b.marks[k];
    const double mx = x(at);
    const double ty = axis + line * static_cast<double>(k + 2);
    out += "<line x1=\"" + number(mx) + "\" y1=\"" + number(top) + "\" x2=\"" + number(mx) +
           "\" y2=\"" + number(ty - 12) +
           "\" stroke=\"#2e7d32\" stroke-width=\"2\" stroke-dasharray=\"5 4\"/>\n";
    const bool late = mx > (left + right) / 2;
    out += "<text x=\"" + number(late ? mx - 4 : mx + 4) + "\" y=\"" + number(ty) + "\"" +
           (late ? " text-anchor=\"end\"" : "") + " font-size=\"12\" fill=\"#2e7d32\">" +
           html_text(unmarked(label + (d.lang == Lang::en ? ": " : "：") +
                              date_text(at, d.zone, d.lang))) +
           "</text>\n";
  }
  out += "</svg>";
  return out;
}

std::string html_block(const Block& b, const Document& d) {
  std::string out;
  switch (b.kind) {
    case Block::Kind::paragraph:
      for (const Line& l : b.lines) out += "<p>" + html_line(l) + "</p>\n";
      break;
    case Block::Kind::list:
      out += "<ul>\n";
      for (const Line& l : b.lines) out += "<li>" + html_line(l) + "</li>\n";
      out += "</ul>\n";
      break;
    case Block::Kind::table:
      out += "<table>\n<thead><tr>";
      for (const auto& h : b.header) out += "<th scope=\"col\">" + html_marked(h) + "</th>";
      out += "</tr></thead>\n<tbody>\n";
      for (std::size_t r = 0; r < b.rows.size(); ++r) {
        out += r < b.done.size() && b.done[r] ? "<tr class=\"done\">" : "<tr>";
        for (const Line& cell : b.rows[r]) out += "<td>" + html_line(cell) + "</td>";
        out += "</tr>\n";
      }
      out += "</tbody>\n</table>\n";
      break;
    case Block::Kind::chart:
      out += "<ol class=\"chart\">\n";
      for (std::size_t q = 0; q < b.lines.size(); ++q) {
        out += "<li><p>" + html_line(b.lines[q]) + "</p>\n<ul>\n";
        out += "<li class=\"no\">" + html_line(b.rows[q][0]) + "</li>\n";
        out += "<li class=\"yes\">" + html_line(b.rows[q][1]) + "</li>\n";
        out += "</ul></li>\n";
      }
      out += "</ol>\n";
      break;
    case Block::Kind::picture:
      out += "<figure>\n" + svg(b, d) + "\n</figure>\n";
      break;
  }
  return out;
}

std::string markdown_line(const Line& line) {
  std::string out;
  for (const Span& s : line)
    out += s.href.empty() ? markdown_text(unmarked(s.text))
                          : "[" + markdown_text(unmarked(s.text)) + "](<" + s.href + ">)";
  return out;
}

std::string markdown_block(const Block& b) {
  std::string out;
  switch (b.kind) {
    case Block::Kind::paragraph:
      for (const Line& l : b.lines) out += markdown_line(l) + "\n\n";
      break;
    case Block::Kind::list:
      for (const Line& l : b.lines) out += "- " + markdown_line(l) + "\n";
      out += "\n";
      break;
    case Block::Kind::table:
      out += "|";
      for (const auto& h : b.header) out += " " + markdown_text(unmarked(h)) + " |";
      out += "\n|";
      for (std::size_t i = 0; i < b.header.size(); ++i) out += " --- |";
      out += "\n";
      for (const auto& r : b.rows) {
        out += "|";
        for (const Line& cell : r) out += " " + markdown_line(cell) + " |";
        out += "\n";
      }
      out += "\n";
      break;
    case Block::Kind::chart:
      for (std::size_t q = 0; q < b.lines.size(); ++q) {
        out += std::to_string(q + 1) + ". " + markdown_line(b.lines[q]) + "\n";
        out += "   - " + markdown_line(b.rows[q][0]) + "\n";
        out += "   - " + markdown_line(b.rows[q][1]) + "\n";
      }
      out += "\n";
      break;
    case Block::Kind::picture:  // the schedule's table says it in words
      break;
  }
  return out;
}

}  // namespace

std::string to_html(const Document& d) {
  std::string out = "<!DOCTYPE html>\n<html lang=\"";
  out += d.lang == Lang::en ? "en" : "ja";
  out +=
      "\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
      html_text(unmarked(d.title)) + "</title>\n<style>\n" + kStyle +
      "\n</style>\n</head>\n<body>\n<main>\n";
  out +=
      "<h1>" + html_marked(d.title) + "</h1>\n<p class=\"lead\">" + html_marked(d.lead) + "</p>\n";
  for (const Section& s : d.sections) {
    out += "<section id=\"" + html_text(s.id) + "\">\n<h2>" + html_text(s.heading) + "</h2>\n";
    for (const Block& b : s.blocks) out += html_block(b, d);
    out += "</section>\n";
  }
  out += "<footer><p>" + html_marked(d.footer) + "</p></footer>\n</main>\n</body>\n</html>\n";
  return out;
}

std::string to_markdown(const Document& d) {
  std::string out =
      "# " + markdown_text(unmarked(d.title)) + "\n\n" + markdown_text(unmarked(d.lead)) + "\n\n";
  for (const Section& s : d.sections) {
    out += "## " + markdown_text(s.heading) + "\n\n";
    for (const Block& b : s.blocks) out += markdown_block(b);
  }
  out += markdown_text(unmarked(d.footer)) + "\n";
  return out;
}

}  // namespace op25bc::notice
