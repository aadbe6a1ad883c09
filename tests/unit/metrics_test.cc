// SPDX-License-Identifier: GPL-2.0-or-later
// Prometheus text: names, labels escaped by the exposition format's rules,
// families left out when their source is unknown.
#include "op25bc/report/metrics.h"

#include <doctest/doctest.h>

#include "support/policies.h"

using namespace op25bc;

namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("metrics: counters by phase id, set sizes, timestamps and the policy in force") {
  const auto policy = test::load_example("spinnet");
  report::MetricsInput in;
  in.now = test::at(policy, "2007-03-20");
  in.table = "op25b";
  backend::Status s;
  s.table = "op25b";
  s.active_phases = {"mobile", "all"};
  s.counters = {{"mobile", "phase_mobile", 3, 180}, {"all", "phase_all", 12, 720}};
  s.sets = {{"smarthost4", 1}, {"phase_all_src4_0a000_17", 5}, {"phase_all_src4_0a800_17", 2}};
  in.status = s;
  in.history.entries.push_back(
      {"2006-10-01T00:00:05Z", "", "0123456789abcdef", "activate", "", {}, true, 5, ""});
  in.policy = &policy;
  in.fingerprint = "0123456789abcdef";
  const std::string text = report::prometheus_text(in);
  CHECK(has_line(text, "# TYPE op25bc_blocked_packets_total counter"));
  CHECK(has_line(text, "op25bc_blocked_packets_total{phase=\"all\"} 12"));
  CHECK(has_line(text, "op25bc_blocked_bytes_total{phase=\"mobile\"} 180"));
  CHECK(has_line(text, "op25bc_set_elements{set=\"phase_all_src4\"} 7"));  // slices summed
  CHECK(has_line(text, "op25bc_last_apply_timestamp_seconds 1159660805"));
  CHECK(has_line(text, "op25bc_activate_lateness_seconds 5"));
  CHECK(has_line(text, "op25bc_policy_info{fingerprint=\"0123456789abcdef\",pinned=\"false\"} 1"));
  // SpinNet's business exemption ends on 2007-03-31 (Tokyo): within 14 days.
  CHECK(has_line(text, "op25bc_exemptions_expiring{within_days=\"14\"} 1"));
  CHECK(text.find("op25bc_exemption_expiry_timestamp_seconds{exemption=") != std::string::npos);
  CHECK(text.find("op25bc_next_boundary_timestamp_seconds") != std::string::npos);
  // Without a kernel reading, the table's families are left out, not zero.
  in.kernel_read = false;
  in.status.reset();
  const std::string blind = report::prometheus_text(in);
  CHECK(blind.find("op25bc_table_present") == std::string::npos);
  CHECK(blind.find("op25bc_blocked_packets_total") == std::string::npos);
}

TEST_CASE("metrics: label values are escaped, so no text adds a sample") {
  CHECK(report::label_value("a\"b\\c\nop25bc_fake 1") == "a\\\"b\\\\c\\nop25bc_fake 1");
  report::MetricsInput in;
  in.table = "t\n";
  in.kernel_read = true;
  const std::string text = report::prometheus_text(in);
  CHECK(has_line(text, "op25bc_table_present{table=\"t\\n\"} 0"));
}

TEST_CASE("metrics: the RADIUS follower's records, skips, times and lag; none without one") {
  report::MetricsInput in;
  in.now = Instant{std::chrono::seconds{1796680400}};
  in.table = "op25b";
  CHECK(report::prometheus_text(in).find("op25bc_radius_") == std::string::npos);
  in.follower = report::MetricsInput::Follower{120, 3, 1796680290, 1796680300, 0};
  std::string text = report::prometheus_text(in);
  CHECK(has_line(text, "# TYPE op25bc_radius_records_total counter"));
  CHECK(has_line(text, "op25bc_radius_records_total 120"));
  CHECK(has_line(text, "op25bc_radius_skipped_total 3"));
  CHECK(has_line(text, "op25bc_radius_last_record_timestamp_seconds 1796680290"));
  CHECK(has_line(text, "op25bc_radius_last_batch_timestamp_seconds 1796680300"));
  CHECK(has_line(text, "op25bc_radius_behind_bytes 0"));
  CHECK(has_line(text, "op25bc_radius_lag_seconds 0"));  // all read: no lag, however idle
  in.follower->behind = 4096;
  text = report::prometheus_text(in);
  CHECK(has_line(text, "op25bc_radius_behind_bytes 4096"));
  CHECK(has_line(text, "op25bc_radius_lag_seconds 100"));  // records wait since the last batch
}
