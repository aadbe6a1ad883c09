#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""op25bc notice: the customer notice holds the policy's facts, and nothing else.

For both examples, in both languages, as HTML and Markdown:
  - every instant of `timeline --format json` a customer meets (phase and
    monitor starts, phase ends, the submission port's opening) is in it, as
    the language writes dates; every smarthost hostname and submission port;
    a phase moved in the policy moves in the notice;
  - no exemption (one customer's) is named;
  - HTML passes `tidy -e -q` without errors and refers to nothing outside
    itself (no src, no stylesheet or script links, no url(); links only to
    the contact's e-mail address and web page);
  - headless Chromium renders it to a PNG of more than a few colours, with no
    console message, and its DOM holds the schedule. The screenshots are kept
    in --artifacts (the build folder) as CI artefacts.
Hostile text (markup, quotes, ampersands in names, descriptions and contact
fields) comes out escaped: the HTML holds exactly the elements and attributes
the template writes for a plain policy, the Markdown no unescaped markup;
newlines and bidirectional marks are refused by validate, so never reach it.
Needs tidy and chromium; without them exits 77 (a failure under CI=true).
"""
import copy
import datetime
import html.parser
import html as html_lib
import json
import os
import pathlib
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

import corpus

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
CUSTOMER_KINDS = {"phase-start", "phase-end", "phase-monitor", "submission-open"}


def date_text(rfc3339, lang):
    """The date of a timeline instant as the notice writes it."""
    t = datetime.datetime.fromisoformat(rfc3339)
    clock = "" if (t.hour, t.minute, t.second) == (0, 0, 0) else f" {t.hour:02d}:{t.minute:02d}"
    if lang == "ja":
        return f"{t.year}年{t.month}月{t.day}日{clock}"
    return f"{MONTHS[t.month - 1]} {t.day}, {t.year}{clock}"


class Markup(html.parser.HTMLParser):
    """Every element and attribute of a page, and its text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements, self.attributes, self.hrefs, self.text = set(), set(), [], []

    def handle_starttag(self, tag, attrs):
        self.elements.add(tag)
        for name, value in attrs:
            self.attributes.add((tag, name))
            if name == "href":
                self.hrefs.append(value)

    def handle_data(self, data):
        self.text.append(data)


LAYOUT_SCRIPT = r"""
addEventListener("load", () => {
  const box = e => e.getBoundingClientRect();
  const texts = [...document.querySelectorAll("svg text")];
  const rects = texts.map(box), chart = box(document.querySelector("svg"));
  const overlaps = [], outside = [], contrast = [];
  const cross = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 &&
                          a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  for (let i = 0; i < rects.length; i++) {
    for (let j = i + 1; j < rects.length; j++)
      if (cross(rects[i], rects[j])) overlaps.push([texts[i].textContent, texts[j].textContent]);
    const r = rects[i];
    if (r.left < chart.left - 0.5 || r.right > chart.right + 0.5 ||
        r.top < chart.top - 0.5 || r.bottom > chart.bottom + 0.5)
      outside.push(texts[i].textContent);
  }
  const rgb = c => (c.match(/[\d.]+/g) || []).map(Number);
  const lum = c => {
    const [r, g, b] = rgb(c).slice(0, 3).map(v => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const behind = e => {
    for (; e; e = e.parentElement) {
      const c = getComputedStyle(e).backgroundColor, v = rgb(c);
      if (v.length === 3 || (v.length === 4 && v[3] > 0)) return c;
    }
    return "rgb(255, 255, 255)";
  };
  for (const e of document.querySelectorAll("body *")) {
    const own = [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    if (!own) continue;
    const inSvg = e.closest("svg") !== null;
    const fg = inSvg ? getComputedStyle(e).fill : getComputedStyle(e).color;
    const bg = behind(inSvg ? e.closest("svg") : e);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    if (ratio < 4.5) contrast.push([e.textContent.slice(0, 40), fg, bg, ratio.toFixed(2)]);
  }
  document.body.setAttribute("data-layout", JSON.stringify(
      {texts: texts.length, overlaps, outside, contrast}));
});
"""


def customer_dates(doc):
    """Per pool the policy's phases cover: the first date (as the timeline's
    local midnight) each kind of mail is blocked: "other" (through another
    provider's server: only a phase that blocks all) and each destination
    group a phase names (blocked by it, or by a phase that blocks all).
    Worked out from the policy JSON, not from op25bc."""
    def selects(scope, pool):
        for key, attr in (("services", "service"), ("regions", "region"), ("pools", "id")):
            if key in scope and pool.get(attr) not in scope[key]:
                return False
        return True
    kinds = ["other"] + [d for ph in doc["phases"] if ph["block"] != "all" for d in ph["block"]]
    kinds = list(dict.fromkeys(kinds))
    out = {}
    for pool in doc["pools"]:
        phases = [ph for ph in doc["phases"] if selects(ph.get("scope", {}), pool)]
        if not phases:
            continue
        dates = []
        for kind in kinds:
            hits = [ph["effective"] for ph in phases
                    if ph["block"] == "all" or (kind != "other" and kind in ph["block"])]
            dates.append(min(hits) if hits else None)
        out[pool["id"]] = dates
    return kinds, out


def table_rows(text, fmt, first_header):
    """The rows (lists of cell texts) of the table whose first header cell is
    `first_header`, from a notice as HTML or Markdown."""
    if fmt == "markdown":
        lines = text.splitlines()
        start = next(i for i, l in enumerate(lines) if l.startswith("| " + first_header + " |"))
        rows = []
        for line in lines[start + 2:]:
            if not line.startswith("|"):
                break
            rows.append([c.strip() for c in line.strip("|").split(" | ")])
        return rows
    table = re.search(r"<table>\n<thead><tr><th[^>]*>" + re.escape(first_header) +
                      r"</th>.*?<tbody>\n(.*?)</tbody>", text, re.S)
    return [[html_lib.unescape(re.sub(r"<[^>]+>", "", c)) for c in re.findall(r"<td>(.*?)</td>", r)]
            for r in re.findall(r"<tr[^>]*>(.*?)</tr>", table.group(1))]


def in_language(text, lang):
    """A policy text as a notice in `lang` shows it: its `lang` text, else its
    "en" one, else its first; a plain string as it is."""
    if isinstance(text, dict):
        return text.get(lang, text.get("en", next(iter(text.values()))))
    return text


def connections(label, lang):
    """The (service, region) pairs a connection cell names: "A and B in east;
    B in west", or "A、B(east)/B(west)"."""
    out = set()
    for part in re.split(r"; |/", label):
        if lang == "en":
            services, _, region = part.rpartition(" in ")
            services = re.split(r", and |, | and ", services)
        else:
            services, _, region = part[:-1].rpartition("（")
            services = services.split("、")
        out |= {(s, region) for s in services}
    return out


def markup(page):
    m = Markup()
    m.feed(page)
    return m


def png_colours(path):
    """The distinct colours of a PNG (8-bit RGB or RGBA, not interlaced)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", body)
            assert depth == 8 and colour in (2, 6) and interlace == 0, (depth, colour, interlace)
            channels = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride = zlib.decompress(idat), width * channels
    previous, colours, at = bytearray(stride), set(), 0
    for _ in range(height):
        kind, line = raw[at], bytearray(raw[at + 1:at + 1 + stride])
        at += 1 + stride
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b, c = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        colours.update(bytes(line[i:i + 3]) for i in range(0, stride, channels))
        previous = line
    return colours


def main():
    ap = corpus.argparse.ArgumentParser()
    ap.add_argument("--op25bc", required=True)
    ap.add_argument("--root", required=True, type=pathlib.Path)
    ap.add_argument("--artifacts", required=True, type=pathlib.Path)
    a = ap.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not shutil.which("tidy") or not chromium:
        print("SKIP: notice_test needs tidy and chromium (scripts/install-deps.sh installs them)")
        return 1 if os.environ.get("CI") == "true" else 77
    seed_facts = json.loads((a.root / "tests/cli/seed_facts.json").read_text())
    tally = corpus.Tally()
    expect = tally.expect
    a.artifacts.mkdir(parents=True, exist_ok=True)
    work = pathlib.Path(tempfile.mkdtemp())

    def op25bc(*args, ok=True):
        r = subprocess.run([a.op25bc, *map(str, args)], capture_output=True, text=True)
        if ok and r.returncode != 0:
            expect(False, f"op25bc {' '.join(map(str, args))} exits 0", r.stderr)
        return r

    def notice(policy, lang, fmt, *extra):
        return op25bc("notice", policy, "--lang", lang, "--format", fmt, *extra).stdout

    def render(page, name):
        """Chromium's screenshot and DOM of `page`, and what it said on the console."""
        source = work / f"{name}.html"
        source.write_text(page)
        png = a.artifacts / f"{name}.png"
        common = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-extensions", "--hide-scrollbars", f"--user-data-dir={work}/chrome",
                  "--enable-logging=stderr", "--v=0"]
        shot = subprocess.run(common + ["--window-size=1000,2400", f"--screenshot={png}",
                                        source.as_uri()],
                              capture_output=True, text=True, timeout=120)
        dom = subprocess.run(common + ["--dump-dom", source.as_uri()],
                             capture_output=True, text=True, timeout=120)
        console = [l for l in (shot.stderr + dom.stderr).splitlines() if "CONSOLE" in l]
        return png, dom.stdout, console

    def layout(page, name):
        """What a script run in the page by Chromium finds: pairs of the
        chart's text boxes that overlap (getBoundingClientRect), text boxes
        outside the chart, and texts whose colour has a contrast below 4.5:1
        with the background behind them (WCAG's formula)."""
        source = work / f"{name}-layout.html"
        source.write_text(page.replace("</body>", "<script>" + LAYOUT_SCRIPT + "</script></body>"))
        dom = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                              "--no-first-run", "--hide-scrollbars", "--window-size=1000,2400",
                              f"--user-data-dir={work}/chrome-layout", "--virtual-time-budget=3000",
                              "--dump-dom", source.as_uri()],
                             capture_output=True, text=True, timeout=120).stdout
        found = re.search(r'data-layout="([^"]*)"', dom)
        return json.loads(html_lib.unescape(found.group(1))) if found else None

    for example in ("spinnet", "netlaputa"):
        policy = a.root / "examples" / f"{example}.json"
        doc = json.loads(policy.read_text())
        timeline = json.loads(op25bc("timeline", policy, "--format", "json").stdout)
        instants = [e["at"] for e in timeline["events"]
                    if any(c["kind"] in CUSTOMER_KINDS for c in e["changes"])]
        expect(len(instants) >= 2, f"{example}: the timeline lists the rollout's instants")
        hostnames = [s["hostname"] for s in doc.get("smarthosts", []) if s.get("hostname")]
        ports = [str(p) for p in doc.get("submission", {}).get("ports", [587, 465])]
        exemption_ids = [x["id"] for x in doc.get("exemptions", [])]
        # The instants the chart draws: phases' surveys, starts and ends, and
        # the submission port's opening.
        chart_instants = [e["at"] for e in timeline["events"]
                          if any(c["kind"] in CUSTOMER_KINDS for c in e["changes"])]
        for lang in ("en", "ja"):
            for fmt in ("html", "markdown"):
                text = notice(policy, lang, fmt)
                what = f"{example} {lang} {fmt}"
                # Markdown escapes punctuation; compare with the escapes taken out.
                plain = re.sub(r"\\(.)", r"\1", text) if fmt == "markdown" else text
                for at in instants:
                    expect(date_text(at, lang) in plain, f"{what}: holds {at} as "
                           f"{date_text(at, lang)!r}")
                for h in hostnames:
                    expect(h in plain, f"{what}: names smarthost {h}")
                for p in ports:
                    expect(p in plain, f"{what}: names submission port {p}")
                for x in exemption_ids:
                    expect(x not in plain, f"{what}: names no exemption ({x})")
                expect(("<svg" in text) == (fmt == "html"), f"{what}: the picture only in HTML")
                # The seed's facts, as the example models them.
                facts = seed_facts[example]
                schedule = table_rows(plain, fmt, "Date" if lang == "en" else "実施日")
                for fact in facts["schedule"]:
                    day = date_text(fact["date"] + "T00:00:00", lang)
                    expect(any(r[0] == day and fact["row"][lang] in r[1] for r in schedule),
                           f"{what}: seed fact {fact['seed']!r}: {day} — {fact['row'][lang]}")
                first = date_text(facts["first"] + "T00:00:00", lang)
                expect(schedule and schedule[0][0] == first,
                       f"{what}: seed fact: nothing happens before {first}", str(schedule[:1]))
                said = html_lib.unescape(plain) if fmt == "html" else plain
                for service in facts["services"][lang]:
                    expect(service in said, f"{what}: seed fact: the service {service}")
                for port in facts["ports"]:
                    expect(port in said, f"{what}: seed fact: port {port}")
                if "already" in facts:
                    expect(facts["already"][lang] in said,
                           f"{what}: seed fact {facts['already']['seed']!r}")
                servers = table_rows(plain, fmt, "Outgoing mail server (SMTP)" if lang == "en"
                                     else "送信メールサーバ（SMTP）")
                for server in facts["servers"]:
                    expect([server["host"], server["serves"][lang]] in servers,
                           f"{what}: seed fact {server.get('seed', server['host'])!r}",
                           str(servers))
                # Each customer's date: per connection (service in region)
                # and per where the mail goes, the first phase that blocks it.
                kinds, per_pool = customer_dates(doc)
                header = "Your connection" if lang == "en" else "ご利用の接続"
                rows = table_rows(plain, fmt, header)
                names = {s["id"]: in_language(s.get("name", s["id"]), lang) for s in doc["services"]}
                for pool in doc["pools"]:
                    if pool["id"] not in per_pool:
                        continue
                    service = names[pool["service"]]
                    region = in_language(doc.get("regions", {}).get(pool.get("region"),
                                                                    pool.get("region", "")), lang)
                    own = [r for r in rows if (service, region) in connections(r[0], lang)]
                    want = [date_text(d + "T00:00:00", lang) if d else
                            ("not blocked" if lang == "en" else "規制なし")
                            for d in per_pool[pool["id"]]]
                    expect(len(own) == 1 and own[0][1:] == want,
                           f"{what}: {service} in {region} is affected on {want}", str(own))
                one = len({d for v in per_pool.values() for d in v}) == 1
                expect(one or ("table below" in plain or "下の表" in plain),
                       f"{what}: the chart sends the customer to the table of dates")
                if fmt != "html":
                    continue
                page = markup(text)
                tidy = subprocess.run(["tidy", "-e", "-q"], input=text, capture_output=True,
                                      text=True)
                expect(tidy.returncode == 0 and not tidy.stderr.strip(),
                       f"{what}: tidy -e -q reports nothing: no error, no warning", tidy.stderr)
                external = [h for h in page.hrefs if not (h.startswith("mailto:") or
                            h == doc.get("contact", {}).get("url"))]
                expect(not external, f"{what}: links only to the contact", str(external))
                expect(not ({"script", "link", "img", "iframe", "object"} & page.elements),
                       f"{what}: no script, link or image element")
                expect(not any(n == "src" for _, n in page.attributes) and "url(" not in text
                       and "@import" not in text, f"{what}: loads nothing from elsewhere")
                png, dom, console = render(text, f"notice-{example}-{lang}")
                expect(png.exists() and len(png_colours(png)) > 8,
                       f"{what}: Chromium renders more than a few colours")
                expect(not console, f"{what}: no console message", "\n".join(console))
                expect(all(date_text(at, lang) in dom for at in instants),
                       f"{what}: the rendered page's DOM holds the schedule")
                seen = layout(text, f"notice-{example}-{lang}")
                expect(seen is not None and seen["texts"] >= 4,
                       f"{what}: the layout script ran over the chart's texts", str(seen))
                if seen:
                    expect(not seen["overlaps"], f"{what}: no two of the chart's texts overlap",
                           str(seen["overlaps"]))
                    expect(not seen["outside"], f"{what}: every text of the chart is inside it",
                           str(seen["outside"]))
                    expect(not seen["contrast"], f"{what}: every text has contrast 4.5:1 or more",
                           str(seen["contrast"][:5]))
                expect(text.count("<th>") == 0 and text.count('<th scope="col">') >= 4,
                       f"{what}: every table header cell says it heads a column")
                # The chart's text alternative says every date it draws.
                desc = re.search(r"<desc[^>]*>(.*?)</desc>", text, re.S)
                expect(desc and all(date_text(at, lang) in html_lib.unescape(desc.group(1))
                                    for at in instants if at in chart_instants),
                       f"{what}: the chart's description lists its dates")
        # --at marks what has happened.
        done = notice(policy, "en", "html", "--at", instants[-1])
        expect(done.count('<tr class="done">') >= len(instants),
               f"{example}: --at {instants[-1]} marks every step as done")
        fresh = notice(policy, "en", "html", "--at", "2000-01-01")
        expect('<tr class="done">' not in fresh, f"{example}: --at before the rollout marks none")
        # Steps already past are told in the past tense, the others in the future.
        for lang, past, future in (("en", " began", " begins"), ("ja", "を開始しました", "を開始します")):
            after = notice(policy, lang, "html", "--at", instants[-1])
            before = notice(policy, lang, "html", "--at", "2000-01-01")
            expect(past in after and future not in after and "実施済み" not in after,
                   f"{example} {lang}: past steps in the past tense")
            expect(future in before and past not in before,
                   f"{example} {lang}: coming steps in the future tense")
        # Japanese typesetting: full-width punctuation in every text of op25bc's
        # own (what is left once the policy's own strings are taken out), dates
        # that never break, the time zone as a Japanese reader names it.
        ja = notice(policy, "ja", "html")
        words = markup(re.sub(r"<style>.*?</style>", "", ja, flags=re.S))
        own = " ".join(words.text)
        strings = []
        def collect(v):
            if isinstance(v, str):
                strings.append(v)
            elif isinstance(v, dict):
                for x in v.values(): collect(x)
            elif isinstance(v, list):
                for x in v: collect(x)
        collect(doc)
        for text in sorted(strings, key=len, reverse=True):
            own = own.replace(text, "")
        half = sorted(set(re.findall(r"[:?()]", own)))
        expect(not half, f"{example} ja: no half-width colon, question mark or parenthesis "
               f"in op25bc's own Japanese", str(half))
        for at in instants:
            for lang, page in (("ja", ja), ("en", notice(policy, "en", "html"))):
                expect(f'<span class="nb">{date_text(at, lang)}</span>' in page,
                       f"{example} {lang}: {date_text(at, lang)} never breaks inside")
        # English: a question of choices says "or"; the submission server is
        # for the provider's own customers on other networks, not an open relay.
        en = re.sub(r"\\(.)", r"\1", notice(policy, "en", "markdown"))
        _, per_pool = customer_dates(doc)
        covered = {p["service"] for p in doc["pools"] if p["id"] in per_pool}
        question = re.search(r"Do you connect to the Internet through (.*)\?", en).group(1)
        expect(len(covered) < 2 or (" or " in question and " and " not in question),
               f"{example} en: the first question offers the services with 'or'", question)
        expect("Customers of other providers can send" not in en, f"{example} en: no open relay")
        if doc.get("submission", {}).get("hostname"):
            expect("Connecting through another provider that blocks port 25" in en,
                   f"{example} en: the submission server is for customers on other networks")
        # Where the policy gives a text in Japanese, the Japanese notice has
        # no trace of its English.
        pairs = []
        def texts(v):
            if isinstance(v, dict) and "ja" in v and "en" in v and all(
                    isinstance(x, str) for x in v.values()):
                pairs.append((v["en"], v["ja"]))
            elif isinstance(v, dict):
                for x in v.values(): texts(x)
            elif isinstance(v, list):
                for x in v: texts(x)
        texts(doc)
        expect(len(pairs) >= 5, f"{example}: the example gives its texts in English and Japanese")
        page_text = html_lib.unescape(" ".join(markup(re.sub(r"<style>.*?</style>", "", ja,
                                                             flags=re.S)).text))
        for en_text, ja_text in pairs:
            expect(en_text == ja_text or en_text not in page_text,
                   f"{example} ja: no English {en_text!r} where the policy gives {ja_text!r}")
        if doc["timezone"] == "Asia/Tokyo":
            expect("日時はすべて日本時間です。" in ja and "Asia/Tokyo" not in ja,
                   f"{example} ja: the time zone is 日本時間")

    # --router: the notice for that router's customers, their phases only.
    yokohama = re.sub(r"\\(.)", r"\1", notice(a.root / "examples/netlaputa.json", "en", "markdown",
                                              "--router", "bng-yokohama"))
    expect("| June 15, 2006 |" in yokohama and "| June 1, 2006 |" not in yokohama
           and "| July 1, 2006 |" not in yokohama,
           "--router bng-yokohama: only the phase of its pools is scheduled")

    # A phase moved in the policy moves in the notice.
    doc = json.loads((a.root / "examples/spinnet.json").read_text())
    doc.pop("$schema", None)
    moved = copy.deepcopy(doc)
    moved["phases"][1]["effective"] = "2006-11-15"
    path = work / "moved.json"
    path.write_text(json.dumps(moved))
    for lang, old, new in (("en", "October 1, 2006", "November 15, 2006"),
                           ("ja", "2006年10月1日", "2006年11月15日")):
        for fmt in ("html", "markdown"):
            text = re.sub(r"\\(.)", r"\1", notice(path, lang, fmt))
            expect(new in text and old not in text, f"moved phase: {lang} {fmt} says {new}")

    # Texts by language: one without the notice's language shows its default
    # text and is warned about at its pointer; validate refuses what is not
    # a text by language, at its pointer.
    bilingual = json.loads((a.root / "examples/spinnet.json").read_text())
    bilingual.pop("$schema", None)
    del bilingual["services"][1]["name"]["ja"]
    path = work / "no-ja.json"
    path.write_text(json.dumps(bilingual))
    r = op25bc("notice", path, "--lang", "ja", "--format", "markdown")
    expect(r.returncode == 0 and '/services/1/name: warning: has no "ja" text' in r.stderr
           and r.stderr.count("warning") == 1,
           "a text without Japanese: notice --lang ja warns at its pointer", r.stderr)
    expect("NTT FLET'S" in re.sub(r"\\(.)", r"\1", r.stdout) and
           not re.search(r"[\x00-\x08]", r.stdout), "... and shows its default (English) text")
    page = op25bc("notice", path, "--lang", "ja", "--format", "html").stdout
    marked = re.findall(r'<span lang="en">([^<]*)</span>', page)
    expect(marked and all(html_lib.unescape(m) == "NTT FLET'S" for m in marked) and
           not re.search(r"[\x00-\x08]", page),
           "... which the HTML marks as English (lang=\"en\")", str(marked))
    r = op25bc("notice", path, "--lang", "en", "--format", "markdown")
    expect(r.returncode == 0 and not r.stderr, "... and --lang en has nothing to warn", r.stderr)
    for name, where, why in (({"EN": "x"}, "/services/1/name/EN", "not a language tag"),
                             ({}, "/services/1/name", "has no text"),
                             ({"en": ""}, "/services/1/name/en", "must not be empty"),
                             ({"en": 7}, "/services/1/name/en", "expected a string")):
        bilingual["services"][1]["name"] = name
        path.write_text(json.dumps(bilingual))
        r = op25bc("validate", path, ok=False)
        expect(r.returncode == 1 and f"{where}: error: {why}" in r.stderr,
               f"validate refuses the name {name!r} at {where}", r.stderr)
    bilingual["services"][1]["name"] = {"en": "NTT FLET'S", "ja": "NTTフレッツ", "pt-BR": "FLET'S"}
    bilingual["phases"][0]["description"] = {"Ja": "x"}
    path.write_text(json.dumps(bilingual))
    r = op25bc("validate", path, ok=False)
    expect(r.returncode == 1 and "/phases/0/description/Ja: error: not a language tag" in r.stderr,
           "a description by language is checked as a text", r.stderr)
    bilingual["phases"][0]["description"] = {"en": "first", "ja": "最初"}
    bilingual["regions"]["north"] = "northern Japan"
    path.write_text(json.dumps(bilingual))
    r = op25bc("validate", path, ok=False)
    expect(r.returncode == 0 and "/regions/north: warning" in r.stderr,
           "a language tag with a region is a text; a region no pool has is warned about",
           r.stderr)

    # The contact: its fields, its links.
    contact = {"name": "SpinNet support desk", "email": "support@spinnet.example",
               "phone": "03-5555-0101", "hours": "10:00-18:00 weekdays",
               "url": "https://www.spinnet.example/op25b"}
    with_contact = dict(doc, contact=contact)
    path = work / "contact.json"
    path.write_text(json.dumps(with_contact))
    page = markup(notice(path, "ja", "html"))
    expect(set(page.hrefs) == {"mailto:support@spinnet.example", contact["url"]},
           "contact: the e-mail address and the web page are the page's only links",
           str(page.hrefs))
    expect(all(v in "".join(page.text) for v in contact.values()), "contact: every field shown")
    for key, bad in (("email", "javascript:alert(1)"), ("url", "javascript:alert(1)"),
                     ("url", "https://x.example/\" onmouseover=\"alert(1)")):
        bad_path = work / "bad-contact.json"
        bad_path.write_text(json.dumps(dict(doc, contact=dict(contact, **{key: bad}))))
        r = op25bc("validate", bad_path, ok=False)
        expect(r.returncode == 1 and f"/contact/{key}: error" in r.stderr,
               f"contact: validate refuses {key} {bad!r}", r.stderr)

    # Hostile text: every element and attribute is the template's.
    hostile = "<script>alert('x')</script> \"quoted\" & 'single' <img src=x onerror=alert(1)>"
    evil = copy.deepcopy(with_contact)
    evil["operator"] = hostile
    evil["services"][0]["name"] = hostile
    evil["phases"][0]["name"] = hostile
    evil["destinations"][0]["name"] = hostile
    evil["smarthosts"][0]["hostname"] = "smtp.example\"><b>x</b>"
    evil["submission"]["hostname"] = hostile
    evil["contact"] = dict(contact, name=hostile, hours=hostile, phone=hostile)
    evil["pools"][0]["region"] = "tokyo<i>"
    path = work / "hostile.json"
    path.write_text(json.dumps(evil))
    for lang in ("en", "ja"):
        plain_page = markup(notice(a.root / "examples/spinnet.json", lang, "html"))
        contact_page = markup(notice(work / "contact.json", lang, "html"))
        template = (plain_page.elements | contact_page.elements,
                    plain_page.attributes | contact_page.attributes)
        text = notice(path, lang, "html")
        page = markup(text)
        expect(page.elements <= template[0] and page.attributes <= template[1],
               f"hostile {lang}: only the template's elements and attributes",
               str((page.elements - template[0], page.attributes - template[1])))
        expect(hostile in "".join(page.text), f"hostile {lang}: the text shows as written")
        md = notice(path, lang, "markdown")
        # Outside the links' destinations (<mailto:...>, <https://...>, checked by validate).
        outside = re.sub(r"\]\(<[^<>\s]*>\)", "]()", md)
        expect(not re.search(r"(?<!\\)[<>]", outside),
               f"hostile {lang}: Markdown holds no unescaped angle bracket",
               str(re.findall(r".{30}(?<!\\)[<>].{10}", outside)))
        expect(hostile in re.sub(r"\\(.)", r"\1", md), f"hostile {lang}: Markdown shows it")
    # Markdown through GitHub's own renderer (cmark-gfm, with the autolink,
    # table and strikethrough extensions): text that would start a list, a
    # rule, a code block or a heading, or link a bare web address, renders
    # as the same elements as plain text does, and shows as written.
    cmark = shutil.which("cmark-gfm")
    if cmark is None:
        expect(os.environ.get("CI") != "true", "cmark-gfm is installed (install-deps.sh)")
    else:
        def gfm(md):
            out = subprocess.run([cmark, "-e", "autolink", "-e", "table", "-e", "strikethrough"],
                                 input=md, capture_output=True, text=True, check=True).stdout
            return out

        def shape(html):
            return sorted(re.findall(r"<(/?[a-z0-9]+)", html))

        def shown(html):
            return html_lib.unescape(re.sub(r"<[^>]+>", "", html))

        texts = ["1. first", "2006) second", "- item", "+ item", "* item", "---", "===",
                 "    indented code", "# heading", "> quote", "see https://evil.example/x",
                 "www.evil.example", "ftp://evil.example", "[a](https://evil.example)",
                 "~~struck~~", "a | b", "<b>bold</b>", "&amp; entity", "`code`", "**strong**"]
        for lang in ("en", "ja"):
            plain = copy.deepcopy(with_contact)
            base = shape(gfm(notice(work / "contact.json", lang, "markdown")))
            for t in texts:
                x = copy.deepcopy(with_contact)
                x["operator"] = t
                x["services"][0]["name"] = t
                x["phases"][0]["name"] = t
                x["contact"] = dict(contact, name=t, hours=t)
                path.write_text(json.dumps(x))
                html = gfm(notice(path, lang, "markdown"))
                expect(shape(html) == base, f"markdown {lang}: {t!r} renders as plain text does",
                       str(sorted(set(shape(html)) ^ set(base))))
                expect(t in shown(html), f"markdown {lang}: {t!r} shows as written")
        del plain
    # The contact's e-mail address is a plain address: nothing a mailto: link
    # would read as more headers or recipients.
    for bad in ("support@isp.example?cc=all@isp.example", "support@isp.example?subject=x",
                "a%2Cb@isp.example", "support@isp.example,other@isp.example",
                "support@isp.example;x", "support@isp..example", "support@.isp.example",
                "support@isp.example#x", "supp(ort)@isp.example"):
        bad_path = work / "bad-contact.json"
        bad_path.write_text(json.dumps(dict(doc, contact=dict(contact, email=bad))))
        r = op25bc("validate", bad_path, ok=False)
        expect(r.returncode == 1 and "/contact/email: error" in r.stderr,
               f"contact: validate refuses the e-mail address {bad!r}", r.stderr)
    for good in ("support@isp.example", "op25b-help+jp@mail.isp.example", "a.b_c@isp-1.example"):
        good_path = work / "good-contact.json"
        good_path.write_text(json.dumps(dict(doc, contact=dict(contact, email=good))))
        r = op25bc("validate", good_path, ok=False)
        expect(r.returncode == 0, f"contact: validate accepts {good!r}", r.stderr)
    for bad in ("line one\nline two", "right\u202eto left"):
        evil["operator"] = bad
        path.write_text(json.dumps(evil))
        r = op25bc("notice", path, ok=False)
        expect(r.returncode == 1 and not r.stdout, f"notice refuses an operator with {bad!r}")
    shutil.rmtree(work, ignore_errors=True)
    return tally.finish()


if __name__ == "__main__":
    sys.exit(main())
