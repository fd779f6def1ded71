"""Every registered validator loads and declares what the gate needs to schedule it."""

from __future__ import annotations

from pathlib import Path

import pytest

from exporter.registry import VALIDATORS
from exporter.validate import ANY_FORMAT, SUFFIX_FORMATS, check, load_validators


@pytest.mark.parametrize("name", VALIDATORS.names())
def test_validator_declares_itself(name: str) -> None:
    [validator] = load_validators([name])
    assert validator.name == name
    assert validator.format in {*SUFFIX_FORMATS.values(), "feed", ANY_FORMAT}
    assert isinstance(validator.batched, bool) and isinstance(validator.deep_only, bool)
    assert callable(validator.validate)


def test_every_format_has_a_validator() -> None:
    formats = {v.format for v in load_validators()}
    assert formats >= {"epub", "html", "feed", "docx", "pdf", ANY_FORMAT}


def test_an_empty_folder_is_clean(tmp_path: Path) -> None:
    report = check([tmp_path])
    assert report.outcomes == [] and report.ok(strict=True)


def test_a_validator_that_cannot_load_is_a_warning(tmp_path: Path) -> None:
    VALIDATORS.register("broken-plugin", "no_such_module_here:Checker")
    try:
        report = check([tmp_path], validators=["broken-plugin"])
    finally:
        VALIDATORS._entries.pop("broken-plugin")
    assert report.codes() == {"check.validator-unavailable"}
    assert not report.ok(strict=True)
