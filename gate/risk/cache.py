"""A disk cache of model verdicts, keyed by the prompt's sha256, so one commit costs one request.

Only usable verdicts are stored. The cache is an optimisation and never a reason to fail: a corrupt,
unreadable or old-format file is a miss, and a directory that cannot be written is skipped.
Files hold the verdict and token counts only, never the prompt, the key or anything secret.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from gate.risk.claude import ModelAnswer
from gate.risk.verdict import ModelVerdict

__all__ = ["FORMAT_VERSION", "AnswerCache", "default_cache_dir"]

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
_KEY = re.compile(r"[0-9a-f]{64}")
_MAX_FILE_BYTES = 64 * 1024  # a verdict is a few KiB; anything larger is not ours


def default_cache_dir(env: Mapping[str, str]) -> Path:
    """SLO_GATE_CACHE_DIR, else $XDG_CACHE_HOME/slo-gate, else ~/.cache/slo-gate."""
    explicit = env.get("SLO_GATE_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = env.get("XDG_CACHE_HOME")
    if xdg and Path(xdg).is_absolute():  # the XDG spec says to ignore a relative path
        return Path(xdg) / "slo-gate"
    home = env.get("HOME")
    return (Path(home) if home else Path.home()) / ".cache" / "slo-gate"


class AnswerCache:
    """Verdicts under `<directory>/llm/<key[:2]>/<key>.json`; every method is best effort."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def __repr__(self) -> str:
        return f"AnswerCache({str(self.directory)!r})"

    def _path(self, key: str) -> Path | None:
        # The key becomes a file name: anything but a sha256 hex digest could walk out of the directory.
        if not _KEY.fullmatch(key):
            log.warning("llm cache: key is not a sha256 hex digest; not cached")
            return None
        return self.directory / "llm" / key[:2] / f"{key}.json"

    def get(self, key: str, model: str) -> ModelAnswer | None:
        """The stored answer for `key` asked of `model` (cached=True), or None on any problem."""
        path = self._path(key)
        if path is None:
            return None
        try:
            with path.open("rb") as handle:
                raw = handle.read(_MAX_FILE_BYTES + 1)
            if len(raw) > _MAX_FILE_BYTES:
                return None
            return _decode(json.loads(raw), key, model)
        except (OSError, ValueError, TypeError, KeyError, RecursionError):  # ValidationError is a ValueError
            return None

    def put(self, key: str, answer: ModelAnswer) -> None:
        """Store `answer` if it has a verdict; failures to write are logged and ignored."""
        path = self._path(key)
        if path is None or answer.verdict is None:
            return
        payload = json.dumps(_encode(key, answer), sort_keys=True).encode()
        try:
            self._make_dirs(path.parent)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")  # mode 0600
        except OSError as exc:
            log.info("llm cache: not written (%s)", type(exc).__name__)
            return
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(payload)
            os.replace(tmp, path)  # atomic: a reader sees the old file or the new one, never half
        except OSError as exc:
            log.info("llm cache: not written (%s)", type(exc).__name__)
            with contextlib.suppress(OSError):
                os.unlink(tmp)

    def _make_dirs(self, leaf: Path) -> None:
        # mkdir(parents=True) would give the intermediate directories the umask default, not 0700.
        self.directory.parent.mkdir(parents=True, exist_ok=True)
        for directory in (self.directory, self.directory / "llm", leaf):
            directory.mkdir(mode=0o700, exist_ok=True)


def _encode(key: str, answer: ModelAnswer) -> dict[str, Any]:
    assert answer.verdict is not None
    return {
        "format": FORMAT_VERSION,
        "key": key,
        "model": answer.model,
        "verdict": answer.verdict.model_dump(mode="json"),
        "input_tokens": answer.input_tokens,
        "output_tokens": answer.output_tokens,
        "cost_usd": answer.cost_usd,
        "request_id": answer.request_id,
    }


def _decode(data: Any, key: str, model: str) -> ModelAnswer | None:
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        return None
    if data.get("key") != key or data.get("model") != model:
        return None  # a file copied or renamed into the wrong place is not this prompt's answer
    try:
        # Re-validated exactly like a fresh answer: the file is input, not trusted state.
        verdict = ModelVerdict.model_validate_json(json.dumps(data["verdict"]))
    except ValidationError:
        return None
    return ModelAnswer(
        model=model,
        verdict=verdict,
        failure=None,
        input_tokens=_count(data.get("input_tokens")),
        output_tokens=_count(data.get("output_tokens")),
        cost_usd=_usd(data.get("cost_usd")),
        cached=True,
        request_id=data.get("request_id") if isinstance(data.get("request_id"), str) else None,
    )


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _usd(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)
