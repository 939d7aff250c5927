"""The four apps depend one way: practice ← notifications ← sessions_app ← billing
("A ← B": B may import A, never the reverse). Read from the source with ``ast``,
so an upward import anywhere (module level or inside a function) fails here.
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ["practice", "notifications", "sessions_app", "billing"]
RANK = {app: rank for rank, app in enumerate(LAYERS)}

# The one documented exception: saving a session posts its money, a participant
# may be asked to pay, an invitation carries the payment link. Those calls from
# sessions up into billing go through this one module and nowhere else.
UPWARD_ALLOWED = {("sessions_app/money.py", "billing")}


def app_modules():
    """(path relative to the repo, module name) of every app module, tests and migrations aside."""
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if {"tests", "migrations"} & set(relative.parts):
                continue
            name = ".".join(relative.with_suffix("").parts).removesuffix(".__init__")
            yield relative.as_posix(), name


def imports(tree, *, module_level_only=False):
    """(line, imported module) of each import in ``tree``; module level means not inside a def or class."""
    nodes = tree.body if module_level_only else ast.walk(tree)
    found = []
    for node in nodes:
        if module_level_only and isinstance(node, (ast.If, ast.Try)):
            found += imports(ast.Module(body=[n for n in ast.walk(node) if isinstance(n, ast.stmt)], type_ignores=[]),
                             module_level_only=False)
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.lineno, node.module)]
            # "from sessions_app import money" imports the module sessions_app.money.
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def parsed():
    return {(path, name): ast.parse((ROOT / path).read_text(), filename=path) for path, name in app_modules()}


def test_no_app_imports_an_app_above_it():
    upward = []
    for (path, _name), tree in parsed().items():
        app = path.split("/")[0]
        for line, target in imports(tree):
            other = target.split(".")[0]
            if other in RANK and RANK[other] > RANK[app] and (path, other) not in UPWARD_ALLOWED:
                upward.append(f"{path}:{line} imports {target}")
    assert not upward, "Upward imports:\n" + "\n".join(sorted(set(upward)))


def test_the_documented_exception_is_still_needed_and_alone():
    """If money.py stops importing billing, drop the exception rather than leave a stale one."""
    trees = parsed()
    money = next(tree for (path, _), tree in trees.items() if path == "sessions_app/money.py")
    assert any(target.startswith("billing") for _, target in imports(money))
    assert UPWARD_ALLOWED == {("sessions_app/money.py", "billing")}


def test_no_import_cycle_between_modules_at_module_level():
    trees = parsed()
    known = {name for _, name in trees}
    graph = {
        name: {target for _, target in imports(tree, module_level_only=True) if target in known and target != name}
        for (_, name), tree in trees.items()
    }
    cycles, state = [], {}

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join(trail[trail.index(nxt):] + [nxt]))
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    # A package importing its own submodule (views/__init__ re-exporting) is not a cycle unless it closes.
    assert not cycles, "Module-level import cycles:\n" + "\n".join(cycles)


def test_the_checker_sees_an_upward_import():
    """The walk itself: an upward import inside a function is caught."""
    tree = ast.parse("def f():\n    from billing import payments\n")
    assert (2, "billing.payments") in imports(tree)
    assert imports(tree, module_level_only=True) == []
