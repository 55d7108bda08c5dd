"""The files a deployer copies name only what exists: `.env.example` lists exactly the settings
with their defaults, and the Dockerfile and compose.yaml (which this CI cannot run: no container
engine) use only real commands, flags, settings and endpoints."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import typer
import yaml

from orderdesk.cli import cli
from orderdesk.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
SETTING = re.compile(r"\bORDERDESK_[A-Z0-9_]+\b")
SETTINGS = {f"ORDERDESK_{name.upper()}" for name in Settings.model_fields}


def env_example() -> dict[str, str]:
    values = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            values[name.strip()] = shlex.split(value)[0] if value.strip() else ""
    return values


def test_env_example_lists_exactly_the_settings() -> None:
    assert sorted(env_example()) == sorted(SETTINGS)


def test_env_example_values_are_the_defaults() -> None:
    given = {name.removeprefix("ORDERDESK_").lower(): value for name, value in env_example().items()}
    parsed = Settings(**given)  # type: ignore[arg-type]
    assert {name: getattr(parsed, name) for name in Settings.model_fields} == {
        name: field.default for name, field in Settings.model_fields.items()
    }


def _check_command(args: list[str]) -> None:
    """`args` (after `orderdesk`) names a real command and only options it takes."""
    command: Any = typer.main.get_command(cli)
    words = list(args)
    while hasattr(command, "commands"):  # a group
        name = words.pop(0)
        assert name in command.commands, f"orderdesk has no command {name!r}"
        command = command.commands[name]
    options = {opt for param in command.params for opt in getattr(param, "opts", [])}
    for word in words:
        if word.startswith("-"):
            assert word in options, f"{command.name} has no option {word}"


def _dockerfile_instruction(name: str) -> str:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    found = [line for line in text.splitlines() if line.startswith(name + " ")]
    assert len(found) == 1, name
    return found[0].removeprefix(name + " ").strip()


def test_dockerfile_runs_orderdesk_serve_as_a_user_with_a_health_check() -> None:
    assert json.loads(_dockerfile_instruction("ENTRYPOINT")) == ["orderdesk"]
    command = json.loads(_dockerfile_instruction("CMD"))
    assert command[0] == "serve"
    _check_command(command)
    assert _dockerfile_instruction("USER") == "orderdesk"
    assert _dockerfile_instruction("FROM").endswith("-slim")
    assert "/healthz" in _dockerfile_instruction("HEALTHCHECK")
    assert set(SETTING.findall((ROOT / "Dockerfile").read_text())) <= SETTINGS


def test_compose_names_only_commands_flags_and_settings_that_exist() -> None:
    compose: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert {"api", "worker", "postgres", "redis"} <= set(services)
    commands = {name: service["command"] for name, service in services.items() if service.get("build")}
    assert commands["api"][0] == "serve" and commands["worker"] == ["worker"]
    for command in commands.values():
        _check_command(command)
    for name in ("api", "worker"):
        environment = services[name]["environment"]
        assert set(environment) <= SETTINGS
        assert environment["ORDERDESK_DATABASE_URL"].startswith("postgresql://")
        assert environment["ORDERDESK_REDIS_URL"].startswith("redis://")
    assert set(SETTING.findall((ROOT / "compose.yaml").read_text())) <= SETTINGS


def test_the_settings_page_documents_every_setting() -> None:
    documented = set(re.findall(r"^\| `(ORDERDESK_[A-Z0-9_]+)`", (ROOT / "docs/settings.md").read_text(), re.M))
    assert documented == SETTINGS
