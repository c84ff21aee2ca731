"""Bytes -> text for HTML pages, without ever producing mojibake.

Order: BOM, HTTP header charset, <meta> charset, then detection. Legacy Chinese labels are widened
to their supersets (GB2312/GBK -> GB18030, Big5 -> Big5-HKSCS) because real pages labelled
GB2312 routinely contain GBK-only characters. Anything that cannot be decoded cleanly raises
`UndecodableContent`: a recorded failure is better than garbage text downstream.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Mapping

import ftfy

from shared.contracts import ParseFailure


class UndecodableContent(ParseFailure):
    """The bytes cannot be decoded to text without mojibake."""


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE: it shares the first two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Labels widened to the encoding browsers actually use for them (WHATWG Encoding Standard).
_WIDEN = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "ms936": "gb18030",
    "euc-cn": "gb18030",
    "hz-gb-2312": "gb18030",
    "big5": "big5hkscs",
    "big5-hkscs": "big5hkscs",
    "cp950": "big5hkscs",
    "x-x-big5": "big5hkscs",
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "utf8": "utf-8",
}

_HEADER_CHARSET = re.compile(rb"""charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
_META_CHARSET = re.compile(
    rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I
)  # covers <meta charset> and <meta http-equiv content="...; charset=">

# A few replacement characters in a long page are damaged bytes, not a wrong encoding.
_MAX_BAD_RATIO = 0.0005
_MAX_BAD_ABS = 8


def normalize_charset(label: str | None) -> str | None:
    """A Python codec name for a charset label, widened per `_WIDEN`; None when unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _WIDEN.get(label, label)
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return _WIDEN.get(name, name)


def header_charset(headers: Mapping[str, str] | None) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == "content-type" and value:
            m = _HEADER_CHARSET.search(value.encode("latin-1", "replace"))
            if m:
                return m.group(1).decode("ascii", "replace")
    return None


_XML_DECL = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([\w.:-]+)""", re.I)


def meta_charset(raw: bytes) -> str | None:
    """Charset from <meta charset>, <meta http-equiv> or an XHTML <?xml encoding?>."""
    head = raw[:8192]  # the HTML spec's prescan looks at the first 1024 bytes; CMSs overshoot
    m = _META_CHARSET.search(head) or _XML_DECL.search(head)
    return m.group(1).decode("ascii", "replace") if m else None


def _decode_tolerant(raw: bytes, encoding: str) -> str | None:
    """Strict decode, or one with a handful of damaged bytes replaced; None if it does not fit."""
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        pass
    except LookupError:
        return None
    text = raw.decode(encoding, errors="replace")
    bad = text.count("\ufffd") - raw.count("\xef\xbf\xbd".encode("latin-1"))
    if bad <= _MAX_BAD_ABS and bad <= max(1, len(text) * _MAX_BAD_RATIO):
        return text
    return None


def _is_single_byte(encoding: str) -> bool:
    return encoding.startswith(("cp125", "iso8859", "latin", "koi8", "mac-", "cp437", "cp850"))


def _utf8_if_multibyte(raw: bytes) -> str | None:
    """UTF-8 text when the bytes are valid UTF-8 with non-ASCII in them.

    Valid multi-byte UTF-8 practically never happens by chance in GBK/Big5/Latin-1 text, so it
    overrides a declared legacy charset (servers often send a stale default like ISO-8859-1).
    """
    if raw.isascii():
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    if not sample:
        return False
    controls = sum(1 for c in sample if c < " " and c not in "\t\n\r\f")
    return controls > len(sample) * 0.01


def decode_html(raw: bytes, headers: Mapping[str, str] | None = None) -> str:
    """Decode an HTML body; raise `UndecodableContent` rather than return mojibake."""
    return repair_mojibake(_decode(raw, headers))


# A Latin-1/cp1252 reading of UTF-8 leaves a lead character (Â Ã â...) followed by a C1
# control or a cp1252 punctuation sign: "â\x80\x99" or "â€™" for "’", "Ã©" for "é".
_MOJIBAKE_HINT = re.compile(
    "[\u00c2-\u00f4]"  # the lead byte of a UTF-8 sequence, read as Latin-1
    "[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc"
    "\u2013-\u203a\u20ac\u2122]"  # a continuation byte, read as Latin-1 or cp1252
)


def _byte_of(ch: str) -> int | None:
    """The byte a Latin-1 or cp1252 reading turned into `ch`, if any."""
    if ord(ch) < 256:
        return ord(ch)
    try:
        return ch.encode("cp1252")[0]
    except UnicodeEncodeError:
        return None


def _utf8_sequence_at(text: str, start: int) -> bool:
    """Do the characters from `start` read back to one whole UTF-8 sequence? ("Ã©" -> "é";
    "é»" in French text does not: 0xE9 needs two continuation bytes)."""
    lead = ord(text[start])
    size = 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4
    seq = [_byte_of(ch) for ch in text[start : start + size]]
    if len(seq) < size or None in seq:
        return False
    try:
        bytes(seq).decode("utf-8")  # type: ignore[arg-type]
    except UnicodeDecodeError:
        return False
    return True


def repair_mojibake(text: str) -> str:
    """Text the page itself double-encoded (UTF-8 read as Latin-1 and stored again), repaired by
    ftfy, which changes only sequences it can prove are mojibake. ftfy costs a tenth of a parse
    on a long page, so it runs only where some hint reads back to a real UTF-8 sequence."""
    if not any(_utf8_sequence_at(text, m.start()) for m in _MOJIBAKE_HINT.finditer(text)):
        return text
    return ftfy.fix_encoding(text)


def _decode(raw: bytes, headers: Mapping[str, str] | None) -> str:
    for bom, enc in _BOMS:
        if raw.startswith(bom):
            text = _decode_tolerant(raw[len(bom) :], enc)
            if text is None:
                raise UndecodableContent(f"bytes do not match their {enc} byte-order mark")
            return text

    utf8 = _utf8_if_multibyte(raw)
    for label in (header_charset(headers), meta_charset(raw)):
        enc = normalize_charset(label)
        if enc is None:
            continue
        if enc != "utf-8" and utf8 is not None:
            return utf8
        text = _decode_tolerant(raw, enc)
        if text is not None and not _looks_binary(text):
            return text
        # A declared charset that does not fit: fall through to the next source and detection.

    if raw.isascii():
        text = raw.decode("ascii")
    elif utf8 is not None:
        text = utf8
    else:
        text = _detect(raw)
    if _looks_binary(text):
        raise UndecodableContent("content is binary, not text")
    return text


def _detect(raw: bytes) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(raw, steps=8, chunk_size=1024, threshold=0.1).best()
    if best is None or best.encoding is None:
        raise UndecodableContent("no charset decodes these bytes cleanly")
    enc = normalize_charset(best.encoding) or best.encoding
    text = _decode_tolerant(raw, enc)
    if text is None:
        raise UndecodableContent(f"detected charset {enc} does not decode these bytes")
    if _is_single_byte(enc) and best.chaos > 0.05:
        # A single-byte guess with visible noise is how mojibake gets in.
        raise UndecodableContent(f"only a noisy {enc} guess fits these bytes")
    return text
