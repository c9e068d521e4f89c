"""Realistic service-desk tickets for the benchmarks: thirty kinds of problem (printers, VPN,
passwords, Teams, Outlook, invoices, Wi-Fi, named systems and devices) in Swedish and English,
with 2-3 comments each, over the three demo owners, loaded set-based with COPY.

    .venv/bin/python bench/servicedesk_data.py \\
        --database-url postgres://postgres@127.0.0.1:5432/speed_sd --tickets 1000000

The text is what a desk sees: common words ("skrivare", "lösenord", "fungerar", "Outlook") each
occur in 5-15 % of the subjects, so a word search finds tens of thousands of tickets, not one
(the old generator's subjects were "Ärende N", where every word was a unique number). The kinds
are weighted (printers and passwords are frequent, projectors rare), statuses follow age (the
newest tickets are open, old ones closed), and numbers follow the year the ticket was opened.

Loading: the ticket and comment indexes are dropped, rows are written with COPY (generated in
Python, deterministic for a given --seed), the indexes are built again and the tables analysed.
A million tickets and about 2.5 million comments take a few minutes on two cores. The database
must hold `samdrift demo` data (three owners) and no tickets yet; `bench/http_servicedesk.py`
does all of this itself.
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SYSTEMS = [
    "Procapita", "Treserva", "Lifecare", "Visma Personec", "Heroma", "Raindance", "Platina", "W3D3",
    "Ciceron", "Skola24", "Unikum", "Vklass", "Public 360", "Evolution", "TimeCare", "Agresso",
    "Combine", "Pulsen Combine", "Hypergene", "Stratsys",
]  # fmt: skip
FINANCE = ["Raindance", "Visma Proceedo", "Agresso", "Unit4"]
PLACES = [
    "Kommunhuset plan 2", "Kommunhuset plan 3", "Rådhuset", "Biblioteket", "Österskolan", "Västerskolan",
    "Norra förskolan", "Vårdboendet Solgården", "Socialkontoret", "Fritidsgården", "Tekniska kontoret",
    "Kulturhuset", "Hemtjänsten Norr", "Hemtjänsten Syd", "Simhallen", "Räddningstjänsten",
]  # fmt: skip
ROOMS = ["Sammanträdesrum Ekeby", "Rum Storsjön", "Aulan", "Konferensrum Linden", "Kommunfullmäktigesalen"]
LAPTOPS = ["Lenovo ThinkPad T14", "HP EliteBook 840", "Dell Latitude 5440", "MacBook Air", "Lenovo ThinkPad X1"]
PHONES = ["iPhone 15", "iPhone 13", "Samsung Galaxy S23", "Samsung Galaxy A54"]
APPS = ["Adobe Acrobat Pro", "AutoCAD", "SPSS", "Zoom", "Visio", "Project", "Notepad++", "GeoGebra", "QGIS"]
MAILBOXES = ["registrator@", "ekonomi@", "kundtjanst@", "bygglov@", "rekrytering@"]
FOLDERS = ["Ekonomi", "Nämndhandlingar", "Personal", "Bygglov", "Skolans gemensamma"]


def drop_secondary_indexes(conn: Any, tables: Any) -> list[tuple[str, str]]:
    """Drop the tables' indexes that back no constraint; returns (name, definition) to build them
    again after a bulk load (one sort each, not an index update per row)."""
    index_defs = [
        (name, sql)
        for table in tables
        for name, sql in conn.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s AND NOT EXISTS ("
            "SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
            [table],
        )
    ]
    for name, _ in index_defs:
        conn.execute(f'DROP INDEX "{name}"')
    return index_defs


def printer(rnd: random.Random) -> str:
    return f"{rnd.choice(['KH', 'RH', 'BIB', 'OSK', 'VSK', 'SOC'])}-PR{rnd.randint(1, 40):02d}"


# (weight, Swedish subjects, English subjects, Swedish details, English details)
KINDS: list[tuple[int, list[str], list[str], list[str], list[str]]] = [
    (4, ["Skrivaren {printer} fungerar inte", "Skrivaren på {place} skriver inte ut", "Kan inte skriva ut till {printer}"],
     ["Printer {printer} is not printing", "Cannot print to {printer}"],
     ["Utskrifterna fastnar i kön och inget kommer ut.", "Skrivaren visar felkod SC542."],
     ["Jobs stay in the queue and nothing comes out.", "The printer shows error SC542."]),
    (2, ["Papperstrassel i skrivaren {printer}", "Skrivaren {printer} drar in flera papper samtidigt"],
     ["Paper jam in printer {printer}"],
     ["Vi har tagit bort papperet men felet kommer tillbaka."], ["We removed the paper but the error comes back."]),
    (2, ["Toner slut i skrivare {printer}", "Beställa toner till skrivaren på {place}"],
     ["Printer {printer} is out of toner"],
     ["Svart toner är slut, gul visar låg nivå."], ["Black toner is empty, yellow is low."]),
    (2, ["Skanna till e-post fungerar inte på {printer}", "Skannern skickar inga filer"],
     ["Scan to email not working on {printer}"],
     ["Skanningen går igenom men mejlet kommer aldrig fram."], ["The scan completes but the email never arrives."]),
    (4, ["Kan inte ansluta till VPN hemifrån", "VPN kopplar ner hela tiden", "VPN-klienten startar inte på {laptop}"],
     ["VPN disconnects every few minutes", "Cannot connect to VPN from home"],
     ["Det står att anslutningen misslyckades efter inloggningen.", "Jag jobbar hemifrån i dag och kommer inte åt {system}."],
     ["It says the connection failed after signing in.", "I am working from home today and cannot reach {system}."]),
    (5, ["Glömt lösenord till {system}", "Lösenordet har gått ut", "Byta lösenord i {system}"],
     ["Forgot my password for {system}", "Password expired, cannot sign in"],
     ["Jag har försökt återställa själv men får inget sms.", "Lösenordet slutade gälla i helgen."],
     ["I tried the self-service reset but got no text message.", "The password expired over the weekend."]),
    (3, ["Kontot är låst", "Låst ute från {system} efter lösenordsbyte"], ["Account locked out"],
     ["Kontot låstes efter för många försök.", "Jag bytte lösenord i går och nu är allt låst."],
     ["The account locked after too many attempts.", "I changed my password yesterday and now everything is locked."]),
    (3, ["Ny telefon, behöver flytta Authenticator", "Får ingen MFA-kod vid inloggning"],
     ["Lost phone, cannot sign in with MFA", "New phone, need to move Authenticator"],
     ["Den gamla telefonen är återlämnad.", "Koden kommer inte fram till appen."],
     ["The old phone has been handed in.", "The code never reaches the app."]),
    (3, ["Ljudet fungerar inte i Teams-möten", "Mikrofonen fungerar inte i Teams"],
     ["No sound in Teams meetings", "Microphone not working in Teams"],
     ["De andra hör mig inte, headsetet fungerar i andra program."], ["Others cannot hear me; the headset works elsewhere."]),
    (2, ["Kameran syns inte i Teams", "Teams startar inte på {laptop}"], ["Teams will not start", "Camera not found in Teams"],
     ["Teams hänger sig på den vita startsidan."], ["Teams hangs on the white start screen."]),
    (4, ["Outlook synkar inte", "Outlook visar inte nya mejl", "Outlook kraschar när jag öppnar bilagor"],
     ["Outlook not syncing", "Outlook keeps asking for my password"],
     ["Senaste mejlet i inkorgen är från i går.", "Outlook frågar efter lösenord hela tiden."],
     ["The newest email in the inbox is from yesterday.", "Outlook keeps prompting for credentials."]),
    (2, ["Delad kalender syns inte i Outlook", "Kan inte boka {room} i Outlook"],
     ["Shared calendar missing in Outlook", "Cannot book {room} in Outlook"],
     ["Kalendern syns i webben men inte i programmet."], ["The calendar shows on the web but not in the app."]),
    (2, ["Behörighet till funktionsbrevlådan {mailbox}", "Funktionsbrevlåda {mailbox} syns inte"],
     ["Access to shared mailbox {mailbox}"],
     ["Chefen har godkänt att jag ska ha läsbehörighet."], ["My manager has approved read access."]),
    (3, ["Faktura fastnat i attestflödet i {finance}", "Kan inte attestera faktura i {finance}", "Leverantörsfaktura saknas i {finance}"],
     ["Invoice stuck in approval in {finance}", "Cannot approve invoice in {finance}"],
     ["Fakturan har förfallodag på fredag.", "Fakturanumret är {number}."],
     ["The invoice is due on Friday.", "The invoice number is {number}."]),
    (4, ["Wi-Fi fungerar inte i {place}", "Ingen trådlös anslutning på {place}", "Wi-Fi tappar anslutningen hela tiden"],
     ["Wi-Fi keeps dropping at {place}", "No wireless network in {place}"],
     ["Det gäller alla datorer på våningen.", "Mobilen hittar nätet men datorn gör det inte."],
     ["All computers on the floor are affected.", "The phone finds the network but the laptop does not."]),
    (2, ["Gästnätverket släpper inte in besökare", "Wi-Fi för gäster visar ingen inloggningssida"],
     ["Guest Wi-Fi login page does not load"],
     ["Vi har besök från regionen i morgon."], ["We have visitors from the region tomorrow."]),
    (3, ["Datorn är väldigt långsam", "{laptop} startar inte", "Datorn startar om hela tiden"],
     ["Laptop very slow after update", "{laptop} will not boot"],
     ["Det började efter uppdateringen i tisdags.", "Fläkten låter mycket."],
     ["It started after Tuesday's update.", "The fan is very loud."]),
    (2, ["Trasig skärm på {laptop}", "Tangentbordet fungerar inte på {laptop}"], ["Broken screen on {laptop}"],
     ["Datorn tappades i golvet.", "Några tangenter svarar inte."], ["The laptop was dropped.", "Some keys do not respond."]),
    (2, ["Dockningsstationen känner inte igen skärmarna", "Extern skärm fungerar inte"],
     ["Docking station not detecting monitors"],
     ["Bara den inbyggda skärmen fungerar."], ["Only the built-in screen works."]),
    (2, ["Mobiltelefonen tar inte emot samtal", "Ny {phone} behöver konfigureras"], ["New {phone} needs setting up"],
     ["Samtal går direkt till röstbrevlådan."], ["Calls go straight to voicemail."]),
    (4, ["Behörighet till {system}", "Ny medarbetare behöver konto i {system}", "Ändrad behörighet i {system}"],
     ["Access request for {system}", "New starter needs an account in {system}"],
     ["Personen börjar på måndag.", "Samma behörighet som kollegan i arbetslaget."],
     ["The person starts on Monday.", "Same access as the colleague in the team."]),
    (4, ["{system} visar felmeddelande vid inloggning", "{system} går inte att starta", "{system} är väldigt långsamt"],
     ["{system} shows an error at login", "{system} is very slow today"],
     ["Felet kom efter lunch och gäller hela avdelningen.", "Vi kan inte dokumentera."],
     ["The error started after lunch and affects the whole department.", "We cannot document anything."]),
    (2, ["Installera {app} på min dator", "Behöver {app} till projektet"], ["Please install {app}"],
     ["Chefen har godkänt kostnaden."], ["My manager has approved the cost."]),
    (1, ["Licensen för {app} har gått ut"], ["{app} licence expired"],
     ["Programmet startar i demoläge."], ["The program starts in trial mode."]),
    (3, ["Kommer inte åt G:-disken", "Mappen {folder} på filservern saknas"], ["Cannot access the shared drive"],
     ["Den försvann efter omstarten."], ["It disappeared after the restart."]),
    (2, ["OneDrive synkar inte", "Filer försvunna i OneDrive"], ["OneDrive not syncing"],
     ["Det står att synkroniseringen är pausad."], ["It says syncing is paused."]),
    (1, ["Projektorn i {room} visar ingen bild", "Skärmdelning i {room} fungerar inte"], ["Projector in {room} shows no picture"],
     ["Vi har möte där klockan 13."], ["We have a meeting there at 1 pm."]),
    (2, ["Misstänkt nätfiskemejl", "Fått konstigt mejl om lösenord"], ["Suspicious email asking for my password"],
     ["Jag har inte klickat på länken."], ["I did not click the link."]),
    (2, ["Startpaket för ny medarbetare", "Ny dator till nyanställd på {place}"], ["Starter kit for a new employee"],
     ["Behöver dator, telefon och konto."], ["Needs a laptop, phone and account."]),
    (1, ["Passerkortet fungerar inte på {place}", "Nytt passerkort"], ["Door badge not working at {place}"],
     ["Kortläsaren blinkar rött."], ["The card reader flashes red."]),
]  # fmt: skip
GENERIC_SV = [
    "Jag har startat om datorn men det hjälper inte.", "Det är bråttom, vi har möte i eftermiddag.",
    "Gäller även mina kollegor.", "Felet började i morse.", "Ring gärna på 0451-{digits}.",
    "Jag sitter på {place}.", "Datorn är en {laptop}.", "",
]  # fmt: skip
GENERIC_EN = ["I have restarted the computer but it does not help.", "Colleagues have the same problem.",
              "It started this morning.", "I am at {place} today.", ""]  # fmt: skip
AGENT_REPLIES = [
    "Hej! Tack för ditt ärende, vi tittar på det under dagen.", "Kan du testa att starta om datorn och höra av dig igen?",
    "Nu ska det fungera, hör av dig om inte.", "Vi har skickat en tekniker till {place}.",
    "Behörigheten är beställd och klar i morgon.", "Hi! We are looking into it and will get back to you today.",
    "Please try again now and let us know if it still fails.",
]  # fmt: skip
REQUESTER_REPLIES = ["Tack, nu fungerar det!", "Det fungerar fortfarande inte.", "Jag är på plats efter lunch.",
                     "Thanks, it works now.", "Still not working, sorry."]  # fmt: skip
NOTES = ["Kontrollerat i AD, kontot var låst.", "Eskalerat till Nätverk.", "Beställt reservdel från leverantören.",
         "Samma fel som förra veckan, se länkat ärende.", "Ombootad på distans."]  # fmt: skip
OPEN = ["new", "assigned", "in_progress", "waiting_requester", "waiting_supplier"]


def fill(template: str, rnd: random.Random) -> str:
    if "{" not in template:
        return template
    return template.format(
        printer=printer(rnd), place=rnd.choice(PLACES), laptop=rnd.choice(LAPTOPS), system=rnd.choice(SYSTEMS),
        room=rnd.choice(ROOMS), mailbox=rnd.choice(MAILBOXES), finance=rnd.choice(FINANCE), phone=rnd.choice(PHONES),
        app=rnd.choice(APPS), folder=rnd.choice(FOLDERS), number=rnd.randint(100000, 999999),
        digits=rnd.randint(10000, 99999),
    )  # fmt: skip


_WEIGHTED = [kind for kind in KINDS for _ in range(kind[0])]


def text(rnd: random.Random) -> tuple[str, str]:
    """A subject and a description: one kind of problem, in Swedish (three in four) or English."""
    _, sv_subjects, en_subjects, sv_details, en_details = rnd.choice(_WEIGHTED)
    if rnd.random() < 0.75:
        subject = fill(rnd.choice(sv_subjects), rnd)
        parts = [fill(rnd.choice(sv_details), rnd), fill(rnd.choice(GENERIC_SV), rnd), "Mvh"]
    else:
        subject = fill(rnd.choice(en_subjects), rnd)
        parts = [fill(rnd.choice(en_details), rnd), fill(rnd.choice(GENERIC_EN), rnd), "Regards"]
    return subject, "\n".join(p for p in parts if p)


def _tsv(values: list[Any]) -> str:
    out = []
    for v in values:
        if v is None:
            out.append("\\N")
        elif isinstance(v, bool):
            out.append("t" if v else "f")
        elif isinstance(v, str):
            out.append(v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r"))
        else:
            out.append(str(v))
    return "\t".join(out) + "\n"


def _batches(lines: Iterator[str], size: int = 5000) -> Iterator[bytes]:
    buf = io.StringIO()
    n = 0
    for line in lines:
        buf.write(line)
        n += 1
        if n >= size:
            yield buf.getvalue().encode()
            buf = io.StringIO()
            n = 0
    if n:
        yield buf.getvalue().encode()


def sample_fractions(words: list[str], n: int = 50_000, seed: int = 2026) -> dict[str, float]:
    """How often each word occurs in the subjects (case-insensitive substring, as the search)."""
    rnd = random.Random(seed)
    subjects = [text(rnd)[0].lower() for _ in range(n)]
    return {w: round(sum(w.lower() in s for s in subjects) / n, 3) for w in words}


# The demo holds some thousands of its own (24 months of insight history); more means generated ones.
DEMO_TICKETS = 20_000
TICKET_INDEX_TABLES = ("servicedesk_ticket", "servicedesk_comment")


def load(url: str, tickets: int, *, seed: int = 2026, years: int = 3) -> dict[str, Any]:
    """COPY `tickets` tickets and their comments into an empty service desk; returns the timings."""
    rnd = random.Random(seed)
    timings: dict[str, Any] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute("SELECT count(*) FROM servicedesk_ticket").fetchone()[0] > DEMO_TICKETS:  # type: ignore[index]
            raise SystemExit("the database already holds generated tickets")
        owners = [r[0] for r in conn.execute("SELECT id FROM tenancy_owner ORDER BY id")]
        people: dict[int, list[int]] = {o: [] for o in owners}
        for pid, oid in conn.execute("SELECT id, owner_id FROM tenancy_person WHERE kind = 'employee'"):
            people[oid].append(pid)
        agents = [
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT user_id FROM tenancy_membership WHERE owner_id IS NULL AND role = 'agent' ORDER BY 1"
            )
        ]
        groups = [r[0] for r in conn.execute("SELECT id FROM servicedesk_supportgroup ORDER BY id")] or [None]
        categories: dict[int, list[int | None]] = {o: [None] for o in owners}
        for cid, oid in conn.execute("SELECT id, owner_id FROM servicedesk_category WHERE active"):
            categories[oid].append(cid)
        ticket_cols = [
            r[0]
            for r in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = 'servicedesk_ticket' "
                "ORDER BY ordinal_position"
            )
        ]
        start_id = conn.execute("SELECT COALESCE(max(id), 0) FROM servicedesk_ticket").fetchone()[0] + 1  # type: ignore[index]
        # Indexes out of the way while loading, built again afterwards (one sort each, not a million inserts).
        index_defs = drop_secondary_indexes(conn, TICKET_INDEX_TABLES)

        now = datetime.now(UTC).replace(microsecond=0)
        first = now - timedelta(days=365 * years)
        span = (now - first).total_seconds()
        # Numbers continue each year's counter (the demo's own tickets keep theirs).
        per_year: dict[int, int] = dict(conn.execute("SELECT year, last FROM servicedesk_ticketcounter").fetchall())  # type: ignore[arg-type]
        numbers: list[
            tuple[int, int, int, datetime, int | None, str]
        ] = []  # id, owner, requester, created, assignee, status

        def ticket_rows() -> Iterator[str]:
            for i in range(tickets):
                tid = start_id + i
                created = first + timedelta(seconds=span * (i + rnd.random()) / tickets)
                owner = owners[rnd.randrange(len(owners))]
                requester = rnd.choice(people[owner])
                age = (now - created).days
                if age < 14:
                    status = rnd.choice(OPEN)
                elif age < 60:
                    status = rnd.choice(["in_progress", "waiting_requester", "resolved", "closed", "closed", "closed"])
                else:
                    status = "closed" if rnd.random() < 0.985 else rnd.choice(["in_progress", "waiting_supplier"])
                assignee = None if status == "new" or not agents else rnd.choice(agents)
                year = created.year
                per_year[year] = per_year.get(year, 0) + 1
                subject, description = text(rnd)
                impact, urgency = rnd.choice([3, 3, 3, 2, 2, 1]), rnd.choice([3, 3, 2, 2, 1])
                priority = {(1, 1): 1, (1, 2): 2, (2, 1): 2, (1, 3): 3, (2, 2): 3, (3, 1): 3}.get((impact, urgency), 4)
                confidential = rnd.random() < 0.005
                resolved = created + timedelta(hours=rnd.randint(1, 120)) if status in ("resolved", "closed") else None
                row = {
                    "id": tid,
                    "owner_id": owner,
                    "number": f"SD-{year}-{per_year[year]:06d}",
                    "subject": subject,
                    "description": description,
                    "requester_id": requester,
                    "channel": rnd.choice(["portal", "portal", "email", "email", "phone"]),
                    "type": rnd.choice(["incident", "incident", "request", "question"]),
                    "category_id": rnd.choice(categories[owner]),
                    "impact": impact,
                    "urgency": urgency,
                    "priority": priority,
                    "status": status,
                    "group_id": rnd.choice(groups),
                    "assignee_id": assignee,
                    "cost_centre_id": None,
                    "confidential": confidential,
                    "secrecy_ground": "osl_18_8" if confidential else "",
                    "merged_into_id": None,
                    "created": created,
                    "updated": resolved or created,
                    "sla_policy_id": None,
                    "first_response_due": created + timedelta(hours=4),
                    "resolution_due": created + timedelta(days=3),
                    "first_responded_at": created + timedelta(minutes=rnd.randint(5, 300)) if status != "new" else None,
                    "resolved_at": resolved,
                    "closed_at": resolved + timedelta(days=5) if status == "closed" and resolved else None,
                    "first_response_breached": False,
                    "resolution_breached": False,
                    "sla_paused_seconds": 0,
                    "sla_paused_since": None,
                    "breaching_soon_at": None,
                    "csat_score": rnd.choice([None, None, 4, 5, 3]) if status == "closed" else None,
                    "csat_comment": "",
                }
                numbers.append((tid, owner, requester, created, assignee, status))
                yield _tsv([row[c] for c in ticket_cols])

        t0 = time.perf_counter()
        with conn.cursor() as cur, cur.copy(f"COPY servicedesk_ticket ({', '.join(ticket_cols)}) FROM STDIN") as copy:
            for chunk in _batches(ticket_rows()):
                copy.write(chunk)
        timings["tickets_s"] = round(time.perf_counter() - t0, 1)
        print(f"  {tickets:,} tickets in {timings['tickets_s']} s", flush=True)

        comment_cols = ["owner_id", "ticket_id", "kind", "body", "author_id", "confidential", "secrecy_ground",
                        "author_person_id", "body_html", "created"]  # fmt: skip
        count = 0

        def comment_rows() -> Iterator[str]:
            nonlocal count
            for tid, owner, requester, created, assignee, _status in numbers:
                agent = assignee or (rnd.choice(agents) if agents else None)
                n = rnd.choice([2, 2, 3])
                when = created
                for k in range(n):
                    when = when + timedelta(minutes=rnd.randint(3, 600))
                    if k == 1 and rnd.random() < 0.4:
                        kind, body, author, person = "reply", rnd.choice(REQUESTER_REPLIES), None, requester
                    elif k == 2 and rnd.random() < 0.5:
                        kind, body, author, person = "note", rnd.choice(NOTES), agent, None
                    else:
                        kind, body, author, person = "reply", fill(rnd.choice(AGENT_REPLIES), rnd), agent, None
                    count += 1
                    yield _tsv([owner, tid, kind, body, author, False, "", person, "", when])

        t0 = time.perf_counter()
        with conn.cursor() as cur, cur.copy(f"COPY servicedesk_comment ({', '.join(comment_cols)}) FROM STDIN") as copy:
            for chunk in _batches(comment_rows()):
                copy.write(chunk)
        timings["comments"] = count
        timings["comments_s"] = round(time.perf_counter() - t0, 1)
        print(f"  {count:,} comments in {timings['comments_s']} s", flush=True)
        numbers.clear()

        for year, last in per_year.items():
            conn.execute(
                "INSERT INTO servicedesk_ticketcounter (year, last) VALUES (%s, %s) "
                "ON CONFLICT (year) DO UPDATE SET last = EXCLUDED.last",
                [year, last],
            )
        conn.execute("SELECT setval(pg_get_serial_sequence('servicedesk_ticket', 'id'), %s)", [start_id + tickets])
        t0 = time.perf_counter()
        conn.execute("SET maintenance_work_mem = '512MB'")
        for _name, sql in index_defs:
            conn.execute(sql)
        timings["indexes_s"] = round(time.perf_counter() - t0, 1)
        print(f"  {len(index_defs)} indexes rebuilt in {timings['indexes_s']} s", flush=True)
        t0 = time.perf_counter()
        conn.execute("VACUUM ANALYZE servicedesk_ticket")
        conn.execute("VACUUM ANALYZE servicedesk_comment")
        timings["analyze_s"] = round(time.perf_counter() - t0, 1)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--sample", action="store_true", help="only print how often the search words occur")
    args = parser.parse_args()
    if args.sample:
        rnd = random.Random(args.seed)
        for _ in range(8):
            print(" | ".join(text(rnd)))
        print(sample_fractions(["skrivare", "lösenord", "fungerar", "outlook", "vpn", "wi-fi", "teams", "faktura"]))
        return
    print(load(args.database_url, args.tickets, seed=args.seed))


if __name__ == "__main__":
    main()
