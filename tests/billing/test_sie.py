"""SIE 4: the reader accepts the SIE group's real example files and names the voucher that does
not balance; the writer's output (CP437, CR LF) reads back identically."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation
from hypothesis import given, settings
from hypothesis import strategies as st

from samdrift.billing.sie import SieBalance, SieError, SieFile, SieTransaction, SieVoucher, read_sie, write_sie

DATA = Path(__file__).parent / "data"


@pytest.fixture(autouse=True)
def _english() -> object:
    # Messages are checked in English; Swedish is the default language.
    with translation.override("en"):
        yield


GOOD = [
    "BL0001_typ4.SE",
    "SIE4_Exempelfil_med_underdim.SE",
    "Sie4.se",
    "Sie4.si",
    "transaktioner_ovnbolag.se",
    "typ4.se",
]


@pytest.mark.parametrize("name", GOOD)
def test_every_good_sample_is_read(name: str) -> None:
    sie = read_sie((DATA / name).read_bytes())
    assert sie.sie_type == 4
    assert sie.vouchers, "every sample holds vouchers"
    assert sie.accounts
    assert all(v.total == 0 for v in sie.vouchers)


def test_cp437_letters_are_decoded() -> None:
    sie = read_sie((DATA / "transaktioner_ovnbolag.se").read_bytes())
    assert sie.encoding == "cp437"
    assert sie.company_name == "Övningsbolaget AB (Ekonomi 60)"
    assert sie.fiscal_years[0] == (date(2011, 1, 1), date(2011, 12, 31))
    first = sie.vouchers[0]
    assert (first.series, first.number, first.date) == ("B", "1", date(2011, 1, 7))
    assert first.transactions[0] == SieTransaction("1910", (), Decimal("-128.00"))


def test_utf8_file_declaring_pc8_is_read_as_utf8_and_says_so() -> None:
    sie = read_sie((DATA / "SIE4_Exempelfil_med_underdim.SE").read_bytes())
    assert sie.encoding == "utf-8"
    assert any("UTF-8" in w for w in sie.warnings)
    # Object lists without quotes: {1 Nord 6 0001}
    assert any(t.objects == (("1", "Nord"), ("6", "0001")) for v in sie.vouchers for t in v.transactions)


def test_lf_only_file_and_object_lists_with_quotes_and_blanks() -> None:
    raw = (DATA / "BL0001_typ4.SE").read_bytes()
    assert b"\r\n" not in raw
    sie = read_sie(raw)
    rows = [t for v in sie.vouchers for t in v.transactions]
    assert any(t.objects == (("1", "1100"), ("6", "1118")) for t in rows)
    # A backslash that escapes nothing is kept: "1820\A012 Cykel"
    assert any(t.text == "1820\\A012 Cykel" for t in rows)


def test_cut_quoted_text_is_read_with_a_warning_naming_the_line() -> None:
    sie = read_sie((DATA / "Sie4.se").read_bytes())
    assert any(w.startswith("line 1041") for w in sie.warnings)


def test_unbalanced_voucher_is_rejected_with_series_number_and_line() -> None:
    with pytest.raises(SieError) as info:
        read_sie((DATA / "transaktioner_ovnbolag-bad-balance.se").read_bytes())
    error = info.value
    assert error.line == 3905
    assert "series B, number 1" in str(error)
    assert "line 3905" in str(error)
    assert "-12771.00" in str(error)


@pytest.mark.parametrize(
    ("text", "fault"),
    [
        (b'#SIETYP 4\r\n#VER A 1 20250101 "x"\r\n{\r\n#TRANS 1910 {} abc\r\n}\r\n', "line 4"),
        (b'#SIETYP 4\r\n#VER A 1 2025-01-01 "x"\r\n{\r\n}\r\n', "line 2"),
        (b'#SIETYP 4\r\n#VER A 1 20250101 "x"\r\n{\r\n#TRANS 1910 {} 1\r\n', "not closed"),
        (b"#SIETYP 4\r\n#TRANS 1910 {} 1\r\n", "outside a voucher"),
        (b'#SIETYP 4\r\n#VER A 1 20250101 "x"\r\n{\r\n#TRANS 1910 {1} 1\r\n#TRANS 1920 {} -1\r\n}\r\n', "pairs"),
    ],
)
def test_broken_files_are_refused_with_a_clear_error(text: bytes, fault: str) -> None:
    with pytest.raises(SieError) as info:
        read_sie(text)
    assert fault in str(info.value)


@pytest.mark.parametrize("name", [n for n in GOOD if n != "SIE4_Exempelfil_med_underdim.SE"])
def test_writer_output_reads_back_identically(name: str) -> None:
    sie = read_sie((DATA / name).read_bytes())
    written = write_sie(sie)
    assert written.endswith(b"\r\n") and b"\n" not in written.replace(b"\r\n", b"")
    assert read_sie(written) == sie


def test_writer_uses_code_page_437() -> None:
    sie = SieFile(company_name="Åäö ÅÄÖ", generated=date(2026, 11, 30))
    assert b'"\x8f\x84\x94 \x8f\x8e\x99"' in write_sie(sie)


# --- property: any file we can write, we read back as it was ---------------------------------

# Text characters of CP437 that accounting texts hold: ASCII, accented letters and symbols, ° ± µ;
# without the box-drawing block (0xB0-0xDF), whose byte pairs can also read as UTF-8, and the Greek
# and maths block, which the reader takes for Windows-1252 letters read in the wrong code page.
CP437_PRINTABLE = "".join(
    bytes([b]).decode("cp437") for b in [*range(0x20, 0x7F), *range(0x80, 0xB0), 0xE6, 0xF1, 0xF8]
)
texts = st.text(alphabet=CP437_PRINTABLE, max_size=30)
codes = st.text(alphabet=CP437_PRINTABLE, min_size=1, max_size=10)
dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2099, 12, 31))
amounts = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=2)
objects = st.lists(st.tuples(codes, codes), max_size=3).map(tuple)


@st.composite
def vouchers(draw: st.DrawFn) -> SieVoucher:
    rows = draw(
        st.lists(
            st.builds(
                SieTransaction,
                account=codes,
                objects=objects,
                amount=amounts,
                date=st.none() | dates,
                text=texts,
                quantity=st.none() | amounts,
            ),
            min_size=1,
            max_size=5,
        )
    )
    balance = -sum((r.amount for r in rows), Decimal(0))
    rows.append(SieTransaction(draw(codes), (), balance))
    return SieVoucher(
        series=draw(texts),
        number=draw(texts),
        date=draw(dates),
        text=draw(texts),
        registered=draw(st.none() | dates),
        transactions=tuple(rows),
    )


sie_files = st.builds(
    SieFile,
    flag=st.integers(0, 1),
    program=st.tuples(texts, texts),
    generated=st.none() | dates,
    generated_by=texts,
    org_number=texts,
    company_name=texts,
    fiscal_years=st.dictionaries(st.integers(-3, 0), st.tuples(dates, dates), max_size=2),
    accounts=st.dictionaries(codes, texts, max_size=5),
    dimensions=st.dictionaries(codes, texts, max_size=3),
    objects=st.dictionaries(st.tuples(codes, codes), texts, max_size=5),
    vouchers=st.lists(vouchers(), max_size=4),
    opening=st.lists(st.builds(SieBalance, year=st.integers(-1, 0), account=codes, amount=amounts), max_size=3),
    closing=st.lists(st.builds(SieBalance, year=st.integers(-1, 0), account=codes, amount=amounts), max_size=3),
    results=st.lists(st.builds(SieBalance, year=st.integers(-1, 0), account=codes, amount=amounts), max_size=3),
)


@settings(max_examples=150, deadline=None)
@given(sie_files)
def test_round_trip(sie: SieFile) -> None:
    if sie.generated is None:
        sie.generated_by = ""  # #GEN carries the signature, so without a date there is none
    back = read_sie(write_sie(sie))
    assert back == sie


# --- encodings: PC8 as the format says, Windows-1252 and UTF-8 with a warning, never garbage ----


def test_windows_1252_copy_of_a_real_file_is_read_as_windows_with_a_warning() -> None:
    raw = (DATA / "transaktioner_ovnbolag.se").read_bytes()
    windows = raw.decode("cp437").encode("cp1252")
    assert windows != raw
    sie = read_sie(windows)
    assert sie.encoding == "cp1252"
    assert sie.company_name == "Övningsbolaget AB (Ekonomi 60)"
    assert any("Windows-1252" in w for w in sie.warnings)
    assert read_sie(raw).encoding == "cp437"  # the original stays PC8, without that warning
    assert not any("Windows-1252" in w for w in read_sie(raw).warnings)


def test_letters_lost_before_the_file_reached_us_are_named() -> None:
    sie = read_sie((DATA / "SIE4_Exempelfil_med_underdim.SE").read_bytes())
    assert any(w.startswith("line 6:") and "replacement" in w for w in sie.warnings)


def test_a_stray_byte_that_is_no_letter_is_named_with_its_line() -> None:
    # BL Administration wrote one object name with a Windows byte (C5, "Å") in a PC8 file.
    sie = read_sie((DATA / "BL0001_typ4.SE").read_bytes())
    assert sie.encoding == "cp437"
    assert any(w.startswith("line 40:") and "┼" in w for w in sie.warnings)


# --- #KSUMMA ---------------------------------------------------------------------------------


def _spec_crc32(data: bytes) -> int:
    """The CRC-32 routine as the SIE specification gives it (table over the reversed polynomial
    0xEDB88320, register preset to all ones, result inverted), written out independently."""
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0xEDB88320 if c & 1 else c >> 1
        table.append(c)
    crc = 0xFFFFFFFF
    for byte in data:
        crc = ((crc >> 8) & 0x00FFFFFF) ^ table[(crc ^ byte) & 0xFF]
    return crc ^ 0xFFFFFFFF


def test_checksum_covers_labels_and_field_contents_only() -> None:
    from samdrift.billing.sie import checksum

    lines = ['#FNAMN "Övnings AB"', '#VER "A" "1" 20260105 "Hyra"', "{", '   #TRANS 1910 {"6" "P1"} -5.00', "}"]
    expected = _spec_crc32("#FNAMNÖvnings AB#VERA120260105Hyra#TRANS19106P1-5.00".encode("cp437"))
    assert checksum(lines) == expected


def test_real_file_with_a_checksum_is_verified_and_a_tampered_copy_refused() -> None:
    sie = read_sie((DATA / "transaktioner_ovnbolag.se").read_bytes())
    signed = write_sie(sie, with_checksum=True)
    assert signed.split(b"\r\n")[1] == b"#KSUMMA"
    back = read_sie(signed)
    assert back.checksum_verified and back == sie
    assert not read_sie((DATA / "transaktioner_ovnbolag.se").read_bytes()).checksum_verified
    # One amount changed: the checksum is verified before anything else is believed.
    tampered = signed.replace(b" -128.00 ", b" -182.00 ", 1)
    assert tampered != signed
    with pytest.raises(SieError) as info:
        read_sie(tampered)
    assert "#KSUMMA" in str(info.value) and "changed" in str(info.value)
    # A changed letter in a name is caught as well.
    renamed = signed.replace("Övningsbolaget".encode("cp437"), "Ovningsbolaget".encode("cp437"), 1)
    with pytest.raises(SieError):
        read_sie(renamed)


def test_closing_checksum_without_an_opening_one_is_refused() -> None:
    with pytest.raises(SieError) as info:
        read_sie(b"#FLAGGA 0\r\n#SIETYP 4\r\n#KSUMMA 12345\r\n")
    assert "#KSUMMA" in str(info.value)
