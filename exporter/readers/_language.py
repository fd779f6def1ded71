"""BCP 47 language tags, checked and put in standard form (langcodes), with the common ones known in advance.

langcodes compiles its registry's large expressions when imported, ~20 ms: a tenth of a cold one-article
export. Most sources carry one of a few dozen tags, already standard, so those are answered from a table
(`tests/readers/test_language.py` checks it against langcodes) and langcodes loads only for the others.
"""

from __future__ import annotations

KNOWN = frozenset({
    "en", "en-GB", "en-US", "en-AU", "en-CA", "en-IE", "en-NZ", "fr", "fr-FR", "fr-CA", "fr-BE", "fr-CH", "de",
    "de-DE", "de-AT", "de-CH", "es", "es-ES", "es-MX", "es-419", "it", "pt", "pt-BR", "pt-PT", "nl", "sv",
    "da", "nb", "nn", "no", "fi", "is", "et", "lv", "lt", "pl", "cs", "sk", "sl", "hr", "bs", "sr", "sr-Cyrl",
    "sr-Latn", "sq", "mk", "bg", "ro", "hu", "el", "tr", "ru", "uk", "be", "ka", "hy", "az", "ar", "he", "fa",
    "ur", "hi", "bn", "ta", "zh", "zh-Hans", "zh-Hant", "zh-CN", "zh-TW", "ja", "ko", "vi", "th", "id", "ms",
    "sw", "ca", "eu", "gl", "cy", "ga", "mt"
})
"""Valid tags that are already in langcodes' standard form."""


def standard_tag(tag: str) -> str | None:
    """`tag` in standard form (`EN-gb` → `en-GB`), or None when it is not a valid BCP 47 tag."""
    if tag in KNOWN:
        return tag
    import langcodes

    if not langcodes.tag_is_valid(tag):
        return None
    return str(langcodes.standardize_tag(tag))
