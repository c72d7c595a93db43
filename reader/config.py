"""User settings: a ``config.toml`` beside ``keys.toml`` (the user's config folder, or
``$READER_CONFIG``). Two settings, both off by default::

    [feeds]
    refresh_every = 30       # minutes: the open app refreshes the feeds this often (0: never)
    refresh_on_start = true  # and once when it opens

The app never touches the network unless asked: without these settings it refreshes only on
``r``. A file that cannot be read or parsed, an unknown key or a value of the wrong kind is
reported in one line each and left out; the app always starts.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import tomllib

#: the shortest interval taken (minutes): a typo must not make the app hammer the servers
MIN_REFRESH_MINUTES = 1.0


def user_config_file(name: str, env_var: str) -> Path:
    """``$env_var``, else the file ``name`` in the user's config folder (platformdirs)."""
    env = os.environ.get(env_var)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir("reader", appauthor=False)) / name


def config_path() -> Path:
    """``$READER_CONFIG`` or ``config.toml`` in the user's config folder."""
    return user_config_file("config.toml", "READER_CONFIG")


@dataclass
class Config:
    """The settings read, and what was wrong with the file (one line each)."""

    refresh_every: float | None = None
    """Seconds between the app's own feed refreshes (None: only on ``r``)."""
    refresh_on_start: bool = False
    """Refresh once when the app opens."""
    problems: list[str] = field(default_factory=list)
    path: Path | None = None


def parse_config(text: str, where: str = "config.toml") -> Config:
    """Read a config file's text."""
    cfg = Config()
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        cfg.problems.append(f"{where}: not TOML ({exc}); ignored")
        return cfg
    for section, value in data.items():
        if section != "feeds" or not isinstance(value, dict):
            cfg.problems.append(f"{where}: unknown setting {section!r}; ignored")
            continue
        for key, v in value.items():
            if key == "refresh_on_start":
                if isinstance(v, bool):
                    cfg.refresh_on_start = v
                else:
                    cfg.problems.append(f"{where}: feeds.refresh_on_start must be true or "
                                        "false; ignored")
                continue
            if key != "refresh_every":
                cfg.problems.append(f"{where}: unknown setting 'feeds.{key}'; ignored")
                continue
            if isinstance(v, bool) or not isinstance(v, int | float) or v < 0:
                cfg.problems.append(
                    f"{where}: feeds.refresh_every must be a number of minutes (0: never); "
                    "ignored")
                continue
            if v == 0:
                continue
            if v < MIN_REFRESH_MINUTES:
                cfg.problems.append(f"{where}: feeds.refresh_every is at least "
                                    f"{MIN_REFRESH_MINUTES:g} minute; using that")
                v = MIN_REFRESH_MINUTES
            cfg.refresh_every = float(v) * 60
    return cfg


def load_config(path: Path | None = None) -> Config:
    """The user's settings (defaults when there is no file)."""
    path = path or config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Config(path=path)
    except (OSError, UnicodeDecodeError) as exc:
        return Config(problems=[f"{path}: cannot be read ({exc}); ignored"], path=path)
    cfg = parse_config(text, str(path))
    cfg.path = path
    return cfg
