"""Policy files in, validated `LoadedPolicy` values out: discovery, bounded reading, the one loading path.

- `load_policy_bytes(data, path)`: one file's exact bytes -> `LoadedPolicy`; `path` is only used for
  display and error locations. `validate_policy_data(raw, lines, path)` is the step after YAML parsing,
  for loaders of other spec formats that produce the same plain data with their own line map.
- Discovery runs over a `PolicyTree`: the working tree (`LocalTree`) or a git commit (`GitTree`, used
  for a pull request's base), so the rules live once: a file named explicitly is taken as is; a folder
  contributes every `*.yaml` / `*.yml` below it, recursively, skipping hidden files and folders below
  it (`.git`, `.github`, ...; the named folder itself may be hidden), sorted by path within each folder;
  a file named twice is read once.
- `load_policies(paths, tree)`: discover, read and validate; `load_policy_sources(sources)` validates
  (display path, bytes) pairs. Both collect every error in every file before raising `PolicyErrors`
  (each `FILE:LINE: field: message`); two files declaring the same `service` are an error naming both.
- A Sloth, OpenSLO or Pyrra file is read through gate/importers (one policy per service it holds),
  with the `--gate-defaults` overlay: the file named by `gate_defaults_file(path)` for the command's
  duration, read from the same tree as the policies (a pull request's base commit included) and never
  taken for a policy itself. An imported policy's `source` is the slo-gate YAML it converts to.

Never: reads more than `MAX_POLICY_BYTES` + 1 bytes of a file, follows a policy's content anywhere
(no includes), or parses more text locating one file's PromQL errors than one `ParseBudget` allows.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import ValidationError

from gate import git, promql_syntax
from gate.errors import PolicyError, PolicyErrors
from gate.policy import API_VERSION, PROMQL_BUDGET, GateDefaults, LoadedPolicy, Policy
from gate.policy_yaml import (
    MAX_POLICY_BYTES,
    LineMap,
    field_name,
    line_for,
    parse_yaml,
    sort_errors,
    too_large,
    validation_errors,
)

if TYPE_CHECKING:
    from gate.importers.convert import Overlay

__all__ = [
    "MAX_POLICY_BYTES",
    "POLICY_SUFFIXES",
    "GitTree",
    "LocalTree",
    "PolicyTree",
    "discover",
    "discover_policy_files",
    "gate_defaults_file",
    "is_hidden",
    "is_policy_file",
    "load_policies",
    "load_policy_bytes",
    "load_policy_file",
    "load_policy_sources",
    "read_gate_defaults",
    "read_sources",
    "validate_policy_data",
]

POLICY_SUFFIXES = (".yaml", ".yml")
Kind = Literal["file", "folder", "other", "missing"]


def is_hidden(name: str) -> bool:
    """A file or folder name that discovery skips below a named folder."""
    return name.startswith(".")


def is_policy_file(relative: str) -> bool:
    """Whether a file found below a named folder (its path relative to that folder) is a policy."""
    parts = PurePosixPath(relative).parts
    return bool(parts) and not any(is_hidden(p) for p in parts) and relative.endswith(POLICY_SUFFIXES)


class PolicyTree(Protocol):
    """Where policy files are listed and read: the working tree or a commit."""

    def kind(self, path: str) -> Kind: ...

    def files_below(self, folder: str) -> Iterable[str]:
        """Every file below `folder`, as POSIX paths relative to it (hidden folders may be pruned)."""
        ...

    def read(self, path: str) -> bytes:
        """The file's bytes (at most MAX_POLICY_BYTES + 1), or PolicyErrors saying why not."""
        ...

    def identity(self, path: str) -> str:
        """The same string for two spellings of one file."""
        ...


