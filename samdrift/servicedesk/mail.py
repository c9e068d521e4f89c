"""Reading received email: headers, body text, sanitised HTML, attachments, and the signs of a
message that must never be answered (auto-replies, bounces, mailing lists).

`parse_message(raw)` never guesses silently: a message it cannot read raises `MailError` with a
reason a person can act on; what it could read with a loss is listed in `warnings`.
"""

from __future__ import annotations

import email
import email.header
import email.policy
import html as html_lib
import re
from dataclasses import dataclass, field
from email import errors as email_errors
from email.headerregistry import Address
from email.message import Message
from email.utils import parseaddr
from typing import Any

import nh3
from django.utils.translation import gettext as _

TOKEN_RE = re.compile(r"\[?\b(SD-\d{4}-\d{6,7})\b\]?", re.IGNORECASE)
# Message-IDs of our own outgoing mail: <sd.<ticket id>.<random>@domain>
OUR_MESSAGE_ID_RE = re.compile(r"^sd\.(\d+)\.[0-9a-z]+@", re.IGNORECASE)

# Defects after which the structure of the message cannot be trusted.
FATAL_DEFECTS = (
    email_errors.StartBoundaryNotFoundDefect,
    email_errors.CloseBoundaryNotFoundDefect,
    email_errors.MultipartInvariantViolationDefect,
    email_errors.NoBoundaryInMultipartDefect,
    email_errors.MissingHeaderBodySeparatorDefect,
)

HTML_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "hr", "i", "img", "li",
    "ol", "p", "pre", "s", "small", "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr",
    "u", "ul",
}  # fmt: skip
HTML_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "width", "height"}, "td": {"colspan", "rowspan"}}


class MailError(Exception):
    """The message cannot be processed; the text says why (shown in the error queue)."""


@dataclass
class MailPart:
    filename: str
    content_type: str
    data: bytes
    inline: bool = False
    content_id: str = ""


@dataclass
class ParsedMessage:
    sender: str = ""
    sender_name: str = ""
    subject: str = ""
    message_id: str = ""
    in_reply_to: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    text: str = ""
    html: str = ""  # sanitised with nh3
    parts: list[MailPart] = field(default_factory=list)
    auto_reason: str = ""  # why this message must not be answered, "" for a person's message
    warnings: list[str] = field(default_factory=list)

    @property
    def token(self) -> str:
        match = TOKEN_RE.search(self.subject)
        return match.group(1).upper() if match else ""

    @property
    def thread_ids(self) -> list[str]:
        return [*self.in_reply_to, *reversed(self.references)]


def _header(msg: Message, name: str) -> str:
    """A header as text; a header that cannot be decoded is read as raw text, not an error."""
    try:
        value = msg.get(name)
    except Exception:  # the email package raises many kinds on malformed headers
        raw = msg._headers if hasattr(msg, "_headers") else []  # type: ignore[attr-defined]
        value = next((v for k, v in raw if k.lower() == name.lower()), "")
    return re.sub(r"\s+", " ", str(value or "")).strip()


def _ids(value: str) -> list[str]:
    return [v.strip() for v in re.findall(r"<([^<>\s]+)>", value)]


def peek_headers(raw: bytes) -> tuple[str, str, str]:
    """(Message-ID, sender, subject) for storing a message before it is processed; never fails."""
    try:
        msg = email.message_from_bytes(raw[:200_000], policy=email.policy.compat32)
        message_id = (_ids(_header(msg, "Message-ID")) or [""])[0]
        sender = parseaddr(_decode_header(_header(msg, "From")))[1].lower()
        return message_id[:255], sender[:320], _decode_header(_header(msg, "Subject"))[:500]
    except Exception:  # a message we cannot even peek at is still stored
        return "", "", ""


def _decode_header(value: str) -> str:
    try:
        return str(email.header.make_header(email.header.decode_header(value)))
    except Exception:  # unknown charsets in encoded words
        return value


