"""SIE 4 (the Swedish accounting file format): a reader for the messy real files and a writer.

The reader takes bytes and returns a `SieFile`. It accepts what real programs write (CP437 "PC8"
as the standard says, UTF-8 files that still declare PC8, CR LF or LF, tabs, unquoted fields,
`{}` or `{ }` object lists) and refuses, with the line and the voucher named, what cannot be right:
a voucher that does not balance, an amount that is not a number, a broken quote. It never guesses
silently: where it had to guess (the encoding), it says so in `warnings`.

The writer produces CP437 with CR LF, every string quoted; `read_sie(write_sie(f))` gives back `f`.

`#KSUMMA` (the checksum of SIE 4 section "Kontrollsumma"): a file may carry an empty `#KSUMMA`
right after `#FLAGGA` and a `#KSUMMA <crc>` as its last item. The CRC-32 of the specification
(polynomial 0xEDB88320, register preset to all ones, result inverted: the same CRC as zlib's) is
taken over the characters of every item between the two, label and field contents only: the
blanks between fields, the quotes around them, the braces of object lists and the line ends are
not part of it. The reader verifies it when present; the writer adds it on request.
"""

from __future__ import annotations

import datetime
import re
import zlib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

ENCODING_PC8 = "cp437"
ENCODING_WINDOWS = "cp1252"


