"""The public API stays small, sorted, importable and typed without `Any`."""

from __future__ import annotations

import dataclasses
import inspect
import typing

import exporter

PUBLIC = [name for name in exporter.__all__ if not name.startswith("_")]


def test_all_is_sorted_and_unique() -> None:
    assert exporter.__all__ == sorted(set(exporter.__all__))


def test_every_name_imports_from_the_module_it_says() -> None:
    for name in PUBLIC:
        value = getattr(exporter, name)
        assert value is not None, name
        assert name in exporter._LOCATIONS, f"{name} is in __all__ but not resolvable lazily"
    assert set(exporter._LOCATIONS) == set(PUBLIC)
    assert sorted(dir(exporter)) == sorted(exporter.__all__)


def _mentions_any(hint: object) -> bool:
    if hint is typing.Any:
        return True
    return any(_mentions_any(arg) for arg in typing.get_args(hint))


def _signatures(name: str, value: object) -> list[tuple[str, object]]:
    """(where, hint) for every annotation a user of `value` sees: parameters, returns, public fields."""
    found: list[tuple[str, object]] = []
    targets: list[tuple[str, object]] = []
    if inspect.isfunction(value):
        targets.append((name, value))
    elif inspect.isclass(value):
        targets.extend((f"{name}.{attr}", member) for attr, member in vars(value).items()
                       if inspect.isfunction(member) and (not attr.startswith("_") or attr == "__init__"))
        if dataclasses.is_dataclass(value):
            hints = typing.get_type_hints(value)
            found.extend((f"{name}.{f.name}", hints[f.name]) for f in dataclasses.fields(value)
                         if not f.name.startswith("_"))
    for where, function in targets:
        try:
            hints = typing.get_type_hints(function)
        except (NameError, TypeError):  # annotations naming TYPE_CHECKING-only names: checked by mypy instead
            continue
        found.extend((f"{where}:{param}", hint) for param, hint in hints.items())
    return found


def test_no_any_in_public_signatures() -> None:
    offenders = [where for name in PUBLIC for where, hint in _signatures(name, getattr(exporter, name))
                 if _mentions_any(hint)]
    assert not offenders, offenders
