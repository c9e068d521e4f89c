"""Writes the sample partner reports (run by hand: `python tests/circular/samples/make_samples.py`).

The same 42 rows in two shapes a take-back partner sends: a Swedish CSV (semicolons, decimal
comma, Swedish words) and an English XLSX (other column names and order, extra columns). 20
laptops of owner A (PF4A…), 20 of owner B (5CG2B…), two serials nobody sent and one laptop the
partner could not erase (5CG2B0007).
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent
A = [f"PF4A{n:04d}" for n in range(1, 21)]
B = [f"5CG2B{n:04d}" for n in range(1, 21)]
UNKNOWN = ["PF4Z9998", "5CG2Z9999"]
NOT_ERASED = "5CG2B0007"
# Outcome by position: reused, resold, recycled, in turn; values per outcome.
OUTCOMES = [("Återbruk", "Reuse", "1 250,00", "1250.00"), ("Vidaresåld", "Resale", "800,50", "800.50"),
            ("Materialåtervinning", "Recycling", "0", "0")]  # fmt: skip
METHODS = [("NIST 800-88 Purge", "Purge"), ("NIST 800-88 Clear", "Clear"), ("Fysisk destruktion", "Physical shredding")]


def rows() -> list[dict[str, str]]:
    out = []
    for i, serial in enumerate(A + UNKNOWN[:1] + B + UNKNOWN[1:]):
        sv_outcome, en_outcome, sv_value, en_value = OUTCOMES[i % 3]
        sv_method, en_method = METHODS[i % 3]
        failed = serial == NOT_ERASED
        out.append(
            {
                "serial": serial,
                "maker": "Lenovo" if serial.startswith("PF") else "HP",
                "model": "ThinkPad T14 Gen 2" if serial.startswith("PF") else "EliteBook 840 G8",
                "sv_method": sv_method,
                "en_method": en_method,
                "report_id": f"BLC-2026-{7000 + i}",
                "time": f"2026-11-{10 + i % 15:02d} {8 + i % 9:02d}:{(i * 7) % 60:02d}",
                "sv_result": "Ej raderad" if failed else "Raderad",
                "en_result": "Not erased" if failed else "Erased",
                "grade": "ABC"[i % 3],
                "sv_outcome": "" if failed else sv_outcome,
                "en_outcome": "" if failed else en_outcome,
                "sv_value": "" if failed else sv_value,
                "en_value": "" if failed else en_value,
            }
        )
    return out


def write_csv() -> None:
    header = "Serienummer;Tillverkare;Modell;Raderingsmetod;Standard;Rapport-ID;Raderingstid;Resultat;Gradering;Utfall;Restvärde SEK;Kommentar"
    lines = [header]
    for r in rows():
        comment = "Disken låst av BIOS-lösenord" if r["sv_result"] == "Ej raderad" else ""
        lines.append(
            ";".join([r["serial"], r["maker"], r["model"], r["sv_method"], "NIST SP 800-88 Rev. 1", r["report_id"],
                      r["time"], r["sv_result"], r["grade"], r["sv_outcome"], r["sv_value"], comment])
        )  # fmt: skip
    (HERE / "partner_report.csv").write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")


def write_xlsx() -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Erasure report"
    ws.append(["Erasure ID", "Serial No", "Make", "Sanitization Method", "Erasure Standard", "Erased At",
               "Erasure Result", "Cosmetic Grade", "Disposition", "Residual Value", "Notes"])  # fmt: skip
    for r in rows():
        ws.append([r["report_id"], r["serial"], r["maker"], r["en_method"], "NIST SP 800-88r1", r["time"],
                   r["en_result"], r["grade"], r["en_outcome"], float(r["en_value"]) if r["en_value"] else None, ""])  # fmt: skip
    wb.save(HERE / "partner_report.xlsx")


if __name__ == "__main__":
    write_csv()
    write_xlsx()