class LocalTree:
    """The local file system; relative paths are relative to the working directory."""

    def kind(self, path: str) -> Kind:
        given = Path(path)
        if given.is_file():
            return "file"
        if given.is_dir():
            return "folder"
        return "other" if given.exists() else "missing"

    def files_below(self, folder: str) -> Iterable[str]:
        root = Path(folder)
        for current, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not is_hidden(d))
            below = Path(current).relative_to(root)
            for name in filenames:
                yield (below / name).as_posix()

    def read(self, path: str) -> bytes:
        try:
            size = os.stat(path).st_size
            if size > MAX_POLICY_BYTES:
                raise PolicyErrors([too_large(path, size)])
            with open(path, "rb") as handle:
                return handle.read(MAX_POLICY_BYTES + 1)  # parse_yaml rejects a file that grew meanwhile
        except FileNotFoundError:
            raise PolicyErrors([PolicyError(path, None, "", "no such file")]) from None
        except IsADirectoryError:
            raise PolicyErrors([PolicyError(path, None, "", "is a folder; expected a policy file")]) from None
        except OSError as exc:
            raise PolicyErrors([PolicyError(path, None, "", f"cannot read: {exc.strerror or exc}")]) from None

    def identity(self, path: str) -> str:
        return str(Path(path).resolve())


class GitTree:
    """The files of one commit, read with git (no checkout); paths are relative to `cwd`.

    git failing to run at all raises `git.GitUnavailable`; the caller says what git was needed for.
    """

    def __init__(self, commit: str, cwd: str | None) -> None:
        self.commit = commit
        self.cwd = cwd

    def _git(self, *args: str) -> git.GitResult:
        return git.run(args, cwd=self.cwd)

    def _object(self, path: str) -> str:
        return f"{self.commit}:{path.rstrip('/')}"

    def kind(self, path: str) -> Kind:
        done = self._git("cat-file", "-t", "--end-of-options", self._object(path))
        found = done.stdout.decode("ascii", "replace").strip() if done.ok else ""
        kinds: dict[str, Kind] = {"blob": "file", "tree": "folder", "": "missing"}
        return kinds.get(found, "other")

    def files_below(self, folder: str) -> Iterable[str]:
        root = folder.rstrip("/") or "."
        done = self._git("ls-tree", "-r", "-z", "--name-only", "--end-of-options", self.commit, "--", root)
        if not done.ok:
            return []
        names = [n for n in done.stdout.decode("utf-8", "surrogateescape").split("\0") if n]
        prefix = "" if root == "." else root + "/"
        return [name[len(prefix) :] for name in names if name.startswith(prefix)]

    def read(self, path: str) -> bytes:
        size = self._git("cat-file", "-s", "--end-of-options", self._object(path))
        if not size.ok:
            reason = git.describe_failure(size.stderr, size.returncode)
            raise PolicyErrors([PolicyError(path, None, "", f"cannot read at {self.commit[:12]}: {reason}")])
        length = int(size.stdout.strip() or 0)
        if length > MAX_POLICY_BYTES:
            raise PolicyErrors([too_large(path, length)])
        shown = self._git("cat-file", "blob", "--end-of-options", self._object(path))
        if not shown.ok:
            reason = git.describe_failure(shown.stderr, shown.returncode)
            raise PolicyErrors([PolicyError(path, None, "", f"cannot read at {self.commit[:12]}: {reason}")])
        return shown.stdout

    def identity(self, path: str) -> str:
        return PurePosixPath(path).as_posix()


def discover(paths: Sequence[str | Path], tree: PolicyTree) -> tuple[list[str], list[PolicyError]]:
    """The policy files `paths` name in `tree` (display paths), and an error per unusable path."""
    found: list[str] = []
    errors: list[PolicyError] = []
    seen: set[str] = set()

    def add(candidate: str) -> None:
        key = tree.identity(candidate)
        if key not in seen:
            seen.add(key)
            found.append(candidate)

    for given in paths:
        path = str(given)
        kind = tree.kind(path)
        if kind == "file":
            add(path)
        elif kind == "folder":
            files = sorted(rel for rel in tree.files_below(path) if is_policy_file(rel))
            if not files:
                errors.append(PolicyError(path, None, "", "no policy files (*.yaml, *.yml) in this folder"))
            for relative in files:
                add(str(Path(path) / relative))
        elif kind == "other":
            errors.append(PolicyError(path, None, "", "not a regular file or folder"))
        else:
            errors.append(PolicyError(path, None, "", "no such file or folder"))
    return found, errors


