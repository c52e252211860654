"""The pages people read: /docs and /redoc load nothing from outside this server, and a problem
type's page renders its text as HTML, escaped."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import Any, ClassVar

import pytest
from fastapi.testclient import TestClient

from needleplan.config import Settings
from needleplan.kit import markdown
from needleplan.main import create_app
from needleplan.problems import Problem

# What a page fetches: an absolute or scheme-relative URL in src=, href= or CSS url(...).
REMOTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)", re.IGNORECASE)
# Image-like URLs a bundle puts into the page, e.g. ReDoc's CDN logo, Swagger's validator badge.
REMOTE_IMAGE_IN_JS = re.compile(
    r"https?://[^\s'\"`]+\.(?:svg|png|gif|jpe?g|webp|ico|woff2?|ttf|css)\b"
    r"|https?://fonts\.googleapis\.com|https?://validator\.swagger\.io"
)


@pytest.fixture(scope="module")
def docs_client() -> Iterator[TestClient]:
    # The pages never touch the database: an unused in-memory URL will do.
    with TestClient(create_app(Settings(database_url="sqlite://"))) as client:
        yield client


class _Loads(HTMLParser):
    """Every URL a page loads: src, href of <link> (stylesheets, icons), inline style url()."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str]] = []
        self.inline: list[str] = []
        self._in: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        for name in ("src", "href", "spec-url", "data", "poster", "srcset"):
            if name in values and (tag != "a" or name != "href"):
                self.urls.append((tag, values[name]))
        self.urls += [(tag, url) for url in CSS_URL.findall(values.get("style", ""))]
        self._in = tag if tag in ("script", "style") else None

    def handle_data(self, data: str) -> None:
        if self._in is not None:
            self.inline.append(data)

    def handle_endtag(self, tag: str) -> None:
        self._in = None


def _loads(html: str) -> _Loads:
    parser = _Loads()
    parser.feed(html)
    return parser


@pytest.mark.parametrize("page", ["/docs", "/redoc", "/docs/oauth2-redirect"])
def test_docs_pages_load_only_from_this_server(docs_client: TestClient, page: str) -> None:
    response = docs_client.get(page)
    assert response.status_code == 200
    loads = _loads(response.text)
    inline_urls = [url for text in loads.inline for url in CSS_URL.findall(text)]
    assert [u for _, u in loads.urls if REMOTE.match(u)] + [
        u for u in inline_urls if REMOTE.match(u)
    ] == []
    if page != "/docs/oauth2-redirect":
        icons = [url for tag, url in loads.urls if tag == "link" and "favicon" in url]
        assert icons, f"{page} names no favicon: the browser would ask for /favicon.ico"
    for _, url in loads.urls:
        fetched = docs_client.get(url)
        assert fetched.status_code == 200, url
        assert fetched.content, url
        if url.endswith(".css"):
            assert [u for u in CSS_URL.findall(fetched.text) if REMOTE.match(u)] == [], url


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_bundles_put_no_remote_image_or_font_in_the_page(
    docs_client: TestClient, page: str
) -> None:
    scripts = [url for tag, url in _loads(docs_client.get(page).text).urls if tag == "script"]
    assert scripts
    for url in scripts:
        bundle = docs_client.get(url).text
        found = set(REMOTE_IMAGE_IN_JS.findall(bundle))
        # Swagger UI's default validator stays in its bundle; the page turns it off below.
        if page == "/docs":
            found -= {"https://validator.swagger.io"}
        assert found == set(), url


def test_swagger_ui_validator_badge_is_off(docs_client: TestClient) -> None:
    # Unset, Swagger UI shows an <img> from validator.swagger.io for a document not on localhost.
    assert '"validatorUrl": null' in docs_client.get("/docs").text


def test_the_openapi_document_names_no_remote_logo(docs_client: TestClient) -> None:
    document: dict[str, Any] = docs_client.get("/openapi.json").json()
    assert "x-logo" not in document["info"]


def test_problem_pages_render_code_spans_and_no_backticks(docs_client: TestClient) -> None:
    with_code = [p for p in Problem.registry.values() if "`" in p.explanation]
    assert with_code, "no explanation uses a code span"
    for problem in with_code:
        page = docs_client.get(f"/problems/{problem.slug}")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert "<code>" in page.text, problem.slug
        assert "`" not in page.text, problem.slug


def test_problem_page_escapes_html(
    docs_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A class statement registers the subclass: give it a registry of its own.
    monkeypatch.setattr(Problem, "registry", dict(Problem.registry))

    class Markup(Problem):
        status, slug, title = 400, "test-markup", "<Markup> & co"
        explanation: ClassVar[str] = (
            'Send `<b>bold</b>` & <script>alert(1)</script> `If-Match: "2"`.\n\n'
            "See [the list](/problems/not-found) but not [this](javascript:alert(1))."
        )

    assert Problem.registry["test-markup"] is Markup
    text = docs_client.get("/problems/test-markup").text
    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "<code>&lt;b&gt;bold&lt;/b&gt;</code>" in text
    assert "<code>If-Match: &quot;2&quot;</code>" in text
    assert "<h1>&lt;Markup&gt; &amp; co</h1>" in text
    assert '<a href="/problems/not-found">the list</a>' in text
    assert 'href="javascript' not in text
    assert text.count("<p>") == 3  # the status line and two paragraphs


def test_markdown_subset() -> None:
    assert markdown.render("a\nb\n\n  c  ") == "<p>a b</p><p>c</p>"
    assert markdown.render("`x < y` & `z`") == "<p><code>x &lt; y</code> &amp; <code>z</code></p>"
    assert markdown.render("[a](//evil.example)") == "<p>[a](//evil.example)</p>"
    assert markdown.render("[a](https://example.org/x)") == (
        '<p><a href="https://example.org/x">a</a></p>'
    )
    assert markdown.render("an ` alone") == "<p>an ` alone</p>"
