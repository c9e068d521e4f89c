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

# Text characters of CP437: ASCII, accented letters and symbols, without the box-drawing block
# (0xB0-0xDF), which no accounting text holds and whose byte pairs can also read as UTF-8.
CP437_PRINTABLE = "".join(
    bytes([b]).decode("cp437") for b in [*range(0x20, 0x7F), *range(0x80, 0xB0), *range(0xE0, 0x100)]
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