def discover_policy_files(paths: Sequence[Path | str]) -> list[Path]:
    """Local policy files named by `paths` (see the module rules); every unusable path is an error."""
    if not paths:
        raise PolicyErrors([PolicyError("policy paths", None, "", "none given")])
    found, errors = discover(paths, LocalTree())
    if errors:
        raise PolicyErrors(errors)
    return [Path(p) for p in found]


def read_sources(files: Sequence[str], tree: PolicyTree) -> tuple[list[tuple[str, bytes]], list[PolicyError]]:
    """(display path, bytes) of each file, and an error for each one that cannot be read."""
    sources: list[tuple[str, bytes]] = []
    errors: list[PolicyError] = []
    for file in files:
        try:
            sources.append((file, tree.read(file)))
        except PolicyErrors as exc:
            errors.extend(exc.errors)
    return sources, errors


def validate_policy_data(raw: Mapping[str, Any], lines: LineMap, path: str) -> Policy:
    """Plain policy data (with the line of each node in `path`) -> Policy, or PolicyErrors with them all."""
    version = raw.get("apiVersion")
    if version is not None and version != API_VERSION:
        # Another spec's schema: its other keys would only produce noise.
        where = line_for(lines, ("apiVersion",))
        raise PolicyErrors(
            [PolicyError(path, where, "apiVersion", f"expected {API_VERSION} (got {version!r})")]
        )
    errors: list[PolicyError] = []
    if "api_version" in raw:  # populate_by_name would otherwise accept the Python spelling
        where = line_for(lines, ("api_version",))
        errors.append(PolicyError(path, where, "api_version", "unknown key (use apiVersion)"))
    try:
        policy = Policy.model_validate(raw, context={PROMQL_BUDGET: promql_syntax.ParseBudget()})
    except ValidationError as exc:
        for error in validation_errors(exc, path, lines, Policy):
            if error.field == "apiVersion" and error.message == "required":
                error = PolicyError(error.file, error.line, error.field, f"required (expected {API_VERSION})")
            errors.append(error)
    if errors:
        raise PolicyErrors(sort_errors(errors))
    return policy


# ---- the --gate-defaults overlay of imported specs ------------------------------------------------

_GATE_DEFAULTS: ContextVar[str | None] = ContextVar("slo_gate_gate_defaults", default=None)


@contextmanager
def gate_defaults_file(path: str | Path | None) -> Iterator[None]:
    """Within the block, imported specs take their gate settings from the file at `path` (the
    `--gate-defaults` option; every command that loads policies honours it)."""
    token = _GATE_DEFAULTS.set(None if path is None else str(path))
    try:
        yield
    finally:
        _GATE_DEFAULTS.reset(token)


def read_gate_defaults(tree: PolicyTree) -> Overlay | None:
    """The overlay named by `gate_defaults_file`, read from `tree` and validated; None when none is
    named, or when a commit (a PR's base) does not hold it yet: the built-in defaults then apply."""
    path = _GATE_DEFAULTS.get()
    if path is None:
        return None
    from gate.importers.convert import Overlay

    if not isinstance(tree, LocalTree) and tree.kind(path) == "missing":
        return None
    data = tree.read(path)
    parsed = parse_yaml(data, path)
    try:
        defaults = GateDefaults.model_validate(
            parsed.data, context={PROMQL_BUDGET: promql_syntax.ParseBudget()}
        )
    except ValidationError as exc:
        raise PolicyErrors(validation_errors(exc, path, parsed.lines, GateDefaults)) from None
    return Overlay(defaults, path, hashlib.sha256(data).hexdigest())


