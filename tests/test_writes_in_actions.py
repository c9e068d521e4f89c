"""DESIGN.md rule 2: no capability module writes a model outside an action.

An AST scan of every capability module (not `core`, which is the machinery actions are built from,
and not migrations). A model write is a call of `.save()` (no positional argument: a file's or a
workbook's `save(name, ...)` is not one), `.delete()`, `.create(**)`, `.get_or_create(**)`,
`.update_or_create(**)`, `bulk_create`/`bulk_update`, or `.update(**)` on a queryset (a chain that
passes through `.objects`, `.filter()`, `.exclude()`, `.all()` or `.select_for_update()`).

A write is in an action when it stands
- in an `actions.py` module or an `actions/` package, or
- in a function named `do_*` or `bulk_*` (DESIGN.md's verbs for writes), or
- in a helper that only such functions call, wherever they are (found by name across all modules,
  so a name called from anywhere else, even a namesake, counts against it).

Anything else is listed with its file, line and function. ALLOWED names the few exceptions, each
with its reason; an entry that no longer matches anything fails too, so the list only shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "samdrift"
WRITES_NO_ARGS = {"save", "delete"}
WRITES_KEYWORDS = {"create", "get_or_create", "update_or_create"}
WRITES_ALWAYS = {"bulk_create", "bulk_update"}
QUERYSET_STEPS = {"objects", "filter", "exclude", "all", "select_for_update", "for_user"}

# (module path under samdrift/, function or "*"): why it may write outside an action.
JOB_STATE = (
    "job state: a worker's progress, report or failure on its own job row (an import batch, an "
    "archive export, a billing run, a received inventory), not a change of the domain; a job that "
    "failed marks its row after its action's transaction rolled back"
)
ALLOWED: dict[tuple[str, str], str] = {
    ("assets/inventory.py", "_finish"): JOB_STATE,
    ("billing/tasks.py", "run_billing"): JOB_STATE,
    ("records/archive.py", "build_archive_export"): JOB_STATE + " (its finish is audited)",
    ("records/archive.py", "fail_export"): JOB_STATE,
    # The billing run's set-based steps run under the run's lease (engine.execute_run, started by
    # the run_billing task of a run that do_start_billing_run created); the run is audited when it
    # ends (billing.actions.finish_run_audit). A row-by-row audit of generated lines would double them.
    ("billing/engine.py", "*"): "the billing run's steps",
    ("billing/external.py", "build_time_lines"): "a step of the billing run (a registered charge source)",
    # The poller's cursor (UIDVALIDITY, last UID) and last error on the mailbox, written every minute:
    # machine state, not a change anyone made.
    ("servicedesk/intake.py", "poll_mailbox"): "the mailbox poll cursor",
    # The SLA sweep of the scheduler: set-based, one audit event per flagged ticket in its transaction.
    ("servicedesk/tasks.py", "check_sla"): "the SLA sweep, audited per ticket",
    ("servicedesk/tasks.py", "_flag_breaches"): "the SLA sweep, audited per ticket",
    # Take-back's partner report is a job: its dry run replaces the report's own lines and counts
    # (audited once per run), its queueing and failure mark the job row.
    ("circular/report_check.py", "check_report"): JOB_STATE + " (the dry run's report lines; audited per run)",
    ("circular/report_check.py", "_queue"): JOB_STATE + " (audited)",
    ("circular/tasks.py", "check_report_task"): JOB_STATE,
    ("circular/tasks.py", "apply_report_task"): JOB_STATE,
    (
        "circular/certificates.py",
        "ensure_rendered",
    ): "a certificate's PDF rendered once from its frozen report line and "
    "stored (as a job stores its output); its issue is audited",
    # A preview invoice's PDF kept with the hash of the HTML it was laid out from: a cache of the
    # layout (the same HTML always gives it again), not a change of the invoice.
    ("billing/documents.py", "_keep_preview"): "a preview PDF's layout kept as a cache keyed by its HTML",
    ("circular/apps.py", "ready"): "the outbox's delivery time of a pickup order, machine state written by the outbox "
    "callback (as the purchase order's sent time is audited by ordering)",
    # allauth's link row between a directory account and the user (the sign-in itself is audited
    # by do_sign_in_with_directory).
    ("identity/sso.py", "pre_social_login"): "allauth's account link; the sign-in is audited by its action",
    # Django's clearsessions, scheduled: sessions whose expiry has passed, which nobody can use.
    ("tenancy/tasks.py", "clear_expired_sessions"): "expired sessions removed, not a change anyone made",
    # Insight's summary tables are derived data, rebuilt set-based by its refresh job (audited per refresh).
    ("insight/refresh.py", "refresh_owner_months"): "derived summary rows rebuilt by the refresh job",
    ("insight/demo.py", "*"): "demo data: 24 months of history",
    # Demo loaders fill an empty database with generated rows at scale, run once by `demo`.
    ("assets/demo.py", "load_app_demo"): "demo data",
    ("ordering/demo.py", "_backdate"): "demo data: dates the history back, which no action may do",
    ("records/demo.py", "load_app_demo"): "demo data",
    ("tenancy/demo.py", "_bulk"): "demo data",
    ("tenancy/demo.py", "load_demo"): "demo data",
}


def _allowed(rel: str, function: str) -> bool:
    return (rel, function) in ALLOWED or (rel, "*") in ALLOWED


def _is_queryset_chain(node: ast.expr) -> bool:
    while True:
        if isinstance(node, ast.Attribute):
            if node.attr in QUERYSET_STEPS:
                return True
            node = node.value
        elif isinstance(node, ast.Call):
            node = node.func
        else:
            return False


def _is_write(call: ast.Call) -> bool:
    func = call.func
    if not isinstance(func, ast.Attribute):
        return False
    name = func.attr
    keywords = {k.arg for k in call.keywords}
    if name in WRITES_ALWAYS:
        return True
    if name in WRITES_NO_ARGS:
        # A file field's delete(save=False) removes a file, not a row.
        return not call.args and not (name == "delete" and "save" in keywords)
    if name in WRITES_KEYWORDS:
        return not call.args and bool(call.keywords)
    if name == "update":
        return not call.args and bool(call.keywords) and _is_queryset_chain(func.value)
    return False


class _Module(ast.NodeVisitor):
    def __init__(self, rel: str = "", is_actions: bool = False) -> None:
        self.rel = rel
        self.is_actions = is_actions
        self.stack: list[tuple[str, str]] = []  # ("def" | "class", name)
        self.writes: list[tuple[str, int, str]] = []  # (top-level function, line, call)
        self.calls: list[tuple[str, str]] = []  # (called name, calling top-level function)

    def _top(self) -> str:
        """The function a call stands in: the outermost def (a method counts by its own name)."""
        for kind, name in self.stack:
            if kind == "def":
                return name
        return self.stack[0][1] if self.stack else "<module>"

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.stack.append(("def", node.name))
        self.generic_visit(node)
        self.stack.pop()

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.stack.append(("class", node.name))
        self.generic_visit(node)
        self.stack.pop()

    def visit_Call(self, node: ast.Call) -> None:
        if _is_write(node):
            assert isinstance(node.func, ast.Attribute)
            self.writes.append((self._top(), node.lineno, node.func.attr))
        if isinstance(node.func, ast.Name):
            self.calls.append((node.func.id, self._top()))
        elif isinstance(node.func, ast.Attribute):
            self.calls.append((node.func.attr, self._top()))
        self.generic_visit(node)


class _House:
    """Who calls whom, by name, across all modules: a function is inside an action when it is one,
    or when every call of its name anywhere comes from inside an action (a step of an action
    kept in another module, such as billing's engine)."""

    def __init__(self, modules: list[_Module]) -> None:
        self.callers: dict[str, set[tuple[str, str, bool]]] = {}
        for m in modules:
            for name, caller in m.calls:
                self.callers.setdefault(name, set()).add((m.rel, caller, m.is_actions))
        self._memo: dict[tuple[str, str, bool], bool] = {}

    def in_action(self, rel: str, function: str, is_actions: bool, seen: frozenset[str] = frozenset()) -> bool:
        key = (rel, function, is_actions)
        if key in self._memo:
            return self._memo[key]
        if is_actions or function.startswith(("do_", "bulk_")):
            return True
        if function in seen or function == "<module>":
            return False
        calling = self.callers.get(function, set())
        result = bool(calling) and all(self.in_action(r, f, a, seen | {function}) for r, f, a in calling)
        if not seen:
            self._memo[key] = result
        return result


def _modules() -> list[_Module]:
    modules = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT)
        if "migrations" in rel.parts or len(rel.parts) < 2:
            continue
        module = _Module(str(rel), rel.name == "actions.py" or "actions" in rel.parts[:-1])
        module.visit(ast.parse(path.read_text(encoding="utf-8"), str(path)))
        modules.append(module)
    return modules


