"""Language tags: the table of common tags agrees with langcodes, and the rest still goes through it."""

from __future__ import annotations

import subprocess
import sys

import langcodes
import pytest

from exporter.readers._language import KNOWN, standard_tag


@pytest.mark.parametrize("tag", sorted(KNOWN))
def test_every_known_tag_is_valid_and_already_standard(tag: str) -> None:
    assert langcodes.tag_is_valid(tag) and langcodes.standardize_tag(tag) == tag


@pytest.mark.parametrize(("tag", "standard"), [
    ("EN-gb", "en-GB"), ("sr-cyrl", "sr-Cyrl"), ("iw", "he"), ("ckb", "ckb"), ("en_GB", "en-GB"), ("english", None),
    ("12", None), ("", None)])
def test_other_tags_are_checked_and_standardised_by_langcodes(tag: str, standard: str | None) -> None:
    assert standard_tag(tag) == standard


def test_a_common_tag_does_not_load_langcodes() -> None:
    code = ("import sys; from exporter.loader import loads; "
            "loads('---\\ntitle: T\\nlanguage: sr-Cyrl\\n---\\nText.\\n'); print('langcodes' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"
