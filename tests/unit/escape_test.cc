// SPDX-License-Identifier: GPL-2.0-or-later
#include <doctest/doctest.h>

#include "op25bc/text/escape.h"

using namespace op25bc;

TEST_CASE("free text: controls, separators and bidi formatting are forbidden, other text is not") {
  CHECK_FALSE(text::find_forbidden("NetLaputa B FLET'S \"quoted\" $x 100% } ; \\"));
  CHECK_FALSE(text::find_forbidden("日本語のプロバイダ"));
  const auto nl = text::find_forbidden("ab\ncd");
  REQUIRE(nl);
  CHECK(nl->offset == 2);
  CHECK(text::describe(*nl) == "U+000A (line feed)");
  CHECK(text::describe(*text::find_forbidden(std::string("a\0b", 3))) == "U+0000 (NUL)");
  CHECK(text::describe(*text::find_forbidden("x\xc2\x85")) == "U+0085 (control character)");
  CHECK(text::describe(*text::find_forbidden("x\u202e")) ==
        "U+202E (bidirectional formatting character)");
  CHECK(text::describe(*text::find_forbidden("x\u2028")) == "U+2028 (line or paragraph separator)");
  CHECK(text::describe(*text::find_forbidden("x\xff")) == "byte 0xFF (not UTF-8)");
  CHECK(text::find_forbidden("\xc0\xaf"));      // overlong '/'
  CHECK(text::find_forbidden("\xed\xa0\x80"));  // a surrogate
}

TEST_CASE("printable writes forbidden characters as escapes, nothing else changes") {
  CHECK(text::printable("a\nb\r\x7f") == "a\\u{000A}b\\u{000D}\\u{007F}");
  CHECK(text::printable("x\u202ey\xff") == "x\\u{202E}y\\xFF");
  CHECK(text::printable("日本 \"q\" \\") == "日本 \"q\" \\");
  CHECK(text::comment_line("ends in \\") == "ends in \\x5C");
}

TEST_CASE("truncation never splits a character") {
  CHECK(text::truncate_utf8("abc", 5) == "abc");
  CHECK(text::truncate_utf8("a日本", 3) == "a");  // 日 is 3 bytes: 1 + 3 > 3
  CHECK(text::truncate_utf8("a日本", 4) == "a日");
  CHECK(text::truncate_utf8("a日本", 6) == "a日");
}

TEST_CASE("each writer quotes by its own rules") {
  CHECK(text::html_text("<a href=\"x\">'&'</a>") ==
        "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  CHECK(text::markdown_text("[x](javascript:y) *b* `c` <i> a|b # & \\ 1. ok") ==
        "\\[x\\](javascript:y) \\*b\\* \\`c\\` \\<i\\> a\\|b \\# \\& \\\\ 1. ok");
  CHECK(text::markdown_text("1. first") == "1\\. first");
  CHECK(text::markdown_text("2006) x") == "2006\\) x");
  CHECK(text::markdown_text("- a") == "\\- a");
  CHECK(text::markdown_text("+ a") == "\\+ a");
  CHECK(text::markdown_text("---") == "\\---");
  CHECK(text::markdown_text("    code") == "&#32;&#32;&#32;&#32;code");
  CHECK(text::markdown_text("see https://x.example or www.x.example") ==
        "see https\\://x.example or www\\.x.example");
  CHECK(text::markdown_text("a - b 1. c") == "a - b 1. c");
  CHECK(text::nft_quoted("say \"hi\"\n") == "\"say 'hi'\\u{000A}\"");
  CHECK(text::shell_word("it's") == "'it'\\''s'");
  CHECK(text::cron_word("/a b/100%") == "'/a b/100\\%'");
  CHECK(text::systemd_word("/a b/%d $HOME \"q\" \\") == "\"/a b/%%d $$HOME \\\"q\\\" \\\\\"");
  CHECK(text::systemd_executable("/opt/$x/%d") == "\"/opt/$x/%%d\"");
  CHECK(text::systemd_executable_ok("/opt/a b/op25bc"));
  CHECK_FALSE(text::systemd_executable_ok("/opt/it's/op25bc"));
}