def _writes_outside_actions() -> list[tuple[str, str, int, str]]:
    modules = _modules()
    house = _House(modules)
    outside = []
    for m in modules:
        if m.rel.startswith("core/") or m.is_actions:
            continue
        for function, line, call in m.writes:
            if not house.in_action(m.rel, function, m.is_actions):
                outside.append((m.rel, function, line, call))
    return outside


def test_no_capability_module_writes_a_model_outside_an_action() -> None:
    outside = [w for w in _writes_outside_actions() if not _allowed(w[0], w[1])]
    assert not outside, "model writes outside a do_* action:\n" + "\n".join(
        f"  samdrift/{rel}:{line} {function}() .{call}()" for rel, function, line, call in outside
    )


def test_every_allowed_write_still_exists() -> None:
    writes = _writes_outside_actions()
    found = {(rel, function) for rel, function, _line, _call in writes} | {(rel, "*") for rel, *_rest in writes}
    assert not set(ALLOWED) - found, f"remove from ALLOWED: {sorted(set(ALLOWED) - found)}"


def test_the_scan_sees_the_writes_it_must_see() -> None:
    source = """
def view(request):
    Thing.objects.create(name="x")
    Thing.objects.filter(pk=1).update(name="y")
    thing.save()
    thing.delete()
    Thing.objects.bulk_create([])
def do_rename_thing(thing, *, actor):
    thing.save(update_fields=["name"])
    _helper()
def _helper():
    Thing.objects.filter(pk=1).delete()
def _stray():
    Other.objects.get_or_create(name="z")
def harmless(context, workbook, field, h):
    context.update(a=1)
    workbook.save(buffer)
    field.save("name.txt", content, save=False)
    field.delete(save=False)
    h.update(b"bytes")
"""
    module = _Module("x/views.py")
    module.visit(ast.parse(source))
    house = _House([module])
    outside = sorted((f, call) for f, _l, call in module.writes if not house.in_action("x/views.py", f, False))
    assert outside == [
        ("_stray", "get_or_create"),
        ("view", "bulk_create"),
        ("view", "create"),
        ("view", "delete"),
        ("view", "save"),
        ("view", "update"),
    ]
