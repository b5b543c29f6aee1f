"""``urlize_text`` is Django's ``urlize`` filter, character for character, only cheaper."""

from __future__ import annotations

import random

import pytest
from django.template import Context, Template
from django.template.defaultfilters import urlize
from django.utils.safestring import SafeData, mark_safe

from core.templatetags.links import urlize_text

EDGE_CASES = [
    "",
    "plain words only",
    "See https://homeknots.example/aftercare/feedback/12/MTIuMzQ:1xXcXu:abc-_def/ today.",
    "(https://example.com/a_(b)) and [www.example.org/x], then http://[::1]:8000/p?q=1&r=2.",
    "Mail care@homeknots.example, or write to <care@homeknots.example>!",
    "A bare domain: homeknots.com/book. An odd one: homeknots.dev. Ellipsis...",
    'Quotes "like this" & <b>tags</b> are escaped; so is an apostrophe in it\'s.',
    "Soreness is usually gone in 2–3 days: 20 minutes on, 20 minutes off.",
    "Line one\n\nLine two: https://x.example/p?a=1&b=<2>\n- a list item.",
    "Tabs\tand  double  spaces, trailing punctuation: https://example.com/;,!",
    "mailto:care@example.com javascript:alert(1) ftp://example.com/file",
    "Unicode: café.example/ménu and https://exämple.com/ü?x=ÿ",
    "https://example.com/" + "x" * 3000,
]


@pytest.mark.parametrize("text", EDGE_CASES)
def test_it_gives_what_urlize_gives(text):
    assert urlize_text(text) == urlize(text)


def test_it_gives_what_urlize_gives_on_random_text():
    pieces = [
        "https://", "http://", "www.", "example", ".com", ".org", ".", ",", ":", ";", "!", "@",
        "(", ")", "[", "]", "<", ">", "&", '"', "'", " ", "\n", "/", "?", "=", "a", "Z", "9",
        "–", "é", "mailto:", "#",
    ]  # fmt: skip
    rng = random.Random(20261129)
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 40)))
        assert urlize_text(text) == urlize(text), text


def test_it_leaves_safe_text_and_no_autoescape_to_django():
    safe = mark_safe("<b>bold</b> https://example.com/")
    assert urlize_text(safe) == urlize(safe)
    assert urlize_text("<i> https://example.com/", autoescape=False) == urlize(
        "<i> https://example.com/", autoescape=False
    )


def test_the_template_filter_is_safe_and_escapes_what_it_must():
    out = Template("{% load links %}{{ text|urlize_text }}").render(
        Context({"text": "<script> https://example.com/?a=1&b=2"})
    )
    assert out == (
        '&lt;script&gt; <a href="https://example.com/?a=1&amp;b=2" rel="nofollow">'
        "https://example.com/?a=1&amp;b=2</a>"
    )
    assert isinstance(urlize_text("x"), SafeData)
