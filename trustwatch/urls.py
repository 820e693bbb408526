"""Canonical URLs: one spelling per article, so the same story fetched twice is stored once.

Tracking parameters (utm_*, fbclid, gclid, …) and fragments are dropped, the scheme and host
lower-cased, default ports removed and the remaining query parameters sorted.
"""
from __future__ import annotations

import hashlib
import re
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

#: exact query parameter names that only track the reader
TRACKING_PARAMS = frozenset({
    "fbclid", "gclid", "gclsrc", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "twclid",
    "igshid", "igsh", "mc_cid", "mc_eid", "mkt_tok", "_hsenc", "_hsmi", "hsctatracking",
    "oly_anon_id", "oly_enc_id", "vero_id", "vero_conv", "rb_clickid", "s_cid", "_ga", "_gl",
    "ref_src", "ref_url", "cmpid", "ncid", "sr_share", "spm", "share", "ito", "smid", "cid_source",
    "ocid", "guccounter", "guce_referrer", "guce_referrer_sig", "at_medium", "at_campaign",
    "soc_src", "soc_trk", "wt.mc_id", "wt_mc_id", "campaign_id", "ns_mchannel", "ns_source",
    "ns_campaign", "ns_linkname", "ns_fee", "__twitter_impression", "feature", "rss",
})
#: parameter name prefixes that only track the reader
TRACKING_PREFIXES = ("utm_", "pk_", "mtm_", "hmb_", "__s", "stm_", "at_", "trk_", "_bta_")
_DEFAULT_PORTS = {"http": 80, "https": 443}


def is_tracking_param(name: str) -> bool:
    n = name.lower()
    return n in TRACKING_PARAMS or n.startswith(TRACKING_PREFIXES)


def canonical_url(url: str) -> str:
    """The canonical spelling of `url`; unparseable input comes back stripped but otherwise intact."""
    url = (url or "").strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return url
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return url.split("#", 1)[0]
    host = (parts.hostname or "").lower().rstrip(".")
    if port and _DEFAULT_PORTS.get(scheme) != port:
        host = f"{host}:{port}"
    if parts.username:
        host = f"{parts.username}{':' + parts.password if parts.password else ''}@{host}"
    path = quote(unquote(parts.path or "/"), safe="/%:@!$&'()*+,;=~-._")
    path = re.sub(r"/{2,}", "/", path)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_param(k)]
    query.sort()
    return urlunsplit((scheme, host, path, urlencode(query, doseq=True), ""))


def doc_id_for(canonical: str) -> str:
    """Stable document id: the first 32 hex digits of SHA-256 of the canonical URL."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]