def auto_reason(msg: Message, sender: str) -> str:
    """Why the message was sent by a machine (so it must never be answered), or ""."""
    auto_submitted = _header(msg, "Auto-Submitted").lower()
    if auto_submitted and auto_submitted != "no":
        return _("automatic message (Auto-Submitted: %(value)s)") % {"value": auto_submitted}
    precedence = _header(msg, "Precedence").lower()
    if precedence in {"bulk", "junk", "list", "auto_reply"}:
        return _("automatic message (Precedence: %(value)s)") % {"value": precedence}
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        if _header(msg, name):
            return _("automatic message (%(header)s)") % {"header": name}
    if _header(msg, "List-Id"):
        return _("mailing-list message (List-Id)")
    return_path = _header(msg, "Return-Path")
    if return_path.replace(" ", "") == "<>":
        return _("bounce (null sender)")
    if msg.get_content_type() == "multipart/report":
        return _("bounce (delivery status report)")
    local = sender.split("@", 1)[0]
    if local in {"mailer-daemon", "postmaster"}:
        return _("bounce (from %(sender)s)") % {"sender": sender}
    return ""


def _only_embedded_images(tag: str, attribute: str, value: str) -> str | None:
    # A remote image would tell the sender (or a tracker) when an agent opened the ticket.
    if tag == "img" and attribute == "src" and not value.startswith("cid:"):
        return None
    return value


def sanitise_html(value: str) -> str:
    """Only harmless markup: no scripts, styles, event handlers, javascript: links or remote images."""
    return nh3.clean(
        value,
        tags=HTML_TAGS,
        attributes=HTML_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "cid"},
        link_rel="noopener noreferrer nofollow",
        attribute_filter=_only_embedded_images,
    )


_BLOCK_END = re.compile(r"(?i)<br\s*/?>|</(p|div|li|tr|h[1-6]|blockquote|pre|table)>")


