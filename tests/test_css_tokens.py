"""Token references replaced by values: what is replaced, what is left for the engine, where columns move."""

from __future__ import annotations

from exporter import css_tokens
from exporter.themes import Theme

ROOT = ':root {\n  --colours-accent: #9b1c1c;\n  --fonts-text: "Noto Serif", serif;\n  --spacing-paragraph: 0.8em;\n}'
CSS = (
    "p { margin: 0 0 var(--spacing-paragraph); }\n"
    "h1 { color: var(--colours-accent); font-family: var(--fonts-text); colr: red }\n"
    ".bleed { margin-left: calc(-1 * var(--print-bleed)); }\n"
    "q { color: var(--colours-quote, #555); border-color: var( --colours-accent ) }\n"
)


def test_references_to_tokens_become_values_and_the_lines_stay() -> None:
    result = css_tokens.substitute(CSS, css_tokens.declared(ROOT))
    assert result.text == (
        "p { margin: 0 0 0.8em; }\n"
        'h1 { color: #9b1c1c; font-family: "Noto Serif", serif; colr: red }\n'
        ".bleed { margin-left: calc(-1 * var(--print-bleed)); }\n"  # not a token: left for the engine
        "q { color: #555; border-color: #9b1c1c }\n"  # not a token, with a fallback: the fallback
    )


def test_a_column_of_the_result_maps_back_to_the_original() -> None:
    result = css_tokens.substitute(CSS, css_tokens.declared(ROOT))
    original, replaced = CSS.splitlines()[1], result.text.splitlines()[1]
    for word in ("h1", "color", "font-family", "colr"):
        assert result.source_column(2, replaced.index(word) + 1) == original.index(word) + 1, word
    inside = replaced.index("Noto") + 1  # within a replaced value: where its reference began
    assert result.source_column(2, inside) == original.index("var(--fonts-text)") + 1
    assert result.source_column(3, 10) == 10  # a line with nothing replaced


def test_a_token_the_stylesheets_set_again_is_left_to_the_engine() -> None:
    scoped = ".sidebar { --colours-accent: teal; }\n"
    values = css_tokens.replaceable(css_tokens.declared(ROOT), [CSS, scoped])
    assert "--colours-accent" not in values and values["--spacing-paragraph"] == "0.8em"
    result = css_tokens.substitute(CSS, values)
    assert "color: var(--colours-accent)" in result.text and "margin: 0 0 0.8em" in result.text


def test_a_fallback_that_is_a_reference_is_resolved_on_a_second_pass() -> None:
    values = css_tokens.declared(ROOT)
    once = css_tokens.substitute("a { color: var(--link, var(--colours-accent)) }", values).text
    assert once == "a { color: var(--link, #9b1c1c) }"
    assert css_tokens.substitute(once, values).text == "a { color: #9b1c1c }"


def test_the_root_block_declares_every_custom_property_of_a_built_in_theme() -> None:
    theme = Theme.load("default")
    values = theme.custom_properties()
    assert values["--colours-accent"] == theme.tokens.colours.accent
    assert values["--sizes-base"] == theme.tokens.sizes.base
    assert values["--fonts-text"] == '"Noto Serif", serif'
    assert css_tokens.declared(theme.root_css()) == values
    assert values["--sizes-scale"] == "1.25"  # every value is CSS text, numbers included
