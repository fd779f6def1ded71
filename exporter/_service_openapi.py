"""The HTTP service's OpenAPI 3.1 document, written out by hand so clients (and schemathesis) see exact limits."""

from __future__ import annotations

from collections.abc import Sequence

PROBLEM = "application/problem+json"


def _problem(description: str) -> dict[str, object]:
    return {"description": description, "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}}}


def openapi(formats: Sequence[str], readers: Sequence[str], themes: Sequence[str], version: str,
            max_body: int) -> dict[str, object]:
    """The document for this server's formats, readers and themes (enums, so clients can validate early)."""
    text_body = {"type": "string", "maxLength": max_body}
    multipart = {
        "type": "object",
        "required": ["article"],
        "properties": {
            "article": {"type": "string", "format": "binary",
                        "description": "The source; its file name's suffix picks the reader unless `from` is given."},
        },
        "additionalProperties": {"type": "string", "format": "binary",
                                 "description": "An image the article references, under its relative path."},
    }
    outputs = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "exporter", "version": version,
                 "description": "Render articles to PDF, EPUB, DOCX, HTML and JSON."},
        "paths": {
            "/render": {"post": {
                "operationId": "render",
                "summary": "Render one article to one format",
                "parameters": [
                    {"name": "to", "in": "query", "required": True,
                     "schema": {"type": "string", "enum": list(formats)}},
                    {"name": "theme", "in": "query", "required": False,
                     "schema": {"type": "string", "enum": list(themes), "default": "default"}},
                    {"name": "from", "in": "query", "required": False,
                     "schema": {"type": "string", "enum": list(readers)},
                     "description": "Reader; by default from the body's media type (text/markdown → markdown, "
                                    "text/plain → plaintext, text/html → html, application/json → json)."},
                ],
                "requestBody": {"required": True, "content": {
                    "text/markdown": {"schema": text_body},
                    "text/plain": {"schema": text_body},
                    "text/html": {"schema": text_body},
                    "application/json": {"schema": {"type": "object"}},
                    "multipart/form-data": {"schema": multipart},
                }},
                "responses": {
                    "200": {"description": "The rendered file; its media type is the format's.", "content": outputs},
                    "400": _problem("Unknown format, theme, reader or option."),
                    "413": _problem("The body is over the size limit."),
                    "415": _problem("The body's media type is not one the service reads."),
                    "422": _problem("The source could not be read or rendered (with `line` and `path`)."),
                    "501": _problem("The format is registered but its engine is not installed here."),
                    "503": _problem("Every render slot is busy, or the render ran out of time; retry later."),
                },
            }},
            "/formats": {"get": {"operationId": "formats", "summary": "Output formats and whether each can run",
                                 "responses": {"200": {"description": "format → availability", "content": {
                                     "application/json": {"schema": {"type": "object", "additionalProperties": {
                                         "$ref": "#/components/schemas/Format"}}}}}}}},
            "/themes": {"get": {"operationId": "themes", "summary": "Themes by name",
                                "responses": {"200": {"description": "theme → description", "content": {
                                    "application/json": {"schema": {"type": "object",
                                                                    "additionalProperties": {"type": "string"}}}}}}}},
            "/healthz": {"get": {"operationId": "healthz", "summary": "Liveness and current load",
                                 "responses": {"200": {"description": "Up", "content": {"application/json": {
                                     "schema": {"type": "object"}}}}}}},
        },
        "components": {"schemas": {
            "Problem": {"type": "object", "required": ["type", "title", "status"], "properties": {
                "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                "detail": {"type": "string"}, "line": {"type": "integer"}, "path": {"type": "string"}}},
            "Format": {"type": "object", "required": ["available"], "properties": {
                "available": {"type": "boolean"}, "reason": {"type": "string"},
                "media_type": {"type": "string"}}},
        }},
    }
