"""The layer contract (DESIGN.md: the capabilities): core → tenancy → capabilities.

- `core` imports no other app of ours;
- `tenancy` imports only `core`;
- nothing outside billing, records, circular and insight imports them except through their
  `services.py` (the functions they publish for others to call).

Read from the source with `ast`, every import counted, those inside functions too (a deferred
import is still an arrow). The project's composition root (`samdrift/urls.py`, `settings.py`)
wires every app together and is not a layer. ALLOWED lists the arrows still to be removed, each
with its reason; an entry that no longer matches fails, so the list only shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "samdrift"
COMPOSITION_ROOT = {"urls.py", "settings.py", "wsgi.py", "__main__.py", "__init__.py"}
PUBLISHED_ONLY = {"billing", "records", "circular", "insight"}  # circular and insight may not exist yet

# (importing module under samdrift/, imported module): why it still stands.
ALLOWED: dict[tuple[str, str], str] = {
    (
        "ordering/demo.py",
        "samdrift.billing.actions",
    ): "demo data: the demo's billing articles, until billing/services.py",
    (
        "ordering/demo.py",
        "samdrift.billing.models",
    ): "demo data: the demo's billing articles, until billing/services.py",
    (
        "insight/demo.py",
        "samdrift.billing.models",
    ): "demo data: 24 months of issued invoices written set-based, which no published function does",
    # A service names the billing article it is charged under (a choice field of billing's articles).
    ("ordering/forms.py", "samdrift.billing.models"): "until billing/services.py publishes the articles to choose",
}


def _imports(path: Path) -> set[str]:
    """Every module of ours that the file imports (for `from a import b`, both a and a.b: b may be
    a module; the contract below is decided on the app and on whether `services` is named)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("samdrift.")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("samdrift"):
            if node.module == "samdrift":
                found |= {f"samdrift.{a.name}" for a in node.names}
                continue
            app_module = node.module.split(".")
            # `from samdrift.billing import services` names the module itself.
            if len(app_module) == 2:
                found |= {f"{node.module}.{a.name}" for a in node.names}
            else:
                found.add(node.module)
    return found


def _app(module: str) -> str:
    return module.split(".")[1] if module.count(".") >= 1 else ""


def _breaches() -> list[tuple[str, str, str]]:
    breaches = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if len(rel.parts) == 1 and rel.name in COMPOSITION_ROOT:
            continue
        if "migrations" in rel.parts:
            continue  # migrations name other apps' models by string, through the app registry
        own = rel.parts[0]
        for module in sorted(_imports(path)):
            app = _app(module)
            if app == own or app in {"", "core"}:
                continue
            if own == "core":
                breaches.append((str(rel), module, "core imports no capability"))
            elif own == "tenancy":
                breaches.append((str(rel), module, "tenancy imports only core"))
            elif app in PUBLISHED_ONLY and module.split(".")[2:3] != ["services"]:
                breaches.append((str(rel), module, f"{app} is reached only through {app}/services.py"))
    return breaches


def test_the_layers_hold() -> None:
    breaches = [b for b in _breaches() if (b[0], b[1]) not in ALLOWED]
    assert not breaches, "layer contract broken:\n" + "\n".join(
        f"  samdrift/{rel} imports {module}: {why}" for rel, module, why in breaches
    )


def test_every_allowed_arrow_still_exists() -> None:
    found = {(rel, module) for rel, module, _why in _breaches()}
    assert not set(ALLOWED) - found, f"remove from ALLOWED: {sorted(set(ALLOWED) - found)}"


def test_the_contract_sees_a_breach(tmp_path: Path) -> None:
    source = tmp_path / "x.py"
    source.write_text(
        "import samdrift.billing.models\n"
        "from samdrift.records import services\n"
        "def f():\n"
        "    from samdrift.records.models import Case\n"
        "from samdrift import tenancy\n"
    )
    assert _imports(source) == {
        "samdrift.billing.models",
        "samdrift.records.services",
        "samdrift.records.models",
        "samdrift.tenancy",
    }
