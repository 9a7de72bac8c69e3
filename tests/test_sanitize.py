"""sanitize_html: an allow-list, absolute http(s)/mailto URLs, nothing executable survives."""

import re

import pytest

from newsdesk.ingest.sanitize import absolute_url, sanitize_html

BASE = "https://news.example/world/2024/story.html"

HOSTILE = [
    '<script>alert(1)</script>',
    '<img src="x.png" onerror="alert(1)">',
    '<a href="javascript:alert(1)">click</a>',
    '<a href="JaVaScRiPt:alert(1)">click</a>',
    '<a href="java&#09;script:alert(1)">click</a>',
    '<a href=" javascript:alert(1)">click</a>',
    '<svg onload="alert(1)"><circle r="4"/></svg>',
    '<iframe src="https://evil.example/"></iframe>',
    '<p style="width: expression(alert(1))">styled</p>',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<object data="evil.swf"></object><embed src="evil.swf">',
    '<form action="https://evil.example/"><input name="q"><button>go</button></form>',
    '<math><mtext><script>alert(1)</script></mtext></math>',
    '<div onclick="alert(1)" onmouseover="alert(1)">hover</div>',
    '<style>body { background: url("javascript:alert(1)") }</style>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="https://evil.example/">',
    '<link rel="stylesheet" href="https://evil.example/x.css">',
    '<!-- <script>alert(1)</script> -->',
    '<noscript><img src=x onerror=alert(1)></noscript>',
    '<template><script>alert(1)</script></template>',
]


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_markup_is_neutralised(payload):
    out = sanitize_html(f"<p>before</p>{payload}<p>after</p>", BASE).lower()
    for needle in ("<script", "javascript:", "vbscript:", "data:", " on", "style=", "<iframe", "<svg",
                   "<object", "<embed", "<form", "<input", "<style", "<meta", "<base", "<link", "<!--",
                   "alert(1)", "<math", "<template", "evil.example"):
        assert needle not in out, (needle, out)
    assert "<p>before</p>" in out and "<p>after</p>" in out


def test_allowed_structure_is_kept():
    html = ("<h2>Head</h2><p>Some <strong>bold</strong> and <em>italic</em> text.</p>"
            "<blockquote>Quote</blockquote><ul><li>one</li></ul><ol><li>two</li></ol>"
            "<figure><img src=\"/img/a.jpg\" alt=\"A\"><figcaption>Cap</figcaption></figure>"
            "<table><thead><tr><th>h</th></tr></thead><tbody><tr><td>d</td></tr></tbody></table>"
            "<pre><code>x = 1</code></pre>line<br>break")
    out = sanitize_html(html, BASE)
    for tag in ("<h2>", "<strong>", "<em>", "<blockquote>", "<ul>", "<ol>", "<li>", "<figure>",
                "<figcaption>", "<table>", "<thead>", "<tbody>", "<tr>", "<th>", "<td>", "<pre>",
                "<code>", "<br>"):
        assert tag in out, tag
    assert '<img src="https://news.example/img/a.jpg" alt="A">' in out


def test_unknown_tags_are_unwrapped_keeping_their_text():
    assert sanitize_html('<div class="x"><span id="y">Hello</span> <font>world</font></div>') == "Hello world"


def test_links_are_absolute_and_get_rel():
    out = sanitize_html('<a href="../other.html" target="_blank" class="c">other</a>', BASE)
    assert out == ('<a href="https://news.example/world/other.html" '
                   'rel="nofollow noopener noreferrer">other</a>')


def test_mailto_and_https_links_survive():
    out = sanitize_html('<a href="mailto:desk@news.example">mail</a> <a href="https://x.example/">x</a>')
    assert 'href="mailto:desk@news.example"' in out
    assert 'href="https://x.example/"' in out


def test_relative_links_without_a_base_are_dropped():
    out = sanitize_html('<a href="/local">local</a><img src="/a.png">')
    assert out == '<a rel="nofollow noopener noreferrer">local</a>'


def test_ftp_and_other_schemes_are_dropped():
    out = sanitize_html('<a href="ftp://files.example/x">f</a><a href="file:///etc/passwd">p</a>', BASE)
    assert "ftp:" not in out and "file:" not in out


def test_empty_input():
    assert sanitize_html("") == ""
    assert sanitize_html("   ") == ""


def test_output_is_stable():
    once = sanitize_html('<p>Hi <a href="/x">x</a><img src="y.png" onerror="z"></p>', BASE)
    assert sanitize_html(once, BASE) == once
    assert not re.search(r"\son\w+=", once)


@pytest.mark.parametrize("url, base, expected", [
    ("/a.jpg", "https://site.example/news/", "https://site.example/a.jpg"),
    ("//cdn.example/a.jpg", None, "https://cdn.example/a.jpg"),
    ("javascript:alert(1)", "https://site.example/", None),
    ("relative.jpg", None, None),
    ("", "https://site.example/", None),
])
def test_absolute_url(url, base, expected):
    assert absolute_url(url, base) == expected