def _load_all(data: bytes, path: str, overlay: Overlay | None) -> list[tuple[LoadedPolicy, LineMap]]:
    """One slo-gate policy file, or every policy a Sloth/OpenSLO/Pyrra file converts to."""
    from gate.importers.detect import is_foreign

    if not is_foreign(data):
        return [_load(data, path)]
    from gate.importers.convert import convert_file

    out = []
    for imported in convert_file(data, path, overlay):
        text = imported.text.encode("utf-8")
        loaded = LoadedPolicy(
            policy=imported.policy,
            path=path,
            sha256=hashlib.sha256(text).hexdigest(),
            source=imported.text,
            defaults=overlay.path if overlay is not None else None,
        )
        out.append((loaded, imported.lines))
    return out


def _load(data: bytes, path: str) -> tuple[LoadedPolicy, LineMap]:
    parsed = parse_yaml(data, path)
    policy = validate_policy_data(parsed.data, parsed.lines, path)
    loaded = LoadedPolicy(
        policy=policy, path=path, sha256=hashlib.sha256(data).hexdigest(), source=data.decode("utf-8")
    )
    return loaded, parsed.lines


def load_policy_bytes(data: bytes, path: str) -> LoadedPolicy:
    """Validate one policy file's exact bytes; `path` is only used for display and error locations.

    Raises PolicyErrors carrying every problem found in the file.
    """
    return _load(data, path)[0]


def load_policy_file(path: Path | str) -> LoadedPolicy:
    """Read and validate one local policy file; `LoadedPolicy.path` is `path` as given."""
    display = str(path)
    return load_policy_bytes(LocalTree().read(display), display)


def load_policies(paths: Sequence[Path | str], tree: PolicyTree | None = None) -> list[LoadedPolicy]:
    """Load every policy under `paths` (local files unless `tree` is given); all errors, then raise."""
    if not paths:
        raise PolicyErrors([PolicyError("policy paths", None, "", "none given")])
    source = tree or LocalTree()
    overlay = read_gate_defaults(source)
    files, errors = discover(paths, source)
    if overlay is not None:  # the overlay may sit in a policy folder: it is not a policy
        files = [f for f in files if source.identity(f) != source.identity(overlay.path)]
    sources, unread = read_sources(files, source)
    return load_policy_sources(sources, [*errors, *unread], overlay=overlay)


def load_policy_sources(
    sources: Sequence[tuple[str, bytes]],
    errors: Sequence[PolicyError] = (),
    *,
    overlay: Overlay | None = None,
) -> list[LoadedPolicy]:
    """Load policies given as (display path, bytes), e.g. read from a git commit; one service per policy.
    `overlay`: the gate settings of imported specs (read_gate_defaults)."""
    found_errors = list(errors)
    loaded: list[LoadedPolicy] = []
    first: dict[str, tuple[LoadedPolicy, int | None]] = {}
    for path, data in sources:
        try:
            policies = _load_all(data, path, overlay)
        except PolicyErrors as exc:
            found_errors.extend(exc.errors)
            continue
        for policy, lines in policies:
            _add(policy, lines, loaded, first, found_errors)
    if found_errors:
        raise PolicyErrors(found_errors)
    return loaded


def _add(
    policy: LoadedPolicy,
    lines: LineMap,
    loaded: list[LoadedPolicy],
    first: dict[str, tuple[LoadedPolicy, int | None]],
    found_errors: list[PolicyError],
) -> None:
    """Keep `policy` unless its service is already taken (an error naming both files)."""
    service = policy.policy.service
    line = line_for(lines, ("service",))
    if service in first:
        other, other_line = first[service]
        where = f"{other.path}:{other_line}" if other_line is not None else other.path
        found_errors.append(
            PolicyError(
                policy.path,
                line,
                field_name(("service",)),
                f"service {service!r} is also defined in {where}; each service needs exactly one policy",
            )
        )
        return
    first[service] = (policy, line)
    loaded.append(policy)
