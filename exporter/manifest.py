"""The incremental manifest: what each finished job was built from, so an unchanged job can be skipped.

It lives in the output folder (`.exporter-manifest.json`) because it describes that folder's files: copy or
delete the folder and the cache goes with it. An entry is only ever recorded after the job's outputs were
renamed into place, and the file itself is replaced atomically, so a run killed at any moment leaves a
manifest that never claims more than what is on disk — the next run simply re-renders the rest.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from exporter.atomic import write_atomically
from exporter.paths import inside

MANIFEST_NAME = ".exporter-manifest.json"
VERSION = 1
"""Bumped when the layout changes; an old manifest is then ignored (everything rebuilds once)."""


def sha256(data: bytes) -> str:
    """Hex digest; one helper so every key in the manifest is comparable."""
    return hashlib.sha256(data).hexdigest()


def folder_digest(folder: Path) -> str:
    """A collection job's source hash: every file under the folder (sources, collection metadata, images)."""
    hasher = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        hasher.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return hasher.hexdigest()


@dataclass(slots=True)
class Entry:
    """One job's record: the key of its direct inputs, the assets it read, and the files it wrote."""

    key: str
    """Hash of source bytes, theme digest, format, options and exporter version."""
    source: str
    """The source path, to prune outputs of deleted sources."""
    assets: dict[str, str] = field(default_factory=dict)
    """Asset path → sha256 of the bytes the job read (images etc.)."""
    outputs: list[str] = field(default_factory=list)
    """Every file written for the job (main output first), relative to the output folder."""


class AssetHasher:
    """Hashes asset files once per run (stat-keyed), because a no-op rebuild must stay well under a second."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, int, int], str] = {}

    def __call__(self, path: str) -> str:
        """The file's sha256, or "" when it cannot be read (a missing asset is a change, not a crash)."""
        try:
            info = Path(path).stat()
        except OSError:
            return ""
        stamp = (path, info.st_size, info.st_mtime_ns)
        if stamp not in self._seen:
            try:
                self._seen[stamp] = sha256(Path(path).read_bytes())
            except OSError:
                return ""
        return self._seen[stamp]


@dataclass(slots=True)
class Manifest:
    """Job output path (relative to the output folder) → `Entry`."""

    folder: Path
    """The output folder the manifest describes."""
    entries: dict[str, Entry] = field(default_factory=dict)
    """One entry per job that finished successfully."""

    @classmethod
    def load(cls, folder: Path) -> Manifest:
        """The stored manifest, or an empty one when missing, unreadable or of another layout version."""
        try:
            data = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls(folder)
        if not isinstance(data, dict) or data.get("version") != VERSION:
            return cls(folder)
        entries = {}
        for name, raw in (data.get("jobs") or {}).items():
            try:
                entries[name] = Entry(key=str(raw["key"]), source=str(raw["source"]), assets=dict(raw["assets"]),
                                      outputs=list(raw["outputs"]))
            except (KeyError, TypeError, ValueError):
                continue
        return cls(folder, entries)

    def unchanged(self, name: str, key: str, hasher: AssetHasher) -> bool:
        """True when the job's key and every recorded asset match, and its outputs are still on disk."""
        entry = self.entries.get(name)
        if entry is None or entry.key != key:
            return False
        if not all((self.folder / out).is_file() for out in entry.outputs):
            return False
        return all(hasher(path) == digest for path, digest in entry.assets.items())

    def record(self, name: str, entry: Entry) -> None:
        """Remember a finished job (call only after its files were renamed into place)."""
        self.entries[name] = entry

    def forget(self, names: Iterable[str]) -> None:
        """Drop entries (a failed or pruned job must be rebuilt next time)."""
        for name in names:
            self.entries.pop(name, None)

    def stale(self, live: Mapping[str, object]) -> list[str]:
        """Entries whose job is no longer planned (their source was deleted or filtered out)."""
        return sorted(name for name in self.entries if name not in live)

    def prune(self, live: set[str]) -> list[Path]:
        """Delete the recorded outputs of jobs no longer planned (source deleted or filtered out); return them."""
        removed: list[Path] = []
        for name in self.stale(dict.fromkeys(live)):
            for relative in self.entries[name].outputs:
                path = self.folder / relative
                if not inside(path, self.folder):  # a hand-edited manifest must not delete files elsewhere
                    continue
                path.unlink(missing_ok=True)
                removed.append(path)
                parent = path.parent
                while parent != self.folder and parent.is_dir() and not any(parent.iterdir()):
                    parent.rmdir()
                    parent = parent.parent
            self.forget([name])
        return removed

    def save(self) -> None:
        """Write atomically (temporary file + rename), so a kill never leaves half a manifest.

        Nothing is written while there is nothing to remember, so a batch that produced no output leaves
        the output folder as it found it.
        """
        if not self.entries and not (self.folder / MANIFEST_NAME).exists():
            return
        payload = {"version": VERSION, "jobs": {name: {"key": e.key, "source": e.source, "assets": e.assets,
                                                        "outputs": e.outputs}
                                                 for name, e in sorted(self.entries.items())}}
        write_atomically(self.folder / MANIFEST_NAME, json.dumps(payload, indent=1, sort_keys=True).encode("utf-8"))
