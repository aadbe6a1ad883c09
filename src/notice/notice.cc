// SPDX-License-Identifier: GPL-2.0-or-later
// The notice's document: the policy's facts (the timeline, the services and
// regions the phases select, the smarthosts, the submission keys, the
// contact) in fixed customer-facing texts, English or Japanese.
#include <date/tz.h>

#include <algorithm>
#include <set>

#include "op25bc/notice/notice.h"
#include "op25bc/text/join.h"
#include "op25bc/timeline/timeline.h"

namespace op25bc::notice {

namespace {

using policy::Phase;
using policy::Policy;

// The fixed texts, by language, and the policy's own texts in it.
struct Texts {
  Lang lang;
  const Policy& policy;
  // The pointers of the policy's texts given by language but not in this
  // one: the notice shows their default text, and says so.
  std::set<std::string>& missing;
  const char* pick(const char* en, const char* ja) const { return lang == Lang::en ? en : ja; }
  // The policy's text at `pointer` in this language; `fallback` (its
  // default) when it is a plain string, or lacks this language.
  std::string of(const std::string& pointer, const std::string& fallback) const {
    const auto given = policy.translations.find(pointer);
    if (given == policy.translations.end()) return fallback;
    const auto here = given->second.find(lang == Lang::en ? "en" : "ja");
    if (here != given->second.end()) return here->second;
    missing.insert(pointer);
    // The default text is in its own language: marked so (notice.h).
    const std::string tag =
        given->second.contains("en") ? std::string{"en"} : given->second.begin()->first;
    return std::string{kOtherLanguage} + tag + kOtherLanguageText + fallback + kOtherLanguageEnd;
  }
  std::string region(const std::string& id) const {
    const auto named = policy.region_names.find(id);
    return of("/regions/" + id, named != policy.region_names.end() ? named->second : id);
  }
  std::vector<std::string> regions(const std::vector<std::string>& ids) const {
    std::vector<std::string> out;
    for (const std::string& id : ids) out.push_back(region(id));
    return out;
  }
  // "A, B, and C"; in a question of choices, "A, B, or C".
  std::string list(const std::vector<std::string>& items, const char* conjunction = "and") const {
    if (lang == Lang::ja) return text::join(items, std::string_view("、"));
    if (items.size() <= 1) return items.empty() ? "" : items[0];
    std::vector<std::string> head(items.begin(), items.end() - 1);
    return text::join(head) + (items.size() > 2 ? ", " : " ") + conjunction + " " + items.back();
  }
};

std::string ports_text(const std::vector<std::uint16_t>& ports, const Texts& t) {
  std::vector<std::string> out;
  for (auto p : ports) out.push_back(std::to_string(p));
  return t.lang == Lang::en ? t.list(out) : text::join(out, std::string_view("・"));
}

// The services of `pools`, each once, in policy order, by name.
std::vector<std::string> services_of(const Policy& p, const std::vector<std::size_t>& pools,
                                     const Texts& t) {
  std::vector<std::string> out;
  for (const auto& s : p.services)
    for (std::size_t k : pools)
      if (p.pools[k].service == s.id) {
        out.push_back(t.of(s.pointer + "/name", s.name.empty() ? s.id : s.name));
        break;
      }
  return out;
}
// Their region ids, each once.
std::vector<std::string> regions_of(const Policy& p, const std::vector<std::size_t>& pools) {
  std::vector<std::string> out;
  for (std::size_t k : pools)
    if (const std::string& r = p.pools[k].region;
        !r.empty() && std::find(out.begin(), out.end(), r) == out.end())
      out.push_back(r);
  return out;
}

std::vector<std::size_t> covered_pools(const Policy& p) {
  std::set<std::size_t> all;
  for (const Phase& phase : p.phases)
    all.insert(phase.pool_indexes.begin(), phase.pool_indexes.end());
  return {all.begin(), all.end()};
}

std::string phase_label(const Phase& phase, const Texts& t) {
  return t.of(phase.pointer + "/name", phase.name.empty() ? phase.id : phase.name);
}

std::string destination_name(const Policy& p, std::size_t d, const Texts& t) {
  const policy::Destination& dest = p.destinations[d];
  return t.of(dest.pointer + "/name", dest.name.empty() ? dest.id : dest.name);
}

// What a phase blocks, in words.
std::string blocked_text(const Policy& p, const Phase& phase, const Texts& t) {
  if (phase.block_all)
    return t.pick("all mail sent to other mail servers than ours",
                  "当社以外のメールサーバへのすべてのメール送信");
  std::vector<std::string> names;
  for (std::size_t d : phase.destination_indexes) names.push_back(destination_name(p, d, t));
  return t.lang == Lang::en ? "mail sent directly to " + t.list(names)
                            : t.list(names) + "への直接のメール送信";
}

// Who some pools serve: their services, and their regions when they say more.
std::string scope_of(const Policy& p, const std::vector<std::size_t>& pools, const Texts& t) {
  const auto services = services_of(p, pools, t);
  const auto regions = t.regions(regions_of(p, pools));
  std::string out = t.list(services);
  if (!regions.empty())
    out += t.lang == Lang::en ? " in " + t.list(regions) : "（" + t.list(regions) + "）";
  return out;
}

Line plain(std::string text) {
  return {Span{std::move(text), {}}};
}

// What a change of the timeline does, in the future tense, or in the past
// once it has happened (`done`).
std::string what_happens(const Policy& p, const timeline::Change& c, const Texts& t, bool done) {
  const Phase* phase = nullptr;
  for (const auto& ph : p.phases)
    if (ph.id == c.id) phase = &ph;
  const bool en = t.lang == Lang::en;
  if (c.kind == "submission-open")
    return en ? "Submission port " + ports_text(p.submission.ports, t) +
                    (done ? " opened" : " opens") + " for sending mail with SMTP authentication"
              : "サブミッションポート（" + ports_text(p.submission.ports, t) + "番）の提供を" +
                    (done ? "開始しました" : "開始します") + "（SMTP認証による送信）";
  if (phase == nullptr) return {};
  const std::string scope = scope_of(p, phase->pool_indexes, t);
  if (c.kind == "phase-start")
    return en ? phase_label(*phase, t) + ": " + scope + " — blocking of " +
                    blocked_text(p, *phase, t) + (done ? " began" : " begins")
              : phase_label(*phase, t) + "：" + scope + "で、" + blocked_text(p, *phase, t) +
                    (done ? "の規制を開始しました" : "の規制を開始します");
  if (c.kind == "phase-end")
    return en ? phase_label(*phase, t) + (done ? ": this blocking ended" : ": this blocking ends")
              : phase_label(*phase, t) +
                    (done ? "：この規制を終了しました" : "：この規制を終了します");
  if (c.kind == "phase-monitor")
    return en ? phase_label(*phase, t) + ": " + scope +
                    (done ? " — the survey before blocking began"
                          : " — survey before blocking (nothing is blocked yet)")
              : phase_label(*phase, t) + "：" + scope +
                    (done ? "で、規制前の調査を開始しました"
                          : "で、規制前の調査を開始します（まだ規制は行いません）");
  return {};
}

// A date as one unbreakable span of a line.
Span date_span(Instant at, const Policy& p, const Texts& t) {
  return Span{date_text(at, p.zone, t.lang), {}, true};
}

Section schedule(const Policy& p, const Texts& t, std::optional<Instant> at) {
  Section s{"schedule", t.pick("Schedule", "実施スケジュール"), {}};
  Block table;
  table.kind = Block::Kind::table;
  table.header = {t.pick("Date", "実施日"), t.pick("What happens", "内容")};
  // Customer events only: an exemption is one customer's, never in a notice.
  for (const auto& e : timeline::build(p))
    for (const auto& c : e.changes) {
      const bool done = at && *at >= e.at;
      const std::string what = what_happens(p, c, t, done);
      if (what.empty()) continue;
      table.rows.push_back({{date_span(e.at, p, t)}, plain(what)});
      table.done.push_back(done);
    }
  s.blocks.push_back(std::move(table));
  if (!p.submission.effective)
    s.blocks.push_back(
        {Block::Kind::paragraph,
         {plain(t.lang == Lang::en ? "Submission port " + ports_text(p.submission.ports, t) +
                                         " is already available."
                                   : "サブミッションポート（" + ports_text(p.submission.ports, t) +
                                         "番）は既に提供しています。")}});
  // The picture: each phase from its start (or survey) to its end.
  Block picture;
  picture.kind = Block::Kind::picture;
  for (const Phase& phase : p.phases)
    if (phase.effective) {
      const std::string services = scope_of(p, phase.pool_indexes, t);
      if (phase.monitor_from)
        picture.bars.push_back({phase_label(phase, t) + t.pick(" (survey)", "（調査）"), services,
                                *phase.monitor_from, *phase.effective});
      picture.bars.push_back({phase_label(phase, t), services, *phase.effective, phase.until});
    }
  if (p.submission.effective)
    picture.marks.push_back(
        {*p.submission.effective,
         t.lang == Lang::en
             ? "Submission port " + ports_text(p.submission.ports, t) + " opens"
             : "サブミッションポート（" + ports_text(p.submission.ports, t) + "番）の提供開始"});
  if (!picture.bars.empty()) s.blocks.push_back(std::move(picture));
  return s;
}

std::vector<std::string> hostnames(const Policy& p) {
  std::vector<std::string> out;
  for (const auto& h : p.smarthosts) out.push_back(h.hostname.empty() ? h.id : h.hostname);
  return out;
}

// Where a customer's mail goes, as far as the blocks tell it apart: through
// another server than ours (nullopt: a phase that blocks all direct mail
// blocks it), or straight to the servers of a destination group a phase
// names (its index).
using Kind = std::optional<std::size_t>;

std::vector<Kind> mail_kinds(const Policy& p) {
  std::vector<Kind> out{std::nullopt};
  for (const Phase& phase : p.phases)
    if (phase.effective && !phase.block_all)
      for (std::size_t d : phase.destination_indexes)
        if (std::find(out.begin(), out.end(), Kind{d}) == out.end()) out.push_back(d);
  return out;
}

// The first instant a phase blocks mail of `kind` from pool `pool`.
std::optional<Instant> first_block(const Policy& p, std::size_t pool, const Kind& kind) {
  std::optional<Instant> first;
  for (const Phase& phase : p.phases) {
    if (!phase.effective || (first && *first <= *phase.effective)) continue;
    const auto& pools = phase.pool_indexes;
    if (std::find(pools.begin(), pools.end(), pool) == pools.end()) continue;
    const auto& blocked = phase.destination_indexes;
    if (phase.block_all ||
        (kind && std::find(blocked.begin(), blocked.end(), *kind) != blocked.end()))
      first = phase.effective;
  }
  return first;
}

// The pools whose customers meet the same dates, in policy order, with
// those dates (one per mail kind): the rows of "when you are affected".
struct Scope {
  std::vector<std::size_t> pools;
  std::vector<std::optional<Instant>> dates;
};
std::vector<Scope> scopes(const Policy& p, const std::vector<Kind>& kinds) {
  std::vector<Scope> out;
  for (std::size_t pool : covered_pools(p)) {
    std::vector<std::optional<Instant>> dates;
    for (const Kind& kind : kinds) dates.push_back(first_block(p, pool, kind));
    const auto same =
        std::find_if(out.begin(), out.end(), [&](const Scope& s) { return s.dates == dates; });
    if (same != out.end())
      same->pools.push_back(pool);
    else
      out.push_back({{pool}, std::move(dates)});
  }
  return out;
}

// Exactly which connections some pools are: per region, the services of its
// pools ("A and B in east; B in west"); the services alone without regions.
std::string connections(const Policy& p, const std::vector<std::size_t>& pools, const Texts& t) {
  std::vector<std::string> parts;
  for (const std::string& region : regions_of(p, pools)) {
    std::vector<std::size_t> here;
    for (std::size_t k : pools)
      if (p.pools[k].region == region) here.push_back(k);
    parts.push_back(t.lang == Lang::en
                        ? t.list(services_of(p, here, t)) + " in " + t.region(region)
                        : t.list(services_of(p, here, t)) + "（" + t.region(region) + "）");
  }
  std::vector<std::size_t> anywhere;
  for (std::size_t k : pools)
    if (p.pools[k].region.empty()) anywhere.push_back(k);
  if (!anywhere.empty()) parts.push_back(t.list(services_of(p, anywhere, t)));
  return text::join(parts, t.lang == Lang::en ? std::string_view("; ") : std::string_view("/"));
}

Section affected(const Policy& p, const Texts& t) {
  const auto pools = covered_pools(p);
  const auto service_names = services_of(p, pools, t);
  const std::string services = t.list(service_names);
  const auto regions = t.regions(regions_of(p, pools));
  Section s{"affected", t.pick("Who is affected", "影響を受けるお客さま"), {}};
  s.blocks.push_back(
      {Block::Kind::paragraph,
       {plain(t.lang == Lang::en ? "Customers of " + services +
                                       " who send mail through a mail server other than ours."
                                 : services + "をご利用のお客さまで、当社以外のメールサーバを使って"
                                              "メールを送信されている方が対象です。")}});
  if (!regions.empty())
    s.blocks.push_back(
        {Block::Kind::paragraph, {plain(t.pick("Regions: ", "対象地域：") + t.list(regions))}});
  // Each answer's first date, per scope: service, region or pool decide it,
  // and where the mail goes.
  const auto kinds = mail_kinds(p);
  const auto rows = scopes(p, kinds);
  std::set<std::optional<Instant>> dates;
  for (const Scope& row : rows) dates.insert(row.dates.begin(), row.dates.end());
  std::vector<std::string> where;
  for (const Kind& kind : kinds)
    if (kind) where.push_back(destination_name(p, *kind, t));
  const std::string other = t.lang == Lang::en
                                ? "to any mail server other than ours (" + t.list(hostnames(p)) +
                                      ")" + (where.empty() ? "" : ", such as " + t.list(where))
                                : "当社のメールサーバ（" + t.list(hostnames(p)) + "）以外" +
                                      (where.empty() ? "" : "（" + t.list(where) + "など）");
  Block chart;
  chart.kind = Block::Kind::chart;
  const std::string no = t.pick("No: you are not affected.", "いいえ：影響はありません。");
  chart.lines = {
      plain(t.lang == Lang::en
                ? "Do you connect to the Internet through " + t.list(service_names, "or") + "?"
                : services + "でインターネットに接続していますか？"),
      plain(t.lang == Lang::en
                ? "Does your mail software (or a mail server of your own) send mail (SMTP) " +
                      other + "?"
                : "メールソフト（またはお客さまご自身のメールサーバ）から、" + other +
                      "のサーバへメールを送信（SMTP）していますか？")};
  const bool one_date = dates.size() == 1 && *dates.begin();
  Line yes;
  if (one_date && t.lang == Lang::en)
    yes = {Span{"Yes: you are affected from ", {}}, date_span(**dates.begin(), p, t),
           Span{". See \"What to do\".", {}}};
  else if (one_date)
    yes = {Span{"はい：", {}}, date_span(**dates.begin(), p, t),
           Span{"から影響を受けます。「設定の変更」をご覧ください。", {}}};
  else
    yes =
        plain(t.pick("Yes: you are affected from the date the table below gives for your "
                     "connection and for where your mail goes. See \"What to do\".",
                     "はい：下の表の、ご利用の接続とメールの送信先の日付から影響を受けます。"
                     "「設定の変更」をご覧ください。"));
  chart.rows = {{plain(no), plain(t.pick("Yes: go on to the next question.", "はい：次の質問へ"))},
                {plain(no), std::move(yes)}};
  s.blocks.push_back(std::move(chart));
  // The dates, per scope and per answer.
  Block when;
  when.kind = Block::Kind::table;
  when.header = {
      t.pick("Your connection", "ご利用の接続"),
      t.pick("Mail through another provider's server", "他のプロバイダのメールサーバ経由の送信")};
  for (const std::string& name : where)
    when.header.push_back(t.lang == Lang::en ? "Mail sent directly to " + name
                                             : name + "への直接の送信");
  for (const Scope& row : rows) {
    std::vector<Line> cells{plain(connections(p, row.pools, t))};
    for (const auto& date : row.dates)
      cells.push_back(date ? Line{date_span(*date, p, t)}
                           : plain(t.pick("not blocked", "規制なし")));
    when.rows.push_back(std::move(cells));
  }
  when.done.assign(when.rows.size(), false);
  s.blocks.push_back({Block::Kind::paragraph,
                      {plain(t.pick("When you are affected, by your connection and by where your "
                                    "mail goes:",
                                    "ご利用の接続とメールの送信先ごとの、影響を受ける日："))}});
  s.blocks.push_back(std::move(when));
  return s;
}

Section servers(const Policy& p, const Texts& t) {
  Section s{"servers", t.pick("Our mail servers", "当社のメールサーバ"), {}};
  Block table;
  table.kind = Block::Kind::table;
  table.header = {t.pick("Outgoing mail server (SMTP)", "送信メールサーバ（SMTP）"),
                  t.pick("For customers in", "対象地域")};
  for (const auto& h : p.smarthosts)
    table.rows.push_back({plain(h.hostname.empty() ? h.id : h.hostname),
                          plain(h.regions.empty() ? t.pick("every region", "全地域")
                                                  : t.list(t.regions(h.regions)))});
  table.done.assign(table.rows.size(), false);
  s.blocks.push_back(std::move(table));
  return s;
}

Section what_to_do(const Policy& p, const Texts& t) {
  Section s{"what-to-do", t.pick("What to do", "設定の変更"), {}};
  const std::string ports = ports_text(p.submission.ports, t);
  std::vector<Line> items;
  items.push_back(plain(
      t.lang == Lang::en
          ? "Sending through our mail server: set your mail software's outgoing (SMTP) server to "
            "the server for your region above. Nothing else changes."
          : "当社のメールサーバから送信する場合：メールソフトの送信（SMTP）サーバに、上記のお住まい"
            "の"
            "地域のサーバを設定してください。そのほかの変更は不要です。"));
  items.push_back(plain(
      t.lang == Lang::en
          ? "Sending through another provider's mail server: use that server's submission port " +
                ports +
                " with SMTP authentication (your user name and password), as that provider "
                "describes."
          : "他のプロバイダのメールサーバから送信する場合：そのサーバのサブミッションポート（" +
                ports +
                "番）とSMTP認証（ユーザ名とパスワード）を設定してください。設定方法は各プロバイダの"
                "案内をご覧ください。"));
  // The seed's sense: our own customers, on another provider's network
  // that blocks port 25, still send through our server.
  if (!p.submission.hostname.empty())
    items.push_back(plain(
        t.lang == Lang::en
            ? "Connecting through another provider that blocks port 25: you can still send "
              "mail through our server " +
                  p.submission.hostname + " on port " + ports + " with SMTP authentication."
            : "他のプロバイダからインターネットに接続されている場合（そのプロバイダが25番ポート"
              "ブロックを実施しているとき）も、当社の" +
                  p.submission.hostname + "のポート" + ports + "番とSMTP認証で送信できます。"));
  s.blocks.push_back({Block::Kind::list, std::move(items)});
  return s;
}

Section contact(const Policy& p, const Texts& t) {
  Section s{
      "contact", t.pick("Exemptions and questions", "規制の対象外とするご希望・お問い合わせ"), {}};
  s.blocks.push_back(
      {Block::Kind::paragraph,
       {plain(
           t.pick("Customers who run their own mail server, or have another reason to send "
                  "mail directly, may ask for an exemption. Please contact us:",
                  "独自にメールサーバを運用されている等の理由で、規制の対象外を希望されるお客さま"
                  "は、下記までお問い合わせください。"))}});
  if (!p.contact) return s;
  const policy::Contact& c = *p.contact;
  std::vector<Line> items;
  if (!c.name.empty()) items.push_back(plain(t.of("/contact/name", c.name)));
  if (!c.email.empty())
    items.push_back(
        {Span{t.pick("E-mail: ", "電子メール："), {}}, Span{c.email, "mailto:" + c.email}});
  if (!c.phone.empty()) items.push_back(plain(t.pick("Telephone: ", "電話番号：") + c.phone));
  if (!c.hours.empty())
    items.push_back(plain(t.pick("Hours: ", "受付時間：") + t.of("/contact/hours", c.hours)));
  if (!c.url.empty()) items.push_back({Span{t.pick("Web: ", "ウェブ："), {}}, Span{c.url, c.url}});
  s.blocks.push_back({Block::Kind::list, std::move(items)});
  return s;
}

// A time zone as a reader names it ("Japan time", "日本時間"), for the zones
// the examples and tests use; else its tz database name.
std::string zone_name(const std::string& zone, Lang lang) {
  struct Name {
    const char* zone;
    const char* en;
    const char* ja;
  };
  static constexpr Name kNames[] = {
      {"Asia/Tokyo", "Japan time (JST)", "日本時間"},
      {"UTC", "Coordinated Universal Time (UTC)", "協定世界時（UTC）"},
      {"Etc/UTC", "Coordinated Universal Time (UTC)", "協定世界時（UTC）"},
      {"America/New_York", "US Eastern Time", "米国東部時間"},
      {"America/Santiago", "Chile time", "チリ時間"},
  };
  for (const Name& n : kNames)
    if (zone == n.zone) return lang == Lang::en ? n.en : n.ja;
  return lang == Lang::en ? "local time in " + zone : "現地時刻（" + zone + "）";
}

}  // namespace

std::string date_text(Instant t, const date::time_zone* zone, Lang lang) {
  const auto local =
      zone != nullptr ? zone->to_local(t) : date::local_seconds{t.time_since_epoch()};
  const auto day = date::floor<date::days>(local);
  const date::year_month_day ymd{day};
  const auto time = date::hh_mm_ss{local - day};
  const bool midnight = local == day;
  const int y = static_cast<int>(ymd.year());
  const unsigned m = static_cast<unsigned>(ymd.month()), d = static_cast<unsigned>(ymd.day());
  char clock[16];
  std::snprintf(clock, sizeof clock, "%02d:%02d", static_cast<int>(time.hours().count()),
                static_cast<int>(time.minutes().count()));
  if (lang == Lang::ja)
    return std::to_string(y) + "年" + std::to_string(m) + "月" + std::to_string(d) + "日" +
           (midnight ? "" : std::string{" "} + clock);
  static constexpr const char* kMonths[] = {"January",   "February", "March",    "April",
                                            "May",       "June",     "July",     "August",
                                            "September", "October",  "November", "December"};
  return std::string{kMonths[m - 1]} + " " + std::to_string(d) + ", " + std::to_string(y) +
         (midnight ? "" : std::string{" "} + clock);
}

Document build(const Policy& p, Lang lang, std::optional<Instant> at) {
  std::set<std::string> missing;
  const Texts t{lang, p, missing};
  const std::string op =
      p.operator_name.empty() ? t.pick("our service", "当社") : t.of("/operator", p.operator_name);
  Document d;
  d.lang = lang;
  d.zone = p.zone;
  d.title = lang == Lang::en ? "Outbound Port 25 Blocking at " + op
                             : op + " 25番ポートブロック（OP25B）実施のお知らせ";
  d.lead =
      lang == Lang::en
          ? "To stop spam and viruses sent from infected computers, " + op +
                " blocks mail sent from its dynamic connections straight to other mail "
                "servers on port 25 (Outbound Port 25 Blocking). Mail you send through " +
                op + "'s own mail servers is not affected."
          : "迷惑メールやウイルスメールの送信を防ぐため、" + op +
                "では、動的IPアドレスによるインターネット接続から当社以外のメールサーバへ25番"
                "ポートで直接送信されるメールを規制します（25番ポートブロック）。当社のメールサー"
                "バを経由して送信されるメールには影響ありません。";
  d.sections.push_back(schedule(p, t, at));
  d.sections.push_back(affected(p, t));
  d.sections.push_back(servers(p, t));
  d.sections.push_back(what_to_do(p, t));
  d.sections.push_back(contact(p, t));
  d.footer = lang == Lang::en ? "Dates and times are " + zone_name(p.timezone, lang) + "."
                              : "日時はすべて" + zone_name(p.timezone, lang) + "です。";
  if (at)
    d.footer += lang == Lang::en ? " As of " + date_text(*at, p.zone, lang) + "."
                                 : date_text(*at, p.zone, lang) + "現在。";
  d.missing.assign(missing.begin(), missing.end());
  return d;
}

}  // namespace op25bc::notice
