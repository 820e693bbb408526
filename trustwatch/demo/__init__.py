"""`trustwatch demo`: bundled sample feeds served on 127.0.0.1 and run through the whole pipeline."""
