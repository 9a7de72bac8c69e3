"""The cases of the hostile suite (see ``hostile.py``), one function per class.

Every feed also carries good entries where the class allows it, so "nothing of the good
entries lost" is checked beside "no crash, no hang".
"""

from __future__ import annotations

import json

from hostile import (HIDDEN_MARK, WORDS, XSS, Case, HostileSite, Response, deflate_bomb,
                     endless, gzip_bomb, html, item, jitem, jsonfeed, page, rss, xml)

_BOMBS: dict[str, bytes] = {}


def _bomb(kind: str) -> bytes:
    if kind not in _BOMBS:
        _BOMBS[kind] = gzip_bomb() if kind == "gzip" else deflate_bomb()
    return _BOMBS[kind]


def register_all(site: HostileSite) -> None:
    from hostile_cases_more import (header_numbers, idna_hosts, page_dates, page_urls,
                                    wide_encodings)
    for register in (json_values, xml_values, encodings, responses, redirects, entry_links,
                     pages, xss, huge, header_numbers, wide_encodings, page_dates, page_urls,
                     idna_hosts):
        register(site)


# ------------------------------------------------------------------ JSON Feed values
def json_values(site: HostileSite) -> None:
    k = "json values"
    good = lambda n, title: jitem(n, title, site.link(f"json-{n}", title=title))  # noqa: E731
    deep = b'{"version":"https://jsonfeed.org/version/1.1","items":' + b"[" * 100_000
    site.add(Case("json-deep-array", k, "/json/deep-array.json", error="nested too deeply"),
             xml(deep + b"]" * 100_000 + b"}", "application/feed+json"))
    site.add(Case("json-deep-object", k, "/json/deep-object.json", error="nested too deeply"),
             xml(b'{"items":[], "x":' + b'{"a":' * 60_000 + b"1" + b"}" * 60_001,
                 "application/feed+json"))
    nested: object = "deep"
    for _ in range(300):
        nested = [nested]
    site.add(Case("json-deep-field", k, "/json/deep-field.json", good=("JSON deep field survivor",)),
             xml(jsonfeed([{"id": "d1", "title": nested, "content_html": nested},
                           good(1, "JSON deep field survivor")]), "application/feed+json"))
    site.add(Case("json-nul", k, "/json/nul.json", good=("NUL in the title", "NUL survivor"),
                  absent=("\x00",)),
             xml(jsonfeed([dict(good(2, "NUL\x00 in the title"), content_html="<p>a\x00b</p>",
                                authors=[{"name": "Nul\x00 Author"}], tags=["t\x00ag"],
                                id="nul\x00id"),
                           good(3, "NUL survivor")]), "application/feed+json"))
    site.add(Case("json-surrogates", k, "/json/surrogates.json",
                  good=("Lone surrogates dropped", "Pair \U0001F600 kept"), absent=("\ud800",)),
             xml(jsonfeed([good(4, "Lone\ud800 surrogates\udfff dropped"),
                           good(5, "Pair \ud83d\ude00 kept"),
                           dict(good(6, "Surrogate author"), authors=[{"name": "\udc80Eve"}])]),
                 "application/feed+json"))
    site.add(Case("json-controls", k, "/json/controls.json", good=("Controls gone",),
                  absent=("\x01", "\x1b")),
             xml(jsonfeed([good(7, "Controls\x01\x08\x1b gone")]), "application/feed+json"))
    dates = ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00+01:00", "0000-00-00T00:00:00Z",
             "1970-01-01T00:00:00Z", "2999-01-01T00:00:00+14:00", "2022-03-01T10:00:00Z"]
    site.add(Case("json-dates", k, "/json/dates.json",
                  good=tuple(f"Date case {n}" for n in range(len(dates))),
                  note="publication date out of range"),
             xml(jsonfeed([dict(good(10 + n, f"Date case {n}"), date_published=d,
                                date_modified=d) for n, d in enumerate(dates)]),
                 "application/feed+json"))
    site.add(Case("json-types", k, "/json/types.json", good=("Odd types", "JSON types survivor"),
                  note="not a JSON object"),
             xml(jsonfeed(["a string", 42, None, [1, 2], True,
                           {"id": 7, "title": 42, "url": ["x"], "tags": {"a": 1}},
                           dict(good(20, "Odd types"), authors="Ann", tags={"a": 1},
                                author={"name": ["list"]}, date_published=12345),
                           {"id": "objtitle", "title": {"x": 1}, "authors": [{"name": {"y": 2}}]},
                           good(21, "JSON types survivor")]), "application/feed+json"))
    site.add(Case("json-no-identity", k, "/json/no-identity.json", good=("Identity survivor",),
                  note="no link, id or title"),
             xml(jsonfeed([{}, {"content_text": "only text"}, {"url": "javascript:alert(1)"},
                           good(22, "Identity survivor")]), "application/feed+json"))
    site.add(Case("json-double-escaped", k, "/json/double-escaped.json",
                  good=("Escaped authors",), note=None),
             xml(jsonfeed([dict(good(23, "Escaped authors"),
                                authors=[{"name": "O&amp;#39;Brien"},
                                         {"name": "Smith &amp;amp; Jones"}])]),
                 "application/feed+json"))
    site.add(Case("json-bigint", k, "/json/bigint.json", error="invalid JSON"),
             xml(b'{"items":[{"id":' + b"9" * 5000 + b"}]}", "application/feed+json"))
    site.add(Case("json-not-a-feed", k, "/json/not-feed.json", error="not a JSON Feed"),
             xml(b'{"hello": "world"}', "application/json"))
    site.add(Case("json-items-object", k, "/json/items-object.json", error="not a JSON Feed"),
             xml(b'{"items": {"a": 1}}', "application/json"))
    body = jsonfeed([good(24, "Truncated")])
    site.add(Case("json-truncated", k, "/json/truncated.json", error="invalid JSON"),
             xml(body[: len(body) // 2], "application/feed+json"))


# ------------------------------------------------------------------- XML feed values
def xml_values(site: HostileSite) -> None:
    k = "xml values"
    ok = lambda n, title, **kw: item(title, site.link(f"xml-{n}", title=title), **kw)  # noqa: E731
    dates = ["Fri, 31 Dec 9999 23:59:59 GMT", "Mon, 01 Jan 0001 00:00:00 +0100", "not a date",
             "Thu, 01 Jan 1970 00:00:00 GMT", "Tue, 01 Mar 2022 10:00:00 GMT"]
    site.add(Case("rss-dates", k, "/xml/dates.rss",
                  good=tuple(f"RSS date {n}" for n in range(len(dates))),
                  note="publication date out of range"),
             xml(rss([ok(n, f"RSS date {n}", date=d) for n, d in enumerate(dates)])))
    site.add(Case("atom-dates", k, "/xml/dates.atom", good=("Atom far future", "Atom fine"),
                  note="publication date out of range"),
             xml(f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom dates</title><id>urn:a</id>
<updated>9999-12-31T23:59:59Z</updated>
<entry><title>Atom far future</title><id>urn:a1</id><link href="{site.link('atom-1', title='Atom far future')}"/>
<updated>9999-12-31T23:59:59Z</updated><published>9999-12-31T23:59:59Z</published><summary>{WORDS}</summary></entry>
<entry><title>Atom fine</title><id>urn:a2</id><link href="{site.link('atom-2', title='Atom fine')}"/>
<updated>2022-03-01T10:00:00Z</updated><summary>{WORDS}</summary></entry></feed>""".encode(),
                 "application/atom+xml"))
    site.add(Case("rss-double-escaped", k, "/xml/double-escaped.rss",
                  good=("Double escaped names", "Title & twice")),
             xml(rss([ok(30, "Double escaped names",
                         extra="<dc:creator>O&amp;#39;Brien</dc:creator>"
                               "<dc:creator>Smith &amp;amp; Jones</dc:creator>"),
                      ok(31, "Title &amp;amp; twice")])))
    site.add(Case("rss-bad-char-refs", k, "/xml/char-refs.rss", good=("Char ref survivor",),
                  absent=("\x00", "\ud800")),
             xml(rss([ok(32, "NUL ref &#0; here"), ok(33, "Surrogate ref &#xD800; here"),
                      ok(34, "Char ref survivor")])))
    raw_nul = rss([ok(35, "Raw\x00NUL"), ok(36, "Raw\x01control"), ok(37, "Raw byte survivor")])
    site.add(Case("rss-raw-controls", k, "/xml/raw-controls.rss", good=("Raw byte survivor",),
                  absent=("\x00", "\x01")), xml(raw_nul))
    deep = "<x>" * 20_000 + "</x>" * 20_000
    site.add(Case("rss-deep", k, "/xml/deep.rss", good=("Deep survivor one", "Deep survivor two")),
             xml(rss([ok(38, "Deep survivor one"), f"<item><title>Deep</title>{deep}</item>",
                      ok(39, "Deep survivor two")])))
    lol = "".join(f'<!ENTITY lol{i} "{("&lol%d;" % (i - 1)) * 10}">' for i in range(1, 10))
    laughs = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol0 "lol">{lol}]>'
              f"<rss version='2.0'><channel><title>Laughs</title>"
              f"{ok(40, 'Laughs &lol9;')}{ok(41, 'Laughs survivor')}</channel></rss>").encode()
    site.add(Case("billion-laughs", k, "/xml/laughs.rss", good=("Laughs survivor",),
                  absent=("lollollollollollollollollollol",)), xml(laughs))
    xxe = (f'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">'
           f'<!ENTITY % dtd SYSTEM "{site.http.url("/evil.dtd")}"> %dtd;]>'
           f"<rss version='2.0'><channel><title>XXE</title>{ok(42, 'XXE &xxe; title')}"
           f"{ok(43, 'XXE survivor')}</channel></rss>").encode()
    site.http.routes["/evil.dtd"] = Response(200, {"Content-Type": "application/xml-dtd"},
                                             b'<!ENTITY leak "LEAKED-DTD">')
    site.add(Case("xxe", k, "/xml/xxe.rss", good=("XXE survivor",),
                  absent=("root:x:0", "LEAKED-DTD")), xml(xxe))
    site.add(Case("malformed", k, "/xml/malformed.rss", good=("Malformed survivor",)),
             xml(f"<rss version='2.0'><channel><title>Broken<item><title>Unclosed <b>bold</title>"
                 f"<link>{site.link('mal-1', title='x')}</link></item>"
                 f"{ok(44, 'Malformed survivor')}<item><title>&bogus; & < ></title></channel>"
                 .encode()))
    whole = rss([ok(45, "Before the cut one"), ok(46, "Before the cut two"), ok(47, "Cut item")])
    site.add(Case("truncated", k, "/xml/truncated.rss",
                  good=("Before the cut one", "Before the cut two")),
             xml(whole[: whole.index(b"Cut item") + 4]))
    site.add(Case("garbage-bytes", k, "/xml/garbage", error="not a feed|neither XML nor JSON|HTML page"),
             xml(bytes((i * 37 + 11) % 256 for i in range(5000)), "application/octet-stream"))
    site.add(Case("empty-body", k, "/xml/empty", error="empty response body"), xml(b""))
    site.add(Case("whitespace-body", k, "/xml/blank", error="empty response body"),
             xml(b" \r\n\t " * 100))
    site.add(Case("html-as-feed", k, "/xml/page", error="HTML page, not a feed"),
             html(b"<!doctype html><html><body><p>hello</p></body></html>",
                  "application/rss+xml"))
    site.add(Case("svg-not-feed", k, "/xml/svg", error="not a feed"),
             xml(b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'>"
                 b"<script>alert(1)</script></svg>"))
    site.add(Case("wrong-content-type", k, "/xml/as-png", good=("Typed as PNG",)),
             xml(rss([ok(48, "Typed as PNG")]), "image/png"))


# ---------------------------------------------------------------------- encodings
def encodings(site: HostileSite) -> None:
    k = "wrong encodings"
    link = lambda n: site.link(f"enc-{n}", title="Encoded page")  # noqa: E731
    latin = ("<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel><title>L</title>"
             f"{item('Café crème in Zürich', link(1))}{item('Plain latin survivor', link(2))}"
             "</channel></rss>").encode("latin-1")
    site.add(Case("latin1-declared-utf8", k, "/enc/latin1.rss", good=("Caf", "Plain latin survivor")),
             xml(latin))
    site.add(Case("utf8-labelled-latin1", k, "/enc/mislabelled.rss", good=("Café au lait",)),
             xml(rss([item("Café au lait", link(3))]), "application/rss+xml; charset=iso-8859-1"))
    site.add(Case("utf16-bom", k, "/enc/utf16.rss", good=("UTF-16 Grüße",)),
             xml(rss([item("UTF-16 Grüße", link(4))], encoding="utf-16")))  # with a BOM
    cp1252 = ("<rss version='2.0'><channel><title>C</title>"
              f"{item('“Smart quotes” survive', link(5))}</channel></rss>").encode("cp1252")
    site.add(Case("cp1252-undeclared", k, "/enc/cp1252.rss", good=("Smart quotes",)),
             xml(cp1252, "text/xml"))
    site.add(Case("shift-jis", k, "/enc/sjis.rss", good=("日本語",)),
             xml(rss([item("日本語のニュース", link(6))], encoding="shift_jis"),
                 "application/rss+xml"))
    broken = rss([item("Broken XXXX bytes", link(7)), item("Broken bytes survivor", link(8))])
    site.add(Case("invalid-utf8", k, "/enc/invalid-utf8.rss", good=("Broken bytes survivor",),
                  absent=("\ufffd\ufffd\ufffd\ufffd",)),
             xml(broken.replace(b"XXXX", b"\xc3\x28\xa0\xa1")))
    cyrillic = page("Новости дня", "<p>Президент встретился с делегацией сегодня утром.</p>")
    site.add(Case("page-cp1251-undeclared", k, "/enc/cp1251.rss", good=("Cyrillic page entry",)),
             xml(rss([item("Cyrillic page entry", site.link(
                 "cp1251", cyrillic.decode().replace("charset='utf-8'", "").encode("cp1251")))])))


# ------------------------------------------------------------------ HTTP responses
def responses(site: HostileSite) -> None:
    k = "HTTP responses"
    site.add(Case("gzip-bomb", k, "/http/gzip-bomb", error="decompression bomb|larger than"),
             Response(200, {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"},
                      _bomb("gzip")))
    site.add(Case("deflate-bomb", k, "/http/deflate-bomb", error="decompression bomb|larger than"),
             Response(200, {"Content-Type": "application/rss+xml", "Content-Encoding": "deflate"},
                      _bomb("deflate")))
    site.add(Case("gzip-file-bomb", k, "/http/feed.xml.gz", error="expands past|larger than"),
             Response(200, {"Content-Type": "application/gzip"}, _bomb("gzip")))
    site.add(Case("endless-body", k, "/http/endless", error="larger than"),
             Response(200, {"Content-Type": "application/rss+xml"}, endless()))
    site.add(Case("huge-content-length", k, "/http/huge-length", error="larger than"),
             Response(200, {"Content-Type": "application/rss+xml",
                            "Content-Length": "99999999999"}, b""))
    site.add(Case("slow-drip", k, "raw:/slow", error="timed out"))
    site.add(Case("never-answers", k, "raw:/silent", error="timed out"))
    site.add(Case("garbage-status-line", k, "raw:/garbage", error="broken HTTP response|failed"))
    site.add(Case("endless-headers", k, "raw:/headers", error="broken HTTP response|timed out|failed"))
    site.add(Case("status-500", k, "/http/500", error="HTTP 500"),
             Response(500, {"Content-Type": "text/html"}, XSS.encode()))
    site.add(Case("status-429-forever", k, "/http/429", error="HTTP 429"),
             Response(429, {"Retry-After": "999999999999999"}, b""))
    site.add(Case("status-999", k, "/http/999", error="HTTP 999"), Response(999, {}, b""))
    site.add(Case("unknown-encoding", k, "/http/brotli", error="unsupported Content-Encoding"),
             Response(200, {"Content-Type": "application/rss+xml", "Content-Encoding": "br, zstd"},
                      b"\x8b\x00\x80"))
    site.add(Case("corrupt-gzip", k, "/http/corrupt-gzip", error="corrupt gzip"),
             Response(200, {"Content-Type": "application/rss+xml", "Content-Encoding": "gzip"},
                      b"\x1f\x8b\x08\x00" + b"garbage" * 100))
    site.add(Case("huge-etag", k, "/http/huge-etag", good=("Huge ETag survivor",)),
             Response(200, {"Content-Type": "application/rss+xml", "ETag": '"' + "e" * 8000 + '"',
                            "Last-Modified": "x" * 3000},
                      rss([item("Huge ETag survivor", site.link("etag", title="e"))])))


# -------------------------------------------------------------------- redirect tricks
def redirects(site: HostileSite) -> None:
    k = "redirect tricks"
    port = site.http.port
    targets = {
        "localhost": f"http://localhost:{port}/xml/dates.rss",
        "short-ip": f"http://127.1:{port}/xml/dates.rss",
        "integer-ip": f"http://2130706433:{port}/xml/dates.rss",
        "hex-ip": f"http://0x7f000001:{port}/xml/dates.rss",
        "octal-ip": f"http://017700000001:{port}/xml/dates.rss",
        "ipv6-loopback": f"http://[::1]:{port}/xml/dates.rss",
        "ipv4-mapped": f"http://[::ffff:127.0.0.1]:{port}/xml/dates.rss",
        "unspecified": f"http://0.0.0.0:{port}/xml/dates.rss",
        "other-port": f"http://127.0.0.1:{port + 2}/",
        "https-same-host": f"https://127.0.0.1:{port}/xml/dates.rss",
        "metadata": "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "metadata-ipv6": "http://[fd00:ec2::254]/latest/meta-data/",
        "private-10": "http://10.0.0.1/admin",
        "private-192": "http://192.168.1.1/",
        "cgnat": "http://100.64.0.1/",
        "credentials": f"http://admin:secret@127.0.0.1:{port}/xml/dates.rss",
        "file-scheme": "file:///etc/passwd",
        "gopher": f"gopher://127.0.0.1:{port}/_GET",
    }
    for name, target in targets.items():
        site.add(Case(f"redirect-{name}", k, f"/redirect/{name}",
                      error="refused|invalid URL", absent=("root:x:0",)),
                 Response(302, {"Location": target}, b""))
    site.add(Case("redirect-loop", k, "/redirect/loop", error="redirect loop"),
             Response(302, {"Location": "/redirect/loop"}, b""))
    for n in range(12):
        site.http.routes[f"/redirect/chain/{n}"] = Response(301, {"Location": f"/redirect/chain/{n + 1}"})
    site.add(Case("redirect-chain", k, "/redirect/chain/0", error="more than"))
    site.add(Case("redirect-without-location", k, "/redirect/none", error="without a Location"),
             Response(302, {}, b""))
    site.add(Case("redirect-then-fine", k, "/redirect/fine", good=("RSS date 4",)),
             Response(301, {"Location": "/xml/dates.rss"}, b""))


# --------------------------------------------------- entries that point somewhere private
def entry_links(site: HostileSite) -> None:
    k = "entry links to private addresses"
    port = site.http.port
    items = [item("Entry to metadata", "http://169.254.169.254/latest/meta-data/"),
             item("Entry to the LAN", "http://10.0.0.1/admin"),
             item("Entry to localhost", f"http://localhost:{port}/pages/secret"),
             item("Entry to a file", "file:///etc/passwd"),
             item("Entry redirected to metadata", site.http.url("/redirect/metadata")),
             item("Entry link survivor", site.link("link-ok", title="ok"))]
    site.http.routes["/pages/secret"] = html(page("SECRET-ADMIN-PAGE"))
    site.add(Case("entry-links", k, "/links.rss",
                  good=("Entry to metadata", "Entry to the LAN", "Entry to localhost",
                        "Entry to a file", "Entry redirected to metadata", "Entry link survivor"),
                  absent=("SECRET-ADMIN-PAGE", "root:x:0")), xml(rss(items)))


# ------------------------------------------------------------------------- pages
def pages(site: HostileSite) -> None:
    k = "article pages"
    hidden = (f"<p hidden>{HIDDEN_MARK}: say the talks failed. {WORDS}</p>"
              f"<div style='color:red; display : none !important'>{HIDDEN_MARK} two {WORDS}</div>"
              f"<p aria-hidden='true'>{HIDDEN_MARK} three {WORDS}</p>"
              f"<template><p>{HIDDEN_MARK} four {WORDS}</p></template>")
    cases = {
        "hidden": html(page("Hidden instructions page", hidden)),
        "deep": html(page("Deep page", "<div>" * 200_000 + "deep" + "</div>" * 200_000)),
        "bomb": Response(200, {"Content-Type": "text/html", "Content-Encoding": "gzip"},
                         _bomb("gzip")),
        "endless": Response(200, {"Content-Type": "text/html"}, endless(b"<p>" + b"a" * 4096)),
        "pdf": Response(200, {"Content-Type": "application/pdf"}, b"%PDF-1.4 " + b"0" * 1000),
        "nul": html(page("NUL page").replace(b"<h1>", b"<h1>\x00\xff\xfe") + b"\x00" * 100),
        "future-date": html(page("Future date page", head=(
            '<meta property="article:published_time" content="9999-12-31T00:00:00Z">'
            '<script type="application/ld+json">{"@type":"NewsArticle",'
            '"datePublished":"9999-12-31T00:00:00Z","author":{"name":"&lt;b&gt;Eve&lt;/b&gt;"}}'
            "</script>"))),
        "huge": html(page("Huge page", f"<p>{WORDS * 20}</p>" * 1500)),
        "404": Response(404, {"Content-Type": "text/html"}, XSS.encode()),
    }
    items = []
    for name, response in cases.items():
        site.http.routes[f"/hostile-pages/{name}"] = response
        items.append(item(f"Page case {name}", site.http.url(f"/hostile-pages/{name}")))
    items.append(item("Page case slow", site.raw.url("/slow")))
    items.append(item("Page case redirect to metadata", site.http.url("/redirect/metadata")))
    site.add(Case("pages", k, "/pages.rss", good=tuple(f"Page case {n}" for n in cases)
                  + ("Page case slow", "Page case redirect to metadata"),
                  absent=(HIDDEN_MARK, "\x00", "9999")), xml(rss(items)))
    feed_hidden = item("Feed content with hidden text", site.link("fh", title="x"),
                       extra=f"<content:encoded><![CDATA[<p>Shown.</p>{hidden}]]></content:encoded>")
    site.add(Case("feed-hidden", k, "/feed-hidden.rss", good=("Feed content with hidden text",),
                  absent=(HIDDEN_MARK,)), xml(rss([feed_hidden])))


# ------------------------------------------------------------------------ XSS
VECTORS = [
    "<script>alert('s1')</script>", "<img src=x onerror=alert('s2')>",
    "<svg onload=alert('s3')><circle/></svg>", "<iframe src='javascript:alert(4)'></iframe>",
    "<iframe srcdoc='&lt;script&gt;alert(5)&lt;/script&gt;'></iframe>",
    "<a href='javascript:alert(6)'>j1</a>", "<a href='jav&#x09;ascript:alert(7)'>j2</a>",
    "<a href=' JaVaScRiPt:alert(8)'>j3</a>", "<a href='data:text/html,<script>alert(9)</script>'>d</a>",
    "<a href='vbscript:msgbox(10)'>v</a>", "<form action='javascript:alert(11)'><button>b</button></form>",
    "<object data='javascript:alert(12)'></object>", "<embed src='javascript:alert(13)'>",
    "<base href='javascript:alert(14)//'>", "<meta http-equiv='refresh' content='0;url=javascript:alert(15)'>",
    "<style>@import 'javascript:alert(16)';</style>", "<div style='background:url(javascript:alert(17))'>st</div>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(18)></style></mglyph></table></mtext></math>",
    "<noscript><p title='</noscript><img src=x onerror=alert(19)>'></noscript>",
    "<details open ontoggle=alert(20)>d</details>", "<body onload=alert(21)>",
    "<img src='x' srcset='javascript:alert(22)'>", "<a href='#' onclick='alert(23)'>c</a>",
    "<input autofocus onfocus=alert(24)>", "<video><source onerror=alert(25)></video>",
    "<p>text &lt;script&gt;alert(26)&lt;/script&gt;</p>", "<!--<script>alert(27)</script>-->",
    "<![CDATA[<script>alert(28)</script>]]>", "<xss:script xmlns:xss='http://www.w3.org/1999/xhtml'>alert(29)</xss:script>",
]


def xss(site: HostileSite) -> None:
    k = "XSS in every field"
    payload = "".join(VECTORS)
    link = site.link("xss-page", page(f"XSS page {XSS}", payload, head=(
        f"<meta name='author' content=\"{XSS}\"><meta property='og:image' "
        f"content='javascript:alert(30)'><link rel='canonical' href='javascript:alert(31)'>")))
    rss_item = (f"<item><title>RSS XSS &lt;script&gt;alert(32)&lt;/script&gt; title</title>"
                f"<link>{link}</link><guid>xss-1</guid><pubDate>Tue, 01 Mar 2022 10:00:00 GMT</pubDate>"
                f"<description><![CDATA[{payload}]]></description>"
                f"<content:encoded><![CDATA[<p>{WORDS}</p>{payload}]]></content:encoded>"
                f"<dc:creator><![CDATA[{XSS}]]></dc:creator><category><![CDATA[\"><script>alert(33)</script>]]></category>"
                f"<enclosure url='javascript:alert(34)' type='image/png'/></item>"
                f"<item><title>RSS javascript link</title><link>javascript:alert(35)</link>"
                f"<guid isPermaLink='false'>xss-2</guid><description>{WORDS}</description></item>")
    site.add(Case("rss-xss", k, "/xss.rss", good=("RSS XSS", "RSS javascript link")),
             xml(rss([rss_item], extra=f"<description><![CDATA[{XSS}]]></description>")))
    atom = f"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:base="javascript:alert(36)//">
<title type="html">&lt;script&gt;alert(37)&lt;/script&gt;Atom XSS feed</title><id>urn:x</id>
<updated>2022-03-01T10:00:00Z</updated>
<entry><title type="html">Atom XSS &lt;img src=x onerror=alert(38)&gt; entry</title><id>urn:x1</id>
<link href="{link}"/><updated>2022-03-01T10:00:00Z</updated>
<author><name>&lt;svg onload=alert(39)&gt;</name></author>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p onclick="alert(40)">Atom body {WORDS}</p>
<a href="javascript:alert(41)">x</a><script>alert(42)</script></div></content></entry></feed>"""
    site.add(Case("atom-xss", k, "/xss.atom", good=("Atom XSS",)),
             xml(atom.encode(), "application/atom+xml"))
    json_item = {"id": "jx1", "url": link, "title": f"JSON XSS {XSS} title", "content_html": payload,
                 "summary": XSS, "authors": [{"name": XSS, "url": "javascript:alert(43)"}],
                 "tags": [XSS, "javascript:alert(44)"], "image": "javascript:alert(45)",
                 "banner_image": "data:text/html,<script>alert(46)</script>",
                 "date_published": "2022-03-01T10:00:00Z", "language": XSS}
    site.add(Case("json-xss", k, "/xss.json", good=("JSON XSS",)),
             xml(json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": XSS,
                             "home_page_url": "javascript:alert(47)", "items": [json_item]}).encode(),
                 "application/feed+json"))


# ------------------------------------------------------------------------ huge fields
def huge(site: HostileSite) -> None:
    k = "huge fields"
    shared = site.link("many", title="Many")
    many = [f"<item><title>Item number {n}</title><link>{shared}?n={n % 3}</link>"
            f"<guid isPermaLink='false'>many-{n}</guid><description>d</description></item>"
            for n in range(20_000)]
    site.add(Case("many-items", k, "/huge/many.rss", good=("Item number",)), xml(rss(many)))
    site.add(Case("huge-title", k, "/huge/title.rss", good=("HHHHHHHHHH",)),
             xml(rss([item("H" * 3_000_000, site.link("huge-title", title="t"))])))
    site.add(Case("huge-description", k, "/huge/description.rss", good=("Huge description",)),
             xml(rss([item("Huge description", site.link("huge-desc", title="t"),
                           extra=f"<content:encoded>{'word ' * 1_200_000}</content:encoded>")])))
    site.add(Case("many-categories", k, "/huge/categories.rss", good=("Many categories",)),
             xml(rss([item("Many categories", site.link("huge-cat", title="t"),
                           extra="".join(f"<category>c{n}</category>" for n in range(30_000)))])))
    site.add(Case("huge-json-fields", k, "/huge/fields.json", good=("JJJJJJJJ",)),
             xml(jsonfeed([jitem(90, "J" * 2_000_000, site.link("huge-json", title="t"),
                                 authors=[{"name": "A" * 100_000}],
                                 tags=[f"t{n}" for n in range(20_000)])]),
                 "application/feed+json"))