class SieError(ValueError):
    """What is wrong with a SIE file, and where (1-based line number)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        self.message = message
        self.line = line
        super().__init__(_("line %(line)s: %(message)s") % {"line": line, "message": message} if line else message)


@dataclass(frozen=True)
class SieTransaction:
    """`#TRANS account {dim "object" ...} amount [date] [text] [quantity]`."""

    account: str
    objects: tuple[tuple[str, str], ...]
    amount: Decimal
    date: date | None = None
    text: str = ""
    quantity: Decimal | None = None
    line: int = field(default=0, compare=False)


@dataclass(frozen=True)
class SieVoucher:
    """`#VER series number date [text] [registration date] [signature]` with its transactions."""

    series: str
    number: str
    date: date
    text: str = ""
    registered: datetime.date | None = None
    transactions: tuple[SieTransaction, ...] = ()
    line: int = field(default=0, compare=False)

    @property
    def label(self) -> str:
        return f"{self.series} {self.number}".strip()

    @property
    def total(self) -> Decimal:
        return sum((t.amount for t in self.transactions), Decimal(0))


@dataclass(frozen=True)
class SieBalance:
    """`#IB`, `#UB` (balance accounts) or `#RES` (result accounts): year index, account, amount."""

    year: int
    account: str
    amount: Decimal
    objects: tuple[tuple[str, str], ...] = ()


@dataclass
class SieFile:
    """What a SIE 4 file says. Labels the reader does not model are counted in `skipped`."""

    flag: int = 0
    program: tuple[str, ...] = ()
    format: str = "PC8"
    generated: date | None = None
    generated_by: str = ""
    sie_type: int = 4
    prosa: str = ""
    org_number: str = ""
    company_name: str = ""
    fiscal_years: dict[int, tuple[date, date]] = field(default_factory=dict)
    accounts: dict[str, str] = field(default_factory=dict)
    dimensions: dict[str, str] = field(default_factory=dict)
    objects: dict[tuple[str, str], str] = field(default_factory=dict)
    vouchers: list[SieVoucher] = field(default_factory=list)
    opening: list[SieBalance] = field(default_factory=list)
    closing: list[SieBalance] = field(default_factory=list)
    results: list[SieBalance] = field(default_factory=list)
    # How the file was read; not part of what it says.
    sie_type_declared: bool = field(default=True, compare=False)
    checksum_verified: bool = field(default=False, compare=False)
    encoding: str = field(default=ENCODING_PC8, compare=False)
    warnings: list[str] = field(default_factory=list, compare=False)
    skipped: dict[str, int] = field(default_factory=dict, compare=False)


# --- reading ---------------------------------------------------------------------------------


def _utf8_text_char(ch: str) -> bool:
    return ch < "\x80" or "\xa0" <= ch <= "\u024f" or "\u2000" <= ch <= "\u20cf" or ch == "\ufffd"


# Characters besides letters that accounting texts hold; anything else outside ASCII (box drawing,
# Greek, control characters) means the bytes were probably read in the wrong code page.
_TEXT_SYMBOLS = frozenset("§°´–—‘’‚“”„€£¥¢₧½¼¾±µ·«»©®™•…†‡‰¤ªº¿¡⌐¬\xa0")


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _latin_letter(ch: str) -> bool:
    return "\u00c0" <= ch <= "\u024f" and ch.isalpha()


def _letter_score(text: str) -> int:
    return sum(1 for m in _NON_ASCII.finditer(text) if _latin_letter(m.group()))


def _odd(ch: str) -> bool:
    return ch >= "\x80" and not _latin_letter(ch) and ch not in _TEXT_SYMBOLS


def _odd_count(text: str) -> int:
    return sum(1 for m in _NON_ASCII.finditer(text) if _odd(m.group()))


def _odd_characters(text: str) -> tuple[int, str] | None:
    """The first line holding characters no accounting text holds, and those characters."""
    for match in _NON_ASCII.finditer(text):
        if _odd(match.group()):
            start = text.rfind("\n", 0, match.start()) + 1
            end = text.find("\n", match.start())
            line = text[start : end if end >= 0 else len(text)]
            return text.count("\n", 0, start) + 1, "".join(sorted({ch for ch in line if _odd(ch)}))
    return None


def decode_sie(data: bytes) -> tuple[str, str, list[str]]:
    """Bytes to text, never silently wrong.

    PC8 (code page 437) as the format says. A file that is valid UTF-8 with non-ASCII letters is
    read as UTF-8, and one whose letters only make sense in Windows-1252 (ANSI: å is E5, which
    code page 437 shows as σ) as Windows-1252; both with a warning. Characters that still do not
    look like text (or the replacement character a program left where it lost a letter) are
    named with their line.
    """
    warnings: list[str] = []
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
        warnings.append(_("The file starts with a UTF-8 byte order mark; read as UTF-8."))
        text, encoding = data.decode("utf-8", errors="strict"), "utf-8"
    elif not any(b >= 0x80 for b in data):
        return data.decode(ENCODING_PC8), ENCODING_PC8, warnings
    else:
        text, encoding = _guess_encoding(data, warnings)
    lost = text.find("\ufffd")
    if lost >= 0:
        warnings.append(
            _(
                "line %(line)s: the file holds replacement characters (%(char)s) where the program that "
                "wrote it lost letters; names and texts there are incomplete."
            )
            % {"line": text.count("\n", 0, lost) + 1, "char": "\ufffd"}
        )
    odd = _odd_characters(text.replace("\ufffd", ""))
    if odd:
        warnings.append(
            _("line %(line)s: the characters %(chars)s are not letters; check that the file's texts read correctly.")
            % {"line": odd[0], "chars": " ".join(odd[1])}
        )
    return text, encoding, warnings


def _guess_encoding(data: bytes, warnings: list[str]) -> tuple[str, str]:
    declared = re.search(rb"^#FORMAT\s+(\S+)", data, re.MULTILINE)
    says_pc8 = declared is None or declared.group(1).upper() == b"PC8"
    try:
        text = data.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        pass
    else:
        # CP437 bytes can happen to form valid UTF-8 too; only text characters (Latin letters
        # such as å ä ö é, typographic punctuation, €, or the replacement character some
        # programs leave behind) make UTF-8 the likelier reading of an accounting file.
        if all(_utf8_text_char(ch) for ch in text):
            if says_pc8:
                warnings.append(_("The file declares PC8 (code page 437) but is UTF-8; read as UTF-8."))
            return text, "utf-8"
    pc8 = data.decode(ENCODING_PC8)
    try:
        windows = data.decode(ENCODING_WINDOWS)
    except UnicodeDecodeError:  # bytes Windows-1252 leaves undefined (81 8D 8F 90 9D): not Windows
        return pc8, ENCODING_PC8
    # Only when code page 437 gives characters no text holds (σ, ╓, ÷ where å, Ö, ö were meant) and
    # Windows-1252 gives more letters and fewer such characters is the file taken as Windows-1252.
    odd_pc8 = _odd_count(pc8)
    if odd_pc8 and _letter_score(windows) > _letter_score(pc8) and _odd_count(windows) < odd_pc8:
        warnings.append(
            _("The file declares PC8 (code page 437) but is Windows-1252 (ANSI); read as Windows-1252.")
            if says_pc8
            else _("The file is Windows-1252 (ANSI); read as Windows-1252.")
        )
        return windows, ENCODING_WINDOWS
    return pc8, ENCODING_PC8


def tokenize(line: str, lineno: int, warnings: list[str] | None = None) -> list[str | list[str]]:
    """One line to tokens: words, quoted strings (escapes \\" and \\\\) and `{...}` object lists.

    A quote left open at the end of the line (some programs cut long texts) ends there, with a
    warning naming the line.
    """
    tokens: list[str | list[str]] = []
    group: list[str] | None = None
    i, n = 0, len(line)
    while i < n:
        c = line[i]
        if c in " \t":
            i += 1
            continue
        if c == "{":
            if group is not None:
                raise SieError(_("an object list inside an object list"), lineno)
            group = []
            i += 1
            continue
        if c == "}":
            if group is None:
                # A lone "}" ends a voucher; elsewhere it is a stray bracket.
                tokens.append("}")
            else:
                tokens.append(group)
                group = None
            i += 1
            continue
        if c == '"':
            i += 1
            buf = []
            while True:
                if i >= n:
                    if warnings is None:
                        raise SieError(_("a quoted text is not closed"), lineno)
                    warnings.append(
                        _("line %(line)s: a quoted text is not closed; read to the end of the line.") % {"line": lineno}
                    )
                    break
                c = line[i]
                if c == "\\" and i + 1 < n and line[i + 1] in '"\\':
                    buf.append(line[i + 1])
                    i += 2
                    continue
                if c == '"':
                    i += 1
                    break
                buf.append(c)
                i += 1
            word = "".join(buf)
        else:
            j = i
            while j < n and line[j] not in ' \t{}"':
                j += 1
            word = line[i:j]
            i = j
        (group if group is not None else tokens).append(word)
    if group is not None:
        raise SieError(_("an object list is not closed with }"), lineno)
    return tokens


def _date(value: str | list[str], lineno: int, what: object) -> date:
    if isinstance(value, str) and re.fullmatch(r"\d{8}", value):
        try:
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            pass
    raise SieError(_("%(what)s is not a date (YYYYMMDD): %(value)r") % {"what": what, "value": value}, lineno)


def _opt_date(tokens: list[str | list[str]], index: int, lineno: int, what: object) -> date | None:
    if len(tokens) <= index or tokens[index] in ("", "0"):
        return None
    return _date(tokens[index], lineno, what)


def _amount(value: str | list[str] | None, lineno: int) -> Decimal:
    if not isinstance(value, str) or not re.fullmatch(r"[-+]?(\d+(\.\d*)?|\.\d+)", value):
        raise SieError(_("the amount %(value)r is not a number") % {"value": value}, lineno)
    try:
        return Decimal(value)
    except InvalidOperation as exc:  # pragma: no cover - the pattern admits only valid decimals
        raise SieError(_("the amount %(value)r is not a number") % {"value": value}, lineno) from exc


def _objects(value: str | list[str], lineno: int) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list):
        raise SieError(
            _('expected an object list {dimension "object" ...}, found %(value)r') % {"value": value}, lineno
        )
    if len(value) % 2:
        raise SieError(_("an object list must hold pairs of dimension and object"), lineno)
    return tuple((value[k], value[k + 1]) for k in range(0, len(value), 2))


def _text(tokens: list[str | list[str]], index: int) -> str:
    value = tokens[index] if len(tokens) > index else ""
    return value if isinstance(value, str) else ""


def _need(tokens: list[str | list[str]], count: int, label: str, lineno: int) -> None:
    if len(tokens) < count:
        raise SieError(_("%(label)s has too few fields") % {"label": label}, lineno)


def checksum(lines: list[str], encoding: str = ENCODING_PC8) -> int:
    """CRC-32 of the items in `lines` as `#KSUMMA` defines it: labels and field contents only."""
    parts: list[str] = []
    for lineno, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r").strip()
        if line.startswith("{"):
            line = line[1:].strip()
        if not line:
            continue
        for item in tokenize(line, lineno, []):
            if item == "}":  # a voucher's closing brace
                continue
            parts.extend(item if isinstance(item, list) else [item])
    return zlib.crc32("".join(parts).encode(encoding, errors="replace"))


def _ksumma(lines: list[str], encoding: str) -> bool:
    """Verify `#KSUMMA` when the file has one; False when it has none. Raises on a mismatch."""
    marks = [
        (index, line.split(None, 1)[1].strip() if len(line.split(None, 1)) > 1 else "")
        for index, line in ((i, raw.strip()) for i, raw in enumerate(lines))
        if line[:7].upper() == "#KSUMMA"
    ]
    if not marks:
        return False
    start = next((i for i, value in marks if not value), None)
    end, stated = marks[-1]
    if start is None or not stated or end <= start:
        raise SieError(
            _("the checksum (#KSUMMA) must open right after #FLAGGA without a value and close the file with one"),
            end + 1,
        )
    if not re.fullmatch(r"-?\d+", stated.strip('"')):
        raise SieError(_("the checksum (#KSUMMA) %(value)r is not a number") % {"value": stated}, end + 1)
    computed = checksum(lines[start + 1 : end], encoding)
    if int(stated.strip('"')) & 0xFFFFFFFF != computed:
        raise SieError(
            _(
                "the checksum (#KSUMMA) says %(stated)s but the file's content gives %(computed)s: "
                "the file was changed after it was written"
            )
            % {"stated": stated, "computed": computed},
            end + 1,
        )
    return True


def read_sie(data: bytes, *, check_balance: bool = True) -> SieFile:
    """Parse a SIE 4 file. Raises `SieError` naming the line (and voucher) of the first fault."""
    text, encoding, warnings = decode_sie(data)
    sie = SieFile(encoding=encoding, warnings=warnings, sie_type=0, sie_type_declared=False)
    seen_format = False
    voucher: dict | None = None  # the #VER being read: its fields, transactions, state
    lines = text.split("\n")
    sie.checksum_verified = _ksumma(lines, encoding)
    for lineno, raw in enumerate(lines, start=1):
        line = raw.rstrip("\r").strip()
        if not line:
            continue
        if voucher is not None and voucher["state"] == "open-expected":
            if line.startswith("{"):
                voucher["state"] = "inside"
                line = line[1:].strip()
                if not line:
                    continue
            else:
                raise SieError(
                    _("voucher %(voucher)s (line %(start)s) is not followed by {")
                    % {"voucher": voucher["label"], "start": voucher["line"]},
                    lineno,
                )
        if line == "{":
            raise SieError(_("a { without a voucher before it"), lineno)
        tokens = tokenize(line, lineno, sie.warnings)
        head = tokens[0]
        if head == "}":
            if voucher is None or voucher["state"] != "inside":
                raise SieError(_("a } without a voucher to close"), lineno)
            sie.vouchers.append(_close_voucher(voucher, check_balance))
            voucher = None
            continue
        if not isinstance(head, str) or not head.startswith("#"):
            raise SieError(_("a line must start with a label such as #VER: %(line)r") % {"line": line[:60]}, lineno)
        label = head.upper()
        args = tokens[1:]
        if voucher is not None:
            if label == "#TRANS":
                voucher["transactions"].append(_transaction(args, lineno))
            elif label in ("#RTRANS", "#BTRANS"):
                # Added (#RTRANS, followed by the same #TRANS) and removed (#BTRANS) rows are the
                # voucher's history; the #TRANS rows alone are what it books.
                sie.skipped[label] = sie.skipped.get(label, 0) + 1
            else:
                raise SieError(
                    _("voucher %(voucher)s (line %(start)s) is not closed with } before %(label)s")
                    % {"voucher": voucher["label"], "start": voucher["line"], "label": label},
                    lineno,
                )
            continue
        if label == "#VER":
            _need(args, 3, label, lineno)
            series, number = str(args[0]), str(args[1])
            voucher = {
                "series": series,
                "number": number,
                "label": f"{series} {number}".strip(),
                "date": _date(args[2], lineno, gettext_lazy("the voucher date")),
                "text": _text(args, 3),
                "registered": _opt_date(args, 4, lineno, gettext_lazy("the registration date")),
                "transactions": [],
                "line": lineno,
                "state": "open-expected",
            }
        elif label == "#FLAGGA":
            _need(args, 1, label, lineno)
            sie.flag = int(args[0]) if isinstance(args[0], str) and args[0].isdigit() else 0
        elif label == "#PROGRAM":
            sie.program = tuple(a for a in args if isinstance(a, str))
        elif label == "#FORMAT":
            seen_format = True
            sie.format = str(args[0]) if args else ""
            if sie.format.upper() != "PC8":
                sie.warnings.append(
                    _("Unknown #FORMAT %(format)r; read as %(encoding)s.")
                    % {"format": sie.format, "encoding": encoding}
                )
        elif label == "#GEN":
            _need(args, 1, label, lineno)
            sie.generated = _date(args[0], lineno, _("the generation date"))
            sie.generated_by = _text(args, 1)
        elif label == "#SIETYP":
            _need(args, 1, label, lineno)
            if not (isinstance(args[0], str) and args[0].isdigit()):
                raise SieError(_("#SIETYP must be a number"), lineno)
            sie.sie_type = int(args[0])
            sie.sie_type_declared = True
        elif label == "#KSUMMA":
            pass  # verified above
        elif label == "#PROSA":
            sie.prosa = _text(args, 0)
        elif label == "#ORGNR":
            sie.org_number = _text(args, 0)
        elif label == "#FNAMN":
            sie.company_name = _text(args, 0)
        elif label == "#RAR":
            _need(args, 3, label, lineno)
            sie.fiscal_years[_int(args[0], lineno)] = (
                _date(args[1], lineno, _("the year start")),
                _date(args[2], lineno, _("the year end")),
            )
        elif label == "#KONTO":
            _need(args, 1, label, lineno)
            sie.accounts[str(args[0])] = _text(args, 1)
        elif label == "#DIM":
            _need(args, 1, label, lineno)
            sie.dimensions[str(args[0])] = _text(args, 1)
        elif label == "#OBJEKT":
            _need(args, 2, label, lineno)
            sie.objects[(str(args[0]), str(args[1]))] = _text(args, 2)
        elif label in ("#IB", "#UB", "#RES"):
            _need(args, 3, label, lineno)
            balance = SieBalance(_int(args[0], lineno), str(args[1]), _amount(args[2], lineno))
            {"#IB": sie.opening, "#UB": sie.closing, "#RES": sie.results}[label].append(balance)
        elif label == "#TRANS":
            raise SieError(_("#TRANS outside a voucher"), lineno)
        else:
            sie.skipped[label] = sie.skipped.get(label, 0) + 1
    if voucher is not None:
        raise SieError(
            _("voucher %(voucher)s (line %(start)s) is not closed with } at the end of the file")
            % {"voucher": voucher["label"], "start": voucher["line"]},
            len(lines),
        )
    if not seen_format:
        sie.warnings.append(_("The file has no #FORMAT; read as %(encoding)s.") % {"encoding": encoding})
    return sie


def _int(value: str | list[str], lineno: int) -> int:
    if isinstance(value, str) and re.fullmatch(r"[-+]?\d+", value):
        return int(value)
    raise SieError(_("%(value)r is not a whole number") % {"value": value}, lineno)


def _transaction(args: list[str | list[str]], lineno: int) -> SieTransaction:
    _need(args, 3, "#TRANS", lineno)
    return SieTransaction(
        account=str(args[0]),
        objects=_objects(args[1], lineno),
        amount=_amount(args[2], lineno),
        date=_opt_date(args, 3, lineno, gettext_lazy("the transaction date")),
        text=_text(args, 4),
        quantity=_amount(args[5], lineno) if len(args) > 5 and args[5] != "" else None,
        line=lineno,
    )


def _close_voucher(v: dict, check_balance: bool) -> SieVoucher:
    voucher = SieVoucher(
        series=v["series"],
        number=v["number"],
        date=v["date"],
        text=v["text"],
        registered=v["registered"],
        transactions=tuple(v["transactions"]),
        line=v["line"],
    )
    if check_balance and voucher.total != 0:
        raise SieError(
            _("voucher %(voucher)s (series %(series)s, number %(number)s) does not balance: its rows sum to %(total)s")
            % {"voucher": voucher.label, "series": voucher.series, "number": voucher.number, "total": voucher.total},
            voucher.line,
        )
    return voucher


# --- writing ---------------------------------------------------------------------------------


def _q(value: str) -> str:
    clean = value.replace("\r", " ").replace("\n", " ").replace("\t", " ")
    return '"' + clean.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _d(value: date | None) -> str:
    return value.strftime("%Y%m%d") if value else '""'


def _objs(objects: tuple[tuple[str, str], ...]) -> str:
    return "{" + " ".join(f"{_q(dim)} {_q(obj)}" for dim, obj in objects) + "}"


def _amt(value: Decimal) -> str:
    return format(value, "f")


def write_sie(sie: SieFile, *, with_checksum: bool = False) -> bytes:
    """A SIE 4 file: CP437 ("PC8"), CR LF, every string quoted. Unencodable characters become '?'.

    `with_checksum` adds `#KSUMMA`, so that any later change to the file is detected."""
    out: list[str] = [f"#FLAGGA {sie.flag}"]
    out.append("#PROGRAM " + " ".join(_q(p) for p in sie.program or ("Samdrift", "1.0")))
    out.append("#FORMAT PC8")
    if sie.generated:
        out.append(f"#GEN {_d(sie.generated)}" + (f" {_q(sie.generated_by)}" if sie.generated_by else ""))
    out.append(f"#SIETYP {sie.sie_type}")
    if sie.prosa:
        out.append(f"#PROSA {_q(sie.prosa)}")
    if sie.org_number:
        out.append(f"#ORGNR {_q(sie.org_number)}")
    if sie.company_name:
        out.append(f"#FNAMN {_q(sie.company_name)}")
    for index, (start, end) in sorted(sie.fiscal_years.items(), reverse=True):
        out.append(f"#RAR {index} {_d(start)} {_d(end)}")
    for number, name in sie.accounts.items():
        out.append(f"#KONTO {_q(number)} {_q(name)}")
    for dim, name in sie.dimensions.items():
        out.append(f"#DIM {_q(dim)} {_q(name)}")
    for (dim, obj), name in sie.objects.items():
        out.append(f"#OBJEKT {_q(dim)} {_q(obj)} {_q(name)}")
    for label, rows in (("#IB", sie.opening), ("#UB", sie.closing), ("#RES", sie.results)):
        for b in rows:
            out.append(f"{label} {b.year} {_q(b.account)} {_amt(b.amount)}")
    for v in sie.vouchers:
        out.append(f"#VER {_q(v.series)} {_q(v.number)} {_d(v.date)} {_q(v.text)} {_d(v.registered)}")
        out.append("{")
        for t in v.transactions:
            row = f"   #TRANS {_q(t.account)} {_objs(t.objects)} {_amt(t.amount)} {_d(t.date)} {_q(t.text)}"
            if t.quantity is not None:
                row += f" {_amt(t.quantity)}"
            out.append(row)
        out.append("}")
    if with_checksum:
        # The sum is taken over what the file will hold: characters CP437 lacks are already '?'.
        body = [line.encode(ENCODING_PC8, errors="replace").decode(ENCODING_PC8) for line in out[1:]]
        out = [out[0], "#KSUMMA", *out[1:], f"#KSUMMA {checksum(body)}"]
    return ("\r\n".join(out) + "\r\n").encode(ENCODING_PC8, errors="replace")
