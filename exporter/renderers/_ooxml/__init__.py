"""Raw OOXML for what python-docx has no API for; the only code that touches python-docx internals.

python-docx 1.2 writes paragraphs, runs, tables and pictures, but not footnotes, hyperlinks, numbering
instances, alt text, fields, language settings or reproducible archives. Editors need all of these to be
*real* Word features (a footnote Word renumbers, a link it opens), so they are built here with lxml, in
one package, against the ECMA-376 element order, instead of being faked with direct formatting elsewhere.
`text` builds runs and paragraph content, `parts` the package parts and settings, `styles` style XML.
"""

from exporter.renderers._ooxml.parts import (
    Footnotes,
    Numbering,
    clear_body,
    drop_package_parts,
    package_bytes,
    prepare_settings,
)
from exporter.renderers._ooxml.styles import (
    default_run_properties,
    drop_unused_table_styles,
    set_box,
    set_fonts,
    set_language,
    set_outline_level,
    set_table_style_borders,
)
from exporter.renderers._ooxml.text import (
    Element,
    add_bookmark,
    add_break,
    add_field,
    add_hyperlink,
    add_paragraph,
    add_picture,
    add_text,
    bookmark_name,
    element,
    embeddable,
    field_end,
    field_start,
    markup_text,
    repeat_header,
    run_properties,
    set_numbering,
    set_paragraph_style,
    to_png,
    xml_text,
)

__all__ = [
    "Element",
    "Footnotes",
    "Numbering",
    "add_bookmark",
    "add_break",
    "add_field",
    "add_hyperlink",
    "add_paragraph",
    "add_picture",
    "add_text",
    "bookmark_name",
    "clear_body",
    "default_run_properties",
    "drop_package_parts",
    "drop_unused_table_styles",
    "element",
    "embeddable",
    "field_end",
    "field_start",
    "markup_text",
    "package_bytes",
    "prepare_settings",
    "repeat_header",
    "run_properties",
    "set_box",
    "set_fonts",
    "set_language",
    "set_numbering",
    "set_outline_level",
    "set_paragraph_style",
    "set_table_style_borders",
    "to_png",
    "xml_text",
]
