"""Gzip for text answers (JSON, HTML, SVG …) when the client accepts it.

:func:`compress` runs after every view. It compresses an answer when the
request's ``Accept-Encoding`` allows ``gzip``, the answer is text of a kind
in :data:`TYPES`, holds at least :data:`MIN_BYTES` and is an ordinary body
in memory: files (``send_file``, static files), streamed downloads and
answers that already carry a ``Content-Encoding`` are sent as they are.
Every answer of a compressible kind says ``Vary: Accept-Encoding``.

Two details:

* Large bodies are compressed once: the result is kept per body (its hash
  and length, :data:`MEMO_BYTES` and up, a few at most), so the same map
  asked for by many users costs one compression, not one per request. The
  key is the body itself, so only a request whose answer is exactly that
  body gets it.
* A page that carries the session's CSRF token (every HTML page does) has
  the token compressed on its own, with no shared history before or after
  it (a full flush around it), so that reflected request data next to it
  cannot be used to guess it from the compressed length (BREACH).
"""

from __future__ import annotations

import hashlib
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable

from flask import Flask
from flask import Response
from flask import current_app
from flask import request
from flask import session

#: media types worth compressing
TYPES = frozenset({
    "application/json", "text/html", "image/svg+xml", "application/yaml", "text/plain",
    "text/css", "text/javascript", "application/javascript",
})  # fmt: skip
#: smaller bodies are sent as they are (one packet either way)
MIN_BYTES = 1024
#: zlib level: 6 is zlib's default (level 1 is twice as fast, some 30 % bigger on our JSON)
LEVEL = 6
#: bodies of this size and up have their compressed form kept (see :class:`Memo`)
MEMO_BYTES = 64 * 1024
#: compressed bodies kept at most, and their total size at most
MEMO_ENTRIES = 32
MEMO_TOTAL = 64 * 2**20
#: where the memo lives on the app
KEY = "bridgework.gzip"
#: statuses that have no body to compress
NO_BODY = frozenset({204, 206, 304})


def accepts_gzip() -> bool:
    """Whether the current request's ``Accept-Encoding`` allows gzip (``*`` counts, ``q=0`` refuses)."""
    return request.accept_encodings["gzip"] > 0


def gzip_bytes(data: bytes, *, secret: bytes | None = None, level: int = LEVEL) -> bytes:
    """``data`` in the gzip format, with ``secret`` (when given) compressed apart from the rest.

    Every occurrence of ``secret`` is its own deflate block with no history
    before it and none after it (``Z_FULL_FLUSH``), so no other part of
    ``data`` is encoded by reference to it or it to them.

    >>> import gzip
    >>> body = b"<p>abc</p><input value=TOKEN><p>TOKEN?</p>" * 3
    >>> gzip.decompress(gzip_bytes(body, secret=b"TOKEN")) == body
    True
    >>> gzip.decompress(gzip_bytes(b"")) == b""
    True
    """
    packer = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # gzip header, no mtime
    parts = data.split(secret) if secret else [data]
    out = []
    for number, part in enumerate(parts):
        if number:
            out += [packer.flush(zlib.Z_FULL_FLUSH), packer.compress(secret or b"")]
            out.append(packer.flush(zlib.Z_FULL_FLUSH))
        out.append(packer.compress(part))
    out.append(packer.flush())
    return b"".join(out)


class Memo:
    """Compressed forms of large bodies, by the body's hash and length (LRU, thread-safe).

    >>> memo = Memo(entries=1, total=1000)
    >>> memo.get(b"x" * 10, lambda: b"packed")
    b'packed'
    >>> memo.get(b"x" * 10, lambda: b"again")  # the same body: kept
    b'packed'
    """

    def __init__(self, *, entries: int = MEMO_ENTRIES, total: int = MEMO_TOTAL) -> None:
        self.entries, self.total = entries, total
        self._kept: OrderedDict[tuple[bytes, int], bytes] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, body: bytes, pack: Callable[[], bytes]) -> bytes:
        """The kept compressed form of ``body``, or ``pack()`` (then kept)."""
        key = (hashlib.blake2b(body, digest_size=20).digest(), len(body))
        with self._lock:
            found = self._kept.get(key)
            if found is not None:
                self._kept.move_to_end(key)
                return found
        packed = pack()
        if len(packed) > self.total:
            return packed
        with self._lock:
            if key not in self._kept:
                self._kept[key] = packed
                self._size += len(packed)
            while len(self._kept) > self.entries or self._size > self.total:
                _, dropped = self._kept.popitem(last=False)
                self._size -= len(dropped)
        return packed


def compressible(response: Response) -> bool:
    """Whether ``response`` is a kind of answer that is sent compressed to clients that accept it."""
    return (
        response.mimetype in TYPES
        and response.status_code not in NO_BODY
        and 200 <= response.status_code < 600
        and not response.direct_passthrough  # files: send_file, static
        and not response.is_streamed  # generators: downloads written as they are read
        and "Content-Encoding" not in response.headers
    )


def compress(response: Response) -> Response:
    """Gzip ``response`` when the client accepts it and it is worth it (see the module)."""
    if not compressible(response):
        return response
    response.vary.add("Accept-Encoding")
    if not accepts_gzip():
        return response
    body = response.get_data()
    if len(body) < MIN_BYTES:
        return response
    token = session.get("csrf") if request.endpoint != "static" else None
    secret = token.encode() if isinstance(token, str) and token else None
    if secret is not None and secret not in body:
        secret = None
    if secret is None and len(body) >= MEMO_BYTES:
        packed = current_app.extensions[KEY].get(body, lambda: gzip_bytes(body))
    else:
        packed = gzip_bytes(body, secret=secret)
    response.set_data(packed)
    response.headers["Content-Encoding"] = "gzip"
    return response


def init_app(app: Flask) -> None:
    """Compress ``app``'s answers (see :func:`compress`)."""
    app.extensions.setdefault(KEY, Memo())
    app.after_request(compress)
