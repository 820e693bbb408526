"""trustwatch: a queryable timeline of platform-trust incidents from news and social feeds."""

__version__ = "0.1.0"
