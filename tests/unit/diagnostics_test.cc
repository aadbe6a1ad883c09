// SPDX-License-Identifier: GPL-2.0-or-later
#include <doctest/doctest.h>

#include "op25bc/diag/diagnostics.h"

using namespace op25bc;

TEST_CASE("diagnostics print as FILE: POINTER: severity: message, hint indented") {
  Diagnostics d;
  d.error("/pools/3/prefixes/2", "prefix \"198.18.0.1/20\" has host bits set",
          "the network address is 198.18.0.0/20");
  d.warning("/phases/0/effective", "early");
  d.syntax_error(3, 7, "malformed JSON: unexpected '}'");
  d.error("", "cannot read policy: No such file or directory");
  REQUIRE(d.entries().size() == 4);
  CHECK(d.error_count() == 3);
  CHECK(d.warning_count() == 1);
  CHECK(format_diagnostic(d.entries()[0], "p.json") ==
        "p.json: /pools/3/prefixes/2: error: prefix \"198.18.0.1/20\" has host bits set\n"
        "  hint: the network address is 198.18.0.0/20\n");
  CHECK(format_diagnostic(d.entries()[1], "p.json") ==
        "p.json: /phases/0/effective: warning: early\n");
  CHECK(format_diagnostic(d.entries()[2], "p.json") ==
        "p.json:3:7: error: malformed JSON: unexpected '}'\n");
  CHECK(format_diagnostic(d.entries()[3], "p.json") ==
        "p.json: error: cannot read policy: No such file or directory\n");
}

TEST_CASE("JSON pointers escape ~ and /") {
  CHECK(pointer_append("", "pools") == "/pools");
  CHECK(pointer_append("/pools", std::size_t{3}) == "/pools/3");
  CHECK(pointer_append("/x", "a/b~c") == "/x/a~1b~0c");
}

TEST_CASE("did you mean: close names only") {
  CHECK(did_you_mean("prefixs", {"id", "prefixes", "service"}) == "prefixes");
  CHECK(did_you_mean("efective", {"effective", "until"}) == "effective");
  CHECK(did_you_mean("zzzzzz", {"id", "prefixes"}).empty());
}

TEST_CASE("a diagnostic names every place it concerns, each on its own line") {
  Diagnostics diags;
  diags.error("/pools/2/id", "duplicate pool id \"tokyo\"", "each pool needs an id of its own");
  diags.note("/pools/0/id", "first defined here");
  REQUIRE(diags.entries().size() == 1);
  CHECK(format_diagnostic(diags.entries()[0], "p.json") ==
        "p.json: /pools/2/id: error: duplicate pool id \"tokyo\"\n"
        "p.json: /pools/0/id: note: first defined here\n"
        "  hint: each pool needs an id of its own\n");
}
