"""Canonical URLs, document ids, content hashes, near-duplicate fingerprints and language guesses."""
from __future__ import annotations

import pytest

from trustwatch.textutil import (NEAR_DUPLICATE_BITS, content_hash, detect_language, hamming, simhash,
                                 strip_html)
from trustwatch.urls import canonical_url, doc_id_for, is_tracking_param


@pytest.mark.parametrize("url, expected", [
    ("https://example.com/a?utm_source=x&utm_medium=y", "https://example.com/a"),
    ("https://example.com/a?id=7&fbclid=abc&gclid=def", "https://example.com/a?id=7"),
    ("https://Example.COM:443/a#section-2", "https://example.com/a"),
    ("http://example.com:80/a/b", "http://example.com/a/b"),
    ("http://example.com:8080/a", "http://example.com:8080/a"),
    ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
    ("https://example.com", "https://example.com/"),
    ("https://example.com//news///x", "https://example.com/news/x"),
    ("https://example.com/a?mc_cid=1&mc_eid=2&page=3", "https://example.com/a?page=3"),
])
def test_canonical_url(url, expected):
    assert canonical_url(url) == expected


def test_canonical_url_is_idempotent_and_keeps_meaningful_parameters():
    url = "https://news.example.org/story?id=42&lang=en&utm_campaign=spring#top"
    once = canonical_url(url)
    assert canonical_url(once) == once
    assert "id=42" in once and "lang=en" in once


def test_tracking_params():
    assert is_tracking_param("UTM_Source") and is_tracking_param("fbclid")
    assert not is_tracking_param("id") and not is_tracking_param("page")


def test_doc_id_is_stable_and_depends_only_on_the_canonical_url():
    a = doc_id_for(canonical_url("https://example.com/a?utm_source=x"))
    b = doc_id_for(canonical_url("https://EXAMPLE.com/a#frag"))
    assert a == b and len(a) == 32
    assert a != doc_id_for("https://example.com/b")


def test_content_hash_ignores_case_and_spacing_only():
    assert content_hash("Title", "Some  body\ntext") == content_hash("title", "some body text")
    assert content_hash("Title", "Some body text") != content_hash("Title", "Some body texts")


LONG = ("The regulator said on Tuesday that it had opened a formal investigation into the "
        "marketplace after sellers complained that their accounts were suspended without notice "
        "and that payouts were withheld for months while appeals went unanswered by the company. ") * 3


def test_simhash_links_near_duplicates_but_not_different_texts():
    base = simhash(LONG)
    copy = simhash(LONG + " This article first appeared in a partner publication.")
    other = simhash(" ".join(reversed(LONG.split())))
    assert base is not None and copy is not None
    assert hamming(base, copy) <= NEAR_DUPLICATE_BITS
    assert hamming(base, other) > NEAR_DUPLICATE_BITS


def test_simhash_refuses_text_too_short_to_fingerprint():
    assert simhash("Platform apologises") is None


def test_language_by_script_then_statistics_with_the_feed_hint():
    assert detect_language("平台因违规被罚款，并向用户公开道歉。监管部门已经立案调查。") == "zh"
    assert detect_language("プラットフォームは利用者に謝罪しました。調査が始まっています。") == "ja"
    assert detect_language(LONG) == "en"
    german = ("Die Aufsichtsbehörde hat gegen die Plattform ein Bußgeld verhängt, weil Nutzerdaten "
              "ohne Einwilligung an Werbepartner weitergegeben wurden, teilte sie am Dienstag mit.")
    assert detect_language(german, hint="en") == "de"
    assert detect_language("Short title", hint="pt-BR") == "pt"
    assert detect_language("", hint=None) is None


def test_strip_html():
    assert strip_html("<p>One &amp; <b>two</b></p><script>x()</script>") == "One & two"
