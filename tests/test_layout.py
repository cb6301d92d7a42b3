"""The layout's rules: imports only go down, and only `bot/tg/` knows Telegram."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("config", "db", "bot")


def imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def module_name(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def production_modules() -> list[Path]:
    return sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.py"))


def offences(path: Path) -> list[str]:
    """The imports of one module that go up or reach Telegram from outside the edge."""
    name = module_name(path)
    found: list[str] = []
    for imported in sorted(imported_modules(path)):
        top = imported.split(".")[0]
        if top == "telegram" and not name.startswith("bot.tg"):
            found.append(f"{name} imports {imported}: only bot/tg/ may import telegram")
        if name.startswith("db") and top == "bot":
            found.append(f"{name} imports {imported}: db/ never imports bot/")
        if name.startswith("config") and top in {"db", "bot"}:
            found.append(f"{name} imports {imported}: config/ imports neither db/ nor bot/")
        in_domain = name.startswith("bot") and not name.startswith(("bot.tg", "bot.cli"))
        if in_domain and (imported == "bot.tg" or imported.startswith("bot.tg.")):
            found.append(f"{name} imports {imported}: the domain never imports the Telegram edge")
        # The web site is an edge beside bot/tg/: the domain sits under both, and only the
        # command line starts it.
        on_web = imported == "bot.web" or imported.startswith("bot.web.")
        if on_web and not name.startswith(("bot.web", "bot.cli")):
            found.append(f"{name} imports {imported}: only bot/cli.py imports the web site")
    return found


def test_imports_only_go_down() -> None:
    problems = [problem for path in production_modules() for problem in offences(path)]
    assert problems == []


def test_the_rule_catches_an_import_of_telegram_outside_the_edge(tmp_path: Path) -> None:
    # The check itself must be able to fail: a domain module importing telegram is reported.
    stray = ROOT / "bot" / "_layout_probe.py"
    stray.write_text('"""Probe."""\n\nfrom telegram import Update\n', encoding="utf-8")
    try:
        assert offences(stray) == [
            "bot._layout_probe imports telegram: only bot/tg/ may import telegram",
            "bot._layout_probe imports telegram.Update: only bot/tg/ may import telegram",
        ]
    finally:
        stray.unlink()


def test_the_rule_keeps_the_web_site_an_edge() -> None:
    # The domain and the Telegram edge never import the web site; the web site never
    # imports Telegram or its edge.
    probes = {
        ROOT / "bot" / "tg" / "_layout_probe.py": "from bot.web import server\n",
        ROOT / "bot" / "web" / "_layout_probe.py": "import telegram\nimport bot.tg.app\n",
    }
    try:
        for path, imports in probes.items():
            path.write_text(f'"""Probe."""\n\n{imports}', encoding="utf-8")
        assert offences(next(iter(probes))) == [
            "bot.tg._layout_probe imports bot.web: only bot/cli.py imports the web site",
            "bot.tg._layout_probe imports bot.web.server: only bot/cli.py imports the web site",
        ]
        assert offences(list(probes)[1]) == [
            "bot.web._layout_probe imports bot.tg.app: the domain never imports the Telegram edge",
            "bot.web._layout_probe imports telegram: only bot/tg/ may import telegram",
        ]
    finally:
        for path in probes:
            path.unlink(missing_ok=True)


def test_every_module_opens_with_a_docstring() -> None:
    missing = [
        module_name(path)
        for path in production_modules()
        if path.stat().st_size
        and ast.get_docstring(ast.parse(path.read_text())) is None
        and "migrations" not in path.parts
    ]
    assert missing == []


# What answering from the terminal must never wait for: the Telegram edge and its servers, the
# moderators' tools, the importer and the data-set schema (dozens of validation models),
# the ORM and the models mapped with it (answering reads columns on the tables) and, once the
# schema is current, the migrations.
NOT_FOR_ANSWERING = (
    "telegram",
    "aiohttp",
    "prometheus_client",
    "jinja2",
    "bot.moderation",
    "db.import_export",
    "db.dataset_schema",
    "sqlalchemy.orm",
    "db.models",
    "alembic",
)


def answer_in_new_process(command: list[str], question: str, database: Path) -> tuple[str, str]:
    """A claimbot command's output, and the modules of NOT_FOR_ANSWERING it loaded."""
    probe = (
        "import runpy, sys\n"
        f"sys.argv = ['claimbot', *{command!r}]\n"
        "try:\n"
        "    runpy.run_module('bot.cli', run_name='__main__')\n"
        "except SystemExit:\n"
        "    pass\n"
        f"unwanted = {NOT_FOR_ANSWERING!r}\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(tuple(u + '.' for u in unwanted))"
        " or m in unwanted)\n"
        "print('LOADED:', loaded, file=sys.stderr)\n"
    )
    env = {
        "CLAIMBOT_DATABASE_URL": f"sqlite:///{database}",
        "CLAIMBOT_CACHE_DIR": str(database.parent / "cache"),
        "PATH": "",
    }
    done = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=env,
        input=f"{question}\n",
        capture_output=True,
        text=True,
        timeout=120,
    )
    loaded = done.stderr.rpartition("LOADED: ")[2].partition("\n")[0].strip()
    return done.stdout, loaded


@pytest.mark.parametrize(
    "command",
    [["ask", "how many died at makiivka"], ["ask"], ["run"]],
    ids=["ask", "ask-stdin", "terminal-chat"],
)
def test_answering_from_the_terminal_loads_only_what_answering_needs(
    tmp_path: Path, command: list[str]
) -> None:
    database = tmp_path / "claimbot.db"
    # The first use sets the database up, which needs the migrations but never Telegram.
    question = "how many died at makiivka"
    first, loaded = answer_in_new_process(command, question, database)
    assert "Makiivka" in first
    assert "telegram" not in loaded
    # On a current database a question is answered without any of them: from columns.
    again, loaded = answer_in_new_process(command, question, database)
    assert "Makiivka" in again
    assert loaded == "[]"


def loaded_by_a_bot_start(packages: tuple[str, ...]) -> list[str]:
    """The modules of these packages (a package's submodules too) that importing the polling
    bot loads."""
    probe = (
        "import sys\n"
        "import bot.cli, bot.tg.serve\n"
        f"print(sorted(m for m in sys.modules if m.startswith({packages!r})))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    loaded: list[str] = ast.literal_eval(done.stdout.strip())
    return [m for m in loaded if m in packages or m.startswith(tuple(p + "." for p in packages))]


def test_a_polling_bot_loads_no_web_server() -> None:
    # aiohttp's web server costs about 0.4 s of every start; only the webhook, a metrics port
    # and `claimbot web` serve pages.
    assert loaded_by_a_bot_start(("aiohttp",)) == []


def test_a_bot_starts_without_the_data_set_files_and_the_importer() -> None:
    # The data-set schema's validation models, the file formats (YAML) and the importer
    # cost every start about a third of a second; only a moderator's change, export or
    # import needs them, and loads them then.
    unwanted = (
        "db.dataset_schema",
        "db.file_formats",
        "db.import_export",
        "db.import_plan",
        "db.import_write",
        "yaml",
    )
    assert loaded_by_a_bot_start(unwanted) == []
