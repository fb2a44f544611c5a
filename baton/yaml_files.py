"""Reading a YAML file safely (``yaml.safe_load``) with Baton's errors for a missing or malformed file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from baton.errors import MalformedSourceError, SourceNotFoundError


def read_yaml(path: str | Path, *, what: str) -> Any:
    """The parsed content of a YAML file.

    Args:
        path: the file.
        what: what the file holds, for the message when it is missing (e.g. "the ROI inputs").

    Raises:
        SourceNotFoundError: no such file.
        MalformedSourceError: the file is not valid YAML (or not UTF-8).
    """
    source = Path(path)
    if not source.is_file():
        raise SourceNotFoundError(f"{source}: no such file; check the path of {what}")
    try:
        return yaml.safe_load(source.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise MalformedSourceError(f"{source.name}: not valid YAML ({exc}); fix the syntax") from exc
