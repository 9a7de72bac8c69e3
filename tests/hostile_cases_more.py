"""More cases of the hostile suite (see ``hostile.py``): response headers whose numbers
Python will not read, and feeds whose bytes lie about their encoding. Registered by
``hostile_cases.register_all``."""

from __future__ import annotations

from hostile import Case, HostileSite, Response, item, jitem, jsonfeed, page, rss, xml

DIGITS = "9" * 5000          # int() refuses more than 4,300 digits: a ValueError


def header_numbers(site: HostileSite) -> None:
    k = "header numbers"
    ok = lambda n, title: item(title, site.link(f"hdr-{n}", title=title))  # noqa: E731
    site.add(Case("max-age-5000-digits", k, "/hdr/max-age.rss", good=("Max-age survivor",)),
             xml(rss([ok(1, "Max-age survivor")]), **{"Cache-Control": f"max-age={DIGITS}"}))
    site.add(Case("age-5000-digits", k, "/hdr/age.rss", good=("Age survivor",)),
             xml(rss([ok(2, "Age survivor")]), **{"Cache-Control": "max-age=60", "Age": DIGITS}))
    site.add(Case("retry-after-5000-digits", k, "/hdr/retry-after", error=r"^HTTP 429"),
             Response(429, {"Retry-After": DIGITS}, b""))
    site.add(Case("retry-after-year-9999", k, "/hdr/retry-9999",
                  error=r"HTTP 503 .*\(retry after 3153\d{4} s\)"),
             Response(503, {"Retry-After": "Fri, 31 Dec 9999 23:59:59 GMT"}, b""))
    site.http.routes["/pages/hdr-page"] = Response(
        200, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": f"max-age={DIGITS}"},
        page("Header page"))
    site.add(Case("page-max-age-5000-digits", k, "/hdr/page.rss",
                  good=("Page with a huge max-age", "Page max-age survivor"),
                  absent=("extraction failed",)),
             xml(rss([item("Page with a huge max-age", site.http.url("/pages/hdr-page")),
                      ok(3, "Page max-age survivor")])))
    urlset = ("<?xml version='1.0'?><urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
              "<url><loc>{}</loc><lastmod>2022-03-01</lastmod></url></urlset>")
    site.http.routes["/hdr/child-1.xml"] = xml(
        urlset.format(site.link("hdr-child-1", title="Child one")).encode(), "application/xml",
        **{"Cache-Control": f"max-age={DIGITS}"})
    site.http.routes["/hdr/child-2.xml"] = xml(
        urlset.format(site.link("hdr-child-2", title="Child two")).encode(), "application/xml")
    index = ("<?xml version='1.0'?><sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
             + "".join(f"<sitemap><loc>{site.http.url(p)}</loc></sitemap>"
                       for p in ("/hdr/sitemap.xml", "/hdr/child-1.xml", "/hdr/child-2.xml"))
             + "</sitemapindex>")
    site.add(Case("sitemap-child-max-age", k, "/hdr/sitemap.xml", good=("Child one", "Child two")),
             xml(index.encode(), "application/xml"))


def wide_encodings(site: HostileSite) -> None:
    """UTF-16/32 without a byte-order mark (XML 1.0 Appendix F), and UTF-8 that declares
    UTF-16: each used to lose the whole feed."""
    k = "wide encodings"
    ok = lambda n, title: item(title, site.link(f"wide-{n}", title=title))  # noqa: E731
    for n, codec in enumerate(("utf-16-le", "utf-16-be", "utf-32-le")):
        title = f"No BOM {codec} Grüße"
        site.add(Case(f"{codec}-without-bom", k, f"/wide/{codec}.rss", good=(title,)),
                 xml(rss([ok(n, title)], encoding=codec)))
    lie = rss([ok(5, "Declared UTF-16 survivor")]).replace(b"encoding='utf-8'", b"encoding='UTF-16'")
    site.add(Case("utf8-declared-utf16", k, "/wide/lie.rss", good=("Declared UTF-16 survivor",)),
             xml(lie))
    body = jsonfeed([jitem(6, "JSON in UTF-16 without BOM", site.link("wide-6", title="w"))])
    site.add(Case("json-utf16-without-bom", k, "/wide/feed.json", good=("JSON in UTF-16",)),
             xml(body.decode().encode("utf-16-le"), "application/feed+json"))


def page_dates(site: HostileSite) -> None:
    """Page metadata dates that made htmldate raise (a UTC offset of 99:99, past year 9999
    once in UTC): the whole page was lost to "extraction failed: ValueError" and the
    article fell back to the feed's summary."""
    k = "page dates"
    items = []
    for n, value in enumerate(("2022-03-01T10:00:00+99:99", "9999-12-31T23:59:59-14:00",
                               "0001-01-01T00:00:00+14:00", "2022-02-30T25:61:00Z")):
        head = (f'<meta property="article:published_time" content="{value}">'
                f'<meta itemprop="dateModified" content="{value}">')
        link = site.link(f"date-{n}", page(f"Page date case {n}", head=head))
        items.append(item(f"Page date case {n}", link))
    site.add(Case("page-meta-dates", k, "/dates/pages.rss",
                  good=tuple(f"Page date case {n}" for n in range(4)),
                  absent=("extraction failed", "9999")), xml(rss(items)))


def page_urls(site: HostileSite) -> None:
    """Pages whose own metadata holds a URL that is no URL: urljoin raised on an unclosed
    IPv6 bracket, nh3 on a canonical base with a port past 65535; the page was lost."""
    k = "page URLs"
    heads = ['<link rel="canonical" href="http://[::1">',
             '<link rel="canonical" href="http://x.example:99999999/a">',
             '<meta property="og:image" content="http://[::1">',
             '<meta property="og:image" content="https://x.example:0x50/i.png">']
    items = [item(f"Page URL case {n}", site.link(f"url-{n}", page(
        f"Page URL case {n}", body='<p><a href="http://[::1">a link</a> <img src="http://[::1"></p>',
        head=head))) for n, head in enumerate(heads)]
    site.add(Case("page-broken-urls", k, "/urls/pages.rss",
                  good=tuple(f"Page URL case {n}" for n in range(len(heads))),
                  absent=("extraction failed", "[::1")), xml(rss(items)))


def idna_hosts(site: HostileSite) -> None:
    """Host names with an "xn--" label that is not Punycode: reading ``url.host`` raised
    idna.IDNAError past the SSRF guard, so a feed (or a redirect to one) ended as
    "internal error: IDNAError" and an entry's page as "extraction failed"."""
    k = "IDNA hosts"
    site.add(Case("feed-xn-host", k, "/idna/redirect", error="invalid URL: bad host name"),
             Response(302, {"Location": "http://xn--zz/feed.xml"}, b""))
    items = [item("Entry on an xn-- host", "http://xn--/a"),
             item("Entry on an XN-- host", "http://XN--ZZ.example/a"),
             item("IDNA survivor", site.link("idna-ok", title="IDNA survivor"))]
    site.add(Case("entry-xn-hosts", k, "/idna/entries.rss",
                  good=("Entry on an xn-- host", "Entry on an XN-- host", "IDNA survivor"),
                  absent=("extraction failed", "internal error")), xml(rss(items)))
