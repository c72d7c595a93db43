"""User key bindings (keys.toml): parsing, loading, and the real app obeying them (Pilot)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from rich.console import Console

from index.library import Library
from reader.bindings import binding_ids
from reader.keys import keys_path, load_keys, parse_keys
from reader.panes.reader_view import ReaderView
from reader.screens.help import HelpScreen
from tests.test_app import SIZE, library, make_app, open_source, seed_library, settle  # noqa: F401

IDS = binding_ids()


def test_every_binding_id_is_unique() -> None:
    assert len(IDS) == len(set(IDS))
    assert "main.next_source" in IDS and "app.quit" in IDS


def test_parse_keys_translates_characters_and_keeps_names() -> None:
    km = parse_keys('[keys]\n"main.next_source" = "l, ]"\n"app.quit" = "ctrl+c"\n', IDS)
    assert km.problems == []
    assert km.keys == {"main.next_source": "l,right_square_bracket", "app.quit": "ctrl+c"}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[keys]\n"main.nope" = "x"\n', "unknown binding id 'main.nope'"),
        ('[keys]\n"main.search" = 3\n', "needs a string of keys"),
        ('[keys]\n"main.search" = "  "\n', "needs a string of keys"),
        ("[keys\n", "not valid TOML"),
        ('keys = "x"\n', "'keys' must be a table"),
        ('[bindings]\n"main.search" = "x"\n', "no [keys] table"),
    ],
)
def test_parse_keys_reports_each_problem_in_one_line(text: str, fragment: str) -> None:
    km = parse_keys(text, IDS, where="k.toml")
    assert len(km.problems) == 1
    assert fragment in km.problems[0] and km.problems[0].startswith("k.toml: ")
    assert "\n" not in km.problems[0]


def test_a_bad_entry_does_not_lose_the_good_ones() -> None:
    km = parse_keys('[keys]\n"main.nope" = "x"\n"main.same_passage" = "P"\n', IDS)
    assert km.keys == {"main.same_passage": "P"}
    assert len(km.problems) == 1


def test_load_keys_missing_unreadable_and_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert load_keys(IDS, tmp_path / "none.toml").problems == []
    folder = tmp_path / "a-folder.toml"
    folder.mkdir()
    km = load_keys(IDS, folder)
    assert len(km.problems) == 1 and "cannot read it" in km.problems[0]
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert "cannot read it" in load_keys(IDS, binary).problems[0]
    good = tmp_path / "keys.toml"
    good.write_text('[keys]\n"main.next_source" = "l"\n', encoding="utf-8")
    monkeypatch.setenv("READER_KEYS", str(good))
    assert keys_path() == good
    km = load_keys(IDS)
    assert km.keys == {"main.next_source": "l"} and km.path == good


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_load_keys_permission_denied(tmp_path: Path) -> None:
    f = tmp_path / "keys.toml"
    f.write_text('[keys]\n"main.next_source" = "l"\n', encoding="utf-8")
    f.chmod(0)
    assert "cannot read it" in load_keys(IDS, f).problems[0]


def _help_text(app) -> str:  # type: ignore[no-untyped-def]
    console = Console(width=220, record=True, file=io.StringIO())
    console.print(app.screen._table())
    return console.export_text()


async def test_app_obeys_the_users_keys_and_help_shows_them(
    library: Library,  # noqa: F811
    tmp_path: Path,
) -> None:
    f = tmp_path / "keys.toml"
    f.write_text('[keys]\n"main.next_source" = "l"\n', encoding="utf-8")
    app = make_app(library, keys=load_keys(IDS, f))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        start = await open_source(pilot, "Daily Sabah")
        app.main.query_one(ReaderView).focus()
        await pilot.press("right_square_bracket")  # the default key no longer jumps
        await settle(pilot)
        assert app.main.view.id == start
        await pilot.press("l")
        await settle(pilot)
        assert app.main.view.id != start
        assert app.main.view.id in library.story_articles(start)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        line = next(x for x in _help_text(app).splitlines() if "main.next_source" in x)
        assert line.split()[0] == "l", line
        assert str(f) in _help_text(app)


async def test_bad_keys_file_is_reported_and_the_app_still_works(
    library: Library,  # noqa: F811
    tmp_path: Path,
) -> None:
    f = tmp_path / "keys.toml"
    f.write_text('[keys]\n"main.nope" = "x"\n"main.same_passage" = "[oops\n', encoding="utf-8")
    app = make_app(library, keys=load_keys(IDS, f))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        told = [n.message for n in app._notifications]
        assert any("not valid TOML" in m for m in told), told
        start = await open_source(pilot, "Daily Sabah")
        app.main.query_one(ReaderView).focus()
        await pilot.press("right_square_bracket")  # defaults still apply
        await settle(pilot)
        assert app.main.view.id != start


async def test_a_clash_is_told_once(library: Library, tmp_path: Path) -> None:  # noqa: F811
    f = tmp_path / "keys.toml"
    f.write_text('[keys]\n"main.next_source" = "p"\n', encoding="utf-8")
    app = make_app(library, keys=load_keys(IDS, f))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        start = await open_source(pilot, "Daily Sabah")
        app.main.query_one(ReaderView).focus()
        await pilot.press("p")
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert app.main.view.id != start
        told = [n.message for n in app._notifications if " lost " in n.message]
        assert told == [
            "Same passage (main.same_passage) lost p to Next source "
            "(main.next_source) in your keymap"
        ], told


def test_a_key_shared_by_a_pane_and_the_screen_is_told() -> None:
    from reader.bindings import binding_sections
    from reader.keys import clashes

    km = parse_keys('[keys]\n"main.next_source" = "l, ]"\n', IDS)
    assert clashes(km, binding_sections()) == [
        "l is Read (list.read) in the article list and Next source (main.next_source) elsewhere"
    ]
    assert clashes(parse_keys('[keys]\n"list.read" = "enter, v"\n', IDS), binding_sections()) == []