def html_to_text(value: str) -> str:
    text = nh3.clean(_BLOCK_END.sub("\n", value), tags=set())
    text = html_lib.unescape(text)
    lines = [re.sub(r"[ \t\xa0]+", " ", line).strip() for line in text.splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _text_of(part: Message, accept_defects: bool, warnings: list[str]) -> str:
    charset = part.get_content_charset() or "us-ascii"
    payload = part.get_payload(decode=True) or b""
    if not isinstance(payload, bytes):  # pragma: no cover - decode=True always gives bytes
        payload = str(payload).encode()
    try:
        text = payload.decode(charset)
    except LookupError as exc:
        if not accept_defects:
            raise MailError(
                _(
                    "Unknown character set “%(charset)s” in a %(type)s part; retry accepting defects to read it as Latin-1."
                )
                % {"charset": charset, "type": part.get_content_type()}
            ) from exc
        warnings.append(_("Unknown character set “%(charset)s” read as Latin-1.") % {"charset": charset})
        text = payload.decode("latin-1")
    except UnicodeDecodeError:
        text = payload.decode(charset, errors="replace")
        warnings.append(_("Bytes that are not valid %(charset)s were replaced.") % {"charset": charset})
    return text.replace("\r\n", "\n")


def _filename(part: Message, index: int) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:  # a filename in an unknown charset
        name = ""
    name = _decode_header(name)
    name = re.sub(r"[\\/\x00-\x1f]", "_", name).strip(" .")
    if not name:
        subtype = part.get_content_subtype() or "bin"
        name = f"part-{index}.{'eml' if part.get_content_type() == 'message/rfc822' else subtype}"
    return name[:200]


def _leaves(part: Message) -> list[Message]:
    """The leaf parts in order; a forwarded message (message/rfc822) stays one part."""
    if part.get_content_type() == "message/rfc822" or not part.is_multipart():
        return [part]
    payload = part.get_payload()
    if not isinstance(payload, list):
        return [part]
    out: list[Message] = []
    for sub in payload:
        if isinstance(sub, Message):
            out += _leaves(sub)
    return out


def _defects(msg: Message) -> list[Any]:
    found = list(msg.defects)
    if msg.is_multipart() and isinstance(msg.get_payload(), list):
        for sub in msg.get_payload():  # type: ignore[union-attr]
            if isinstance(sub, Message) and sub.get_content_type() != "message/rfc822":
                found += _defects(sub)
    return found


def parse_message(raw: bytes, *, accept_defects: bool = False) -> ParsedMessage:
    """Read a raw RFC 5322 message. Raises MailError when it cannot be read without guessing."""
    if not raw.strip():
        raise MailError(_("The message is empty."))
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    parsed = ParsedMessage()
    fatal = [d for d in _defects(msg) if isinstance(d, FATAL_DEFECTS)]
    if fatal:
        names = ", ".join(sorted({type(d).__name__ for d in fatal}))
        if not accept_defects:
            raise MailError(
                _("Broken MIME structure (%(defects)s); retry accepting defects to take what can be read.")
                % {"defects": names}
            )
        parsed.warnings.append(_("Broken MIME structure read as well as possible: %(defects)s.") % {"defects": names})
    name, address = parseaddr(_decode_header(_header(msg, "From")))
    address = address.strip().lower()
    if not address or "@" not in address:
        raise MailError(_("The message has no sender address (From)."))
    try:
        Address(addr_spec=address)
    except Exception as exc:  # headerregistry raises several kinds
        raise MailError(_("The sender address “%(address)s” is not valid.") % {"address": address}) from exc
    parsed.sender, parsed.sender_name = address, name.strip()
    parsed.subject = _decode_header(_header(msg, "Subject"))
    parsed.message_id = (_ids(_header(msg, "Message-ID")) or [""])[0][:255]
    parsed.in_reply_to = _ids(_header(msg, "In-Reply-To"))
    parsed.references = _ids(_header(msg, "References"))
    parsed.auto_reason = auto_reason(msg, address)

    text_part: Message | None = None
    html_part: Message | None = None
    leaves = _leaves(msg)
    for leaf in leaves:
        disposition = (leaf.get_content_disposition() or "").lower()
        if disposition == "attachment":
            continue
        if leaf.get_content_type() == "text/plain" and text_part is None:
            text_part = leaf
        elif leaf.get_content_type() == "text/html" and html_part is None:
            html_part = leaf
    if text_part is not None:
        parsed.text = _text_of(text_part, accept_defects, parsed.warnings).strip()
    if html_part is not None:
        parsed.html = sanitise_html(_text_of(html_part, accept_defects, parsed.warnings))
        if not parsed.text:
            parsed.text = html_to_text(parsed.html)
    if fatal and not parsed.text and isinstance(msg.get_payload(), str):
        # The structure is broken: keep the whole body as text rather than nothing.
        body = msg.get_payload(decode=True)
        body = body if isinstance(body, bytes) else b""
        parsed.text = body.decode("utf-8", errors="replace").replace("\r\n", "\n").strip()
    for index, leaf in enumerate(leaves, start=1):
        if leaf is text_part or leaf is html_part:
            continue
        ctype = leaf.get_content_type()
        if ctype == "message/rfc822":
            inner = leaf.get_payload()
            data = (
                inner[0].as_bytes()
                if isinstance(inner, list) and inner and isinstance(inner[0], Message)
                else leaf.as_bytes()
            )
        else:
            decoded = leaf.get_payload(decode=True)
            data = decoded if isinstance(decoded, bytes) else b""
        if not data or ctype.startswith("multipart/"):
            continue
        content_id = (_ids(_header(leaf, "Content-ID")) or [""])[0]
        disposition = (leaf.get_content_disposition() or "").lower()
        parsed.parts.append(
            MailPart(
                filename=_filename(leaf, index),
                content_type=ctype[:100],
                data=data,
                inline=disposition != "attachment" and bool(content_id) and ctype.startswith("image/"),
                content_id=content_id[:255],
            )
        )
    return parsed
