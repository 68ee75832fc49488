"""A disk cache of validated tool-call answers, keyed by a sha256 the caller computes from everything
the request depends on (not its nonce), so the same question costs one request.

Generic over the payload: the caller names the pydantic model a file must validate as, and a file is
re-validated exactly like a fresh answer (it is input, not trusted state). Only answers with a value
are stored. The cache is an optimisation and never a reason to fail: a corrupt, unreadable, oversized
or old-format file is a miss, and a directory that cannot be written is skipped. Files are 0600 in
0700 directories, written atomically, and hold the payload, model and token counts only, never the
prompt, the key or anything secret.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import re
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from gate.llm.answer import ToolCallResult

__all__ = ["FORMAT_VERSION", "AnswerCache", "default_cache_dir"]

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

FORMAT_VERSION = 2  # 1 stored a risk verdict under "verdict"; 2 stores any payload under "payload"
_KEY = re.compile(r"[0-9a-f]{64}")
_MAX_FILE_BYTES = 64 * 1024  # an answer is a few KiB; anything larger is not ours


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
    """Answers under `<directory>/llm/<key[:2]>/<key>.json`; every method is best effort."""

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

    def get(self, key: str, model: str, payload: type[M]) -> ToolCallResult[M] | None:
        """The stored answer for `key` asked of `model`, as a `payload` (cached=True); None on any problem."""
        path = self._path(key)
        if path is None:
            return None
        try:
            with path.open("rb") as handle:
                raw = handle.read(_MAX_FILE_BYTES + 1)
            if len(raw) > _MAX_FILE_BYTES:
                return None
            return _decode(json.loads(raw), key, model, payload)
        except (OSError, ValueError, TypeError, KeyError, RecursionError):  # ValidationError is a ValueError
            return None

    def put(self, key: str, result: ToolCallResult[Any]) -> None:
        """Store `result` if it has a value; failures to write are logged and ignored."""
        path = self._path(key)
        if path is None or result.value is None:
            return
        payload = json.dumps(_encode(key, result), sort_keys=True).encode()
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


def _encode(key: str, result: ToolCallResult[Any]) -> dict[str, Any]:
    assert result.value is not None
    return {
        "format": FORMAT_VERSION,
        "key": key,
        "model": result.model,
        "payload": result.value.model_dump(mode="json"),
        "input_tokens": result.input_tokens,
        "output_tokens": result.output_tokens,
        "cost_usd": result.cost_usd,
        "request_id": result.request_id,
    }


def _decode(data: Any, key: str, model: str, payload: type[M]) -> ToolCallResult[M] | None:
    if not isinstance(data, dict) or data.get("format") != FORMAT_VERSION:
        return None
    if data.get("key") != key or data.get("model") != model:
        return None  # a file copied or renamed into the wrong place is not this prompt's answer
    try:
        # Re-validated exactly like a fresh answer: the file is input, not trusted state.
        value = payload.model_validate_json(json.dumps(data["payload"]))
    except ValidationError:
        return None
    request_id = data.get("request_id")
    return ToolCallResult(
        model=model,
        value=value,
        failure=None,
        input_tokens=_count(data.get("input_tokens")),
        output_tokens=_count(data.get("output_tokens")),
        cost_usd=_usd(data.get("cost_usd")),
        cached=True,
        request_id=request_id if isinstance(request_id, str) else None,
    )


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _usd(value: Any) -> float | None:
    # json.loads reads NaN and Infinity: a cost that is not a finite, non-negative number is dropped.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) and value >= 0 else None
