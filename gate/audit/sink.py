"""Where sealed audit records go: a git branch (one chain per service) or a local JSONL file (one chain).

Both take a typed record (gate.audit.record), read the chain, refuse to extend a broken one, skip a
record already written (the same idempotency key: the same run key, or the same settled deploy), seal
the record's body with the next `seq`/`prev_hash`, and append one line. A record that would not read
back as what it claims to be is refused, never written.

- `FileSink` serialises writers with `flock` on a sidecar `PATH.lock` and fsyncs each line.
- `GitSink` commits with plumbing only (a temporary index, `commit-tree`) in the workspace's object
  store, and pushes without force; a rejected push means someone else appended first, so it fetches
  and tries again (bounded). HEAD, the index, the working tree and the user's refs are never touched.
  The same machinery keeps one other file beside the chains (`update_file`: read, change, commit,
  push; on a lost race read again and change again), which is how `slo-gate watch` keeps its state
  on the audit branch. Such a file can never be a chain: paths under `audit/` are refused.
"""

from __future__ import annotations

import contextlib
import os
import random
import re
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from gate import git
from gate.audit.chain import ChainReport, canonical, seal, verify_lines
from gate.audit.record import (
    AuditRecord,
    DecisionRecord,
    SettlementRecord,
    UnknownRecord,
    idempotency_key,
    parse_record,
)
from gate.errors import AuditError
from gate.filelock import EXCLUSIVE, SHARED, locked_beside
from gate.git import git_said

__all__ = [
    "AUTHOR_EMAIL",
    "AUTHOR_NAME",
    "Appended",
    "AuditSink",
    "FileSink",
    "GitSink",
    "check_chain",
]

AUTHOR_NAME = "slo-gate"
AUTHOR_EMAIL = "slo-gate@users.noreply.github.com"
NOT_WRITTEN = "the audit record was NOT written"


@dataclass(frozen=True)
class Appended:
    record: AuditRecord  # the sealed record as stored (the existing one on an idempotent re-run)
    created: bool  # False: this run key (or settled deploy) was already recorded
    attempts: int  # pushes tried (git); 1 for the file sink
    location: str


class AuditSink(Protocol):
    def append(self, record: AuditRecord) -> Appended: ...

    def read(self) -> dict[str, list[str]]: ...


# -- chain helpers shared by both sinks ----------------------------------------------------------------


def _lines(content: bytes) -> list[str]:
    """The chain's lines as `read()` returns them; a last line without its newline is kept as it is."""
    text = content.decode("utf-8", "replace")
    if not text:
        return []
    # split("\n"), not splitlines(): canonical JSON keeps U+2028 and friends raw inside strings.
    return text.removesuffix("\n").split("\n")


def check_chain(name: str, content: bytes) -> ChainReport:
    """verify_lines over a file's bytes, also refusing bytes that are not UTF-8 and a torn last line."""
    raw = content.split(b"\n")
    torn = raw[-1] != b""  # everything written ends with "\n"; anything after the last one is torn
    if not torn:
        raw.pop()
    lines: list[str] = []
    for chunk in raw:
        try:
            lines.append(chunk.decode("utf-8"))
        except UnicodeDecodeError:
            report = verify_lines(name, lines)
            if not report.ok:
                return report
            problem = f"line {len(lines) + 1} is not valid UTF-8"
            return ChainReport(name, report.count, report.head, report.count + 1, problem, report.records)
    report = verify_lines(name, lines)
    if report.ok and torn:
        problem = f"the last line (seq {report.count}) does not end with a newline (a torn or cut write)"
        return ChainReport(name, report.count, report.head, report.count, problem, report.records)
    return report


def _broken(report: ChainReport, where: str) -> AuditError:
    return AuditError(
        f"the audit log {where} is broken at seq {report.bad_seq}: {report.problem}. "
        f"{NOT_WRITTEN}: slo-gate never appends to a broken chain; restore the log from its history "
        "or a backup first"
    )


def _existing(records: Sequence[dict[str, Any]], key: tuple[str, ...] | None) -> AuditRecord | None:
    if key is None:
        return None
    found = next((r for r in reversed(records) if idempotency_key(r) == key), None)
    return parse_record(found) if found is not None else None


def _sealed(body: Mapping[str, Any], report: ChainReport) -> tuple[AuditRecord, bytes]:
    try:
        stored = seal(body, report.count + 1, report.head)
        line = canonical(stored)
    except (TypeError, ValueError) as exc:
        raise AuditError(f"the record cannot be written as canonical JSON ({exc}); {NOT_WRITTEN}") from None
    record = parse_record(stored)
    if isinstance(record, UnknownRecord) and record.why == "invalid":
        raise AuditError(f"the record would not read back ({record.problem}); {NOT_WRITTEN}")
    return record, (line + "\n").encode("utf-8")


# -- the local file ------------------------------------------------------------------------------------


class FileSink:
    """A local JSONL file holding ONE chain over every record (all services)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.location = f"file {self.path}"

    def __repr__(self) -> str:
        return f"FileSink({str(self.path)!r})"

    def append(self, record: AuditRecord) -> Appended:
        body = record.body()
        key = idempotency_key(body)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with locked_beside(self.path, EXCLUSIVE):
                return self._append_locked(body, key)
        except OSError as exc:
            raise AuditError(
                f"cannot write the audit log {self.path}: {exc.strerror or exc}; {NOT_WRITTEN}"
            ) from None

    def _append_locked(self, body: Mapping[str, Any], key: tuple[str, ...] | None) -> Appended:
        existed = self.path.exists()
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)
        try:
            with open(fd, "rb", closefd=False) as reader:
                content = reader.read()
            report = check_chain(str(self.path), content)
            if not report.ok:
                raise _broken(report, self.location)
            existing = _existing(report.records, key)
            if existing is not None:
                return Appended(existing, False, 1, self.location)
            record, data = _sealed(body, report)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                os.fsync(fd)
            except OSError:
                # Take back a partial line (disk full): the next writer must find a whole chain.
                with contextlib.suppress(OSError):
                    os.ftruncate(fd, len(content))
                raise
        finally:
            os.close(fd)
        if not existed:
            _fsync_dir(self.path.parent)  # the new file's name must survive a crash too
        return Appended(record, True, 1, self.location)

    def read(self) -> dict[str, list[str]]:
        try:
            if not self.path.exists():
                return {}
            with contextlib.ExitStack() as stack:
                # A shared lock keeps out a half-written line; a read-only directory has no writers.
                with contextlib.suppress(OSError):
                    stack.enter_context(locked_beside(self.path, SHARED))
                content = self.path.read_bytes()
        except OSError as exc:
            raise AuditError(f"cannot read the audit log {self.path}: {exc.strerror or exc}") from None
        return {str(self.path): _lines(content)}


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# -- the git branch ------------------------------------------------------------------------------------

# Names become argv elements, ref names and tree paths: no leading '-', no '@{', nothing a shell or
# git's revision syntax would read twice. check-ref-format then applies git's own rules.
_BRANCH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,199}$")
_REMOTE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,99}$")
_SERVICE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
_CHAIN_PATH = re.compile(r"^audit/[A-Za-z0-9][A-Za-z0-9_.-]{0,62}\.jsonl$")
# A file kept beside the chains (update_file): plain segments, never under audit/.
_SIDE_FILE = re.compile(
    r"^(?!audit/)[A-Za-z0-9][A-Za-z0-9_-]{0,62}(?:/[A-Za-z0-9][A-Za-z0-9_.-]{0,62}){0,3}$"
)
T = TypeVar("T")
# A push rejected because the branch moved since our fetch (client-side check) ...
_MOVED = ("non-fast-forward", "fetch first", "stale info")
# ... or because another push won the race inside the server (receive-pack's ref lock).
_RACE = re.compile(r"but expected|reference already exists|File exists|failed to lock|unable to lock", re.I)
_NOT_RACE = re.compile(r"permission denied|read-only|no space|quota", re.I)
_BACKOFF_BASE = 0.05
_BACKOFF_SLOT_CAP = 1.0
_BACKOFF_CAP = 4.0


def _message(record: AuditRecord, service: str) -> str:
    """`slo-gate: payments pass (PR #42)` / `slo-gate: payments settlement of ID`, then seq and hash."""

    def short(value: object) -> str:
        return "".join(c for c in str(value) if c.isprintable())[:100]

    if isinstance(record, SettlementRecord):
        subject = f"slo-gate: {service} settlement of {short(record.deploy_id)}"
    elif isinstance(record, DecisionRecord):
        subject = f"slo-gate: {service} {record.outcome}"
        if record.run.pr is not None:
            subject += f" (PR #{record.run.pr})"
    else:
        subject = f"slo-gate: {service} {short(record.kind or 'record')}"
    return f"{subject}\n\nseq {record.seq} {record.hash}\n"


class GitSink:
    """Records on a branch of the workspace's remote: `audit/<service>.jsonl`, one chain per service."""

    def __init__(
        self,
        branch: str,
        *,
        remote: str = "origin",
        cwd: Path | str | None = None,
        max_attempts: int = 9,  # the first push and up to 8 retries
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not _REMOTE.fullmatch(remote):
            raise AuditError(f"{remote!r} is not a git remote name")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.branch = branch
        self.remote = remote
        self.cwd = None if cwd is None else str(cwd)
        self.location = f"git branch {branch} on {remote}"
        self._max_attempts = max_attempts
        self._sleep = sleep
        self._rng = random.Random()
        self._urls: tuple[str, str] | None = None
        self._check_branch()

    def __repr__(self) -> str:
        return f"GitSink(branch={self.branch!r}, remote={self.remote!r}, cwd={self.cwd!r})"

    # -- running git

    def _git(self, *args: str, input: bytes | None = None, index: Path | None = None) -> git.GitResult:
        env = {
            "GIT_AUTHOR_NAME": AUTHOR_NAME,
            "GIT_AUTHOR_EMAIL": AUTHOR_EMAIL,
            "GIT_COMMITTER_NAME": AUTHOR_NAME,
            "GIT_COMMITTER_EMAIL": AUTHOR_EMAIL,
        }
        if index is not None:
            env["GIT_INDEX_FILE"] = str(index)
        try:
            # No auto gc/maintenance in the user's repository as a side effect of our fetches.
            return git.run(
                args, cwd=self.cwd, input=input, env=env, config=("gc.auto=0", "maintenance.auto=false")
            )
        except git.GitUnavailable as exc:
            raise AuditError(f"{exc}; {NOT_WRITTEN}") from None

    def _checked(self, *args: str, input: bytes | None = None, index: Path | None = None) -> bytes:
        done = self._git(*args, input=input, index=index)
        if done.returncode != 0:
            raise AuditError(f"git {args[0]} failed: {git_said(done.stderr)}; {NOT_WRITTEN}")
        return done.stdout

    def _check_branch(self) -> None:
        bad = AuditError(f"{self.branch!r} is not a valid git branch name for the audit log")
        if not _BRANCH.fullmatch(self.branch) or "@{" in self.branch:
            raise bad
        done = self._git("check-ref-format", "--branch", self.branch)
        if done.returncode != 0 or done.stdout.decode("utf-8", "replace").strip() != self.branch:
            raise bad

    def _remote_urls(self) -> tuple[str, str]:
        """Fetch and push URLs. We push to the URL, not the remote's name: pushing to a name also moves
        the user's refs/remotes/REMOTE/BRANCH (git's opportunistic tracking update)."""
        if self._urls is None:
            urls: list[str] = []
            for extra in ((), ("--push",)):
                done = self._git("remote", "get-url", *extra, self.remote)
                if done.returncode != 0:
                    raise AuditError(
                        f"cannot use git remote {self.remote!r}: {git_said(done.stderr)}; {NOT_WRITTEN}"
                    )
                urls.append(done.stdout.decode("utf-8", "surrogateescape").strip())
            self._urls = (urls[0], urls[1])
        return self._urls

    # -- reading the branch

    def _fetch(self, ref: str) -> bool:
        """Fetch the branch's tip into our private `ref`; False when the remote has no such branch."""
        url, _ = self._remote_urls()
        done = self._git(
            "fetch",
            "--quiet",
            "--no-tags",
            "--no-write-fetch-head",
            "--no-recurse-submodules",
            "--refmap=",  # no opportunistic update of the user's refs/remotes/*
            "--end-of-options",
            url,
            f"+refs/heads/{self.branch}:{ref}",
        )
        if done.returncode != 0:
            if b"couldn't find remote ref" in done.stderr:
                return False
            raise AuditError(
                f"cannot fetch branch {self.branch} from {self.remote}: {git_said(done.stderr)}; {NOT_WRITTEN}"
            )
        return True

    def _objects(self, names: Sequence[str]) -> list[tuple[str, bytes] | None]:
        """(object id, content) of each `names` entry (rev or rev:path) in one `cat-file --batch`;
        None for a missing one."""
        out = self._checked("cat-file", "--batch", input="".join(f"{n}\n" for n in names).encode())
        found: list[tuple[str, bytes] | None] = []
        pos = 0
        for _ in names:
            end = out.index(b"\n", pos)
            header = out[pos:end].split(b" ")
            pos = end + 1
            if len(header) != 3 or header[-1] == b"missing":
                found.append(None)
                continue
            size = int(header[2])
            found.append((header[0].decode(), out[pos : pos + size]))
            pos += size + 1
        return found

    @contextlib.contextmanager
    def _private_ref(self) -> Iterator[str]:
        # Our own namespace, unique per call (two appends may share a workspace), deleted afterwards.
        ref = f"refs/slo-gate/{uuid.uuid4().hex}"
        try:
            yield ref
        finally:
            self._git("update-ref", "-d", ref)

    def read(self) -> dict[str, list[str]]:
        with self._private_ref() as ref:
            if not self._fetch(ref):
                return {}
            listing = self._checked("ls-tree", "-z", "-r", "--full-tree", ref, "--", "audit")
            paths: list[str] = []
            for item in listing.split(b"\0"):
                meta, _, name = item.partition(b"\t")
                path = name.decode("utf-8", "replace")
                if meta.split(b" ")[1:2] == [b"blob"] and _CHAIN_PATH.fullmatch(path):
                    paths.append(path)
            found = self._objects([f"{ref}:{path}" for path in paths])
            return {path: _lines(item[1] if item else b"") for path, item in zip(paths, found, strict=True)}

    # -- appending

    def append(self, record: AuditRecord) -> Appended:
        service = record.service
        if not isinstance(service, str) or not _SERVICE.fullmatch(service):
            raise AuditError(f"service {service!r} cannot name an audit file; {NOT_WRITTEN}")
        path = f"audit/{service}.jsonl"
        where = f"{self.location}, {path}"
        body = record.body()
        key = idempotency_key(body)
        with tempfile.TemporaryDirectory(prefix="slo-gate-audit-") as tmp, self._private_ref() as ref:
            for attempt in range(1, self._max_attempts + 1):
                started = time.monotonic()
                tip, chain, previous = self._chain_at(ref if self._fetch(ref) else None, path)
                report = check_chain(path, chain)
                if report.ok and previous is not None:
                    report = _still_extends(report, chain, previous, tip)
                if not report.ok:
                    raise _broken(report, where)
                existing = _existing(report.records, key)
                if existing is not None:
                    return Appended(existing, False, attempt - 1, where)
                sealed, line = _sealed(body, report)
                message = _message(sealed, service)
                commit = self._commit(tip, path, chain + line, message, Path(tmp) / "index")
                pushed = self._push(commit, where, attempt)
                if pushed is not None:
                    # "up to date": another writer pushed this very commit (same record, same second)
                    return Appended(sealed, pushed, attempt, where)
                if attempt < self._max_attempts:
                    self._sleep(self._backoff(attempt, time.monotonic() - started))
        raise AuditError(
            f"could not append to {where} after {self._max_attempts} attempts: the branch kept moving "
            f"(other gate runs were appending at the same time); {NOT_WRITTEN}"
        )

    # -- one file beside the chains (compare-and-swap)

    def read_file(self, path: str) -> bytes | None:
        """The file at the branch's tip (None: no branch, or no such file)."""
        self._check_side_path(path)
        with self._private_ref() as ref:
            if not self._fetch(ref):
                return None
            found = self._objects([f"{ref}:{path}"])[0]
            return found[1] if found is not None else None

    def update_file(
        self, path: str, change: Callable[[bytes | None], tuple[bytes | None, T]], *, subject: str
    ) -> T:
        """Compare-and-swap one file on the branch: `change(current)` (None: no such file yet) returns
        the new content (None or unchanged: write nothing) and a result; the commit is pushed without
        force. When another writer moved the branch first, the file is read again and `change` called
        again on what that writer left (bounded, jittered retries, as for appends). Returns the result
        of the attempt that was written (or that wrote nothing). Raises AuditError naming the file."""
        self._check_side_path(path)
        where = f"{self.location}, {path}"
        try:
            return self._update_file(path, change, subject, where)
        except AuditError as exc:  # the shared plumbing speaks of records; this is not one
            raise AuditError(exc.message.replace(NOT_WRITTEN, f"{path} was NOT written")) from None

    def _update_file(
        self, path: str, change: Callable[[bytes | None], tuple[bytes | None, T]], subject: str, where: str
    ) -> T:
        with tempfile.TemporaryDirectory(prefix="slo-gate-file-") as tmp, self._private_ref() as ref:
            for attempt in range(1, self._max_attempts + 1):
                started = time.monotonic()
                tip: str | None = None
                current: bytes | None = None
                if self._fetch(ref):
                    head, blob = self._objects([f"{ref}^{{commit}}", f"{ref}:{path}"])
                    if head is None:
                        raise AuditError(f"the fetched tip of {self.branch} is not a commit; {NOT_WRITTEN}")
                    tip, current = head[0], blob[1] if blob is not None else None
                content, result = change(current)
                if content is None or content == current:
                    return result
                message = f"slo-gate: {''.join(c for c in subject if c.isprintable())[:100]}\n"
                commit = self._commit(tip, path, content, message, Path(tmp) / "index")
                if self._push(commit, where, attempt) is not None:
                    return result
                if attempt < self._max_attempts:
                    self._sleep(self._backoff(attempt, time.monotonic() - started))
        raise AuditError(
            f"could not write {where} after {self._max_attempts} attempts: the branch kept moving; "
            f"{NOT_WRITTEN}"
        )

    @staticmethod
    def _check_side_path(path: str) -> None:
        if not _SIDE_FILE.fullmatch(path) or ".." in path:
            raise AuditError(
                f"{path[:80]!r} cannot be kept on the audit branch (plain path, not under audit/)"
            )

    def _chain_at(self, ref: str | None, path: str) -> tuple[str | None, bytes, bytes | None]:
        """The tip's commit id, its chain, and the chain in the tip's first parent (None: no parent or
        no file there). All three from one `cat-file`: each git call widens the window for a race."""
        if ref is None:
            return None, b"", None
        tip, chain, previous = self._objects([f"{ref}^{{commit}}", f"{ref}:{path}", f"{ref}^:{path}"])
        if tip is None:
            raise AuditError(f"the fetched tip of {self.branch} is not a commit; {NOT_WRITTEN}")
        return tip[0], chain[1] if chain else b"", previous[1] if previous else None

    def _backoff(self, attempt: int, took: float) -> float:
        """Jittered exponential backoff in units of how long an attempt takes here (a loopback remote:
        ~0.1 s, GitHub: ~1-2 s), so the retries of N writers spread over N attempts' time."""
        slot = min(max(took, _BACKOFF_BASE), _BACKOFF_SLOT_CAP)
        return min(_BACKOFF_CAP, slot * (1 << (attempt - 1))) * self._rng.uniform(0.5, 1.5)

    def _commit(self, tip: str | None, path: str, content: bytes, message: str, index: Path) -> str:
        blob = self._checked("hash-object", "-w", "--no-filters", "--stdin", input=content).decode().strip()
        # A fresh temporary index per attempt: the user's index is never read or written.
        index.unlink(missing_ok=True)
        settings = ("-c", "core.splitIndex=false", "-c", "core.fsmonitor=false", "-c", "index.sparse=false")
        self._checked(*settings, "read-tree", *((tip,) if tip else ("--empty",)), index=index)
        self._checked(*settings, "update-index", "--add", "--cacheinfo", f"100644,{blob},{path}", index=index)
        tree = self._checked(*settings, "write-tree", index=index).decode().strip()
        parents = ("-p", tip) if tip else ()  # no tip yet: an orphan commit starts the branch
        commit = self._checked("commit-tree", "--no-gpg-sign", tree, *parents, input=message.encode())
        return commit.decode().strip()

    def _push(self, commit: str, where: str, attempt: int) -> bool | None:
        """True when pushed; False when the remote already had exactly this commit; None when the
        branch moved (retry); AuditError for any other refusal."""
        _, url = self._remote_urls()
        done = self._git(
            "push",
            "--porcelain",
            "--quiet",
            "--no-recurse-submodules",
            "--no-follow-tags",
            "--no-signed",
            "--end-of-options",
            url,
            f"{commit}:refs/heads/{self.branch}",  # never '+': an append must never rewrite the branch
        )
        if done.returncode == 0:
            lines = done.stdout.decode("utf-8", "replace").splitlines()
            return not any(line.startswith("=\t") for line in lines)
        status = [ln for ln in done.stdout.decode("utf-8", "replace").splitlines() if ln.startswith("!")]
        said = done.stderr.decode("utf-8", "replace")
        reasons = " ".join(status)
        if status and (
            any(f"({reason})" in reasons for reason in _MOVED)
            or (
                "[remote rejected]" in reasons and _RACE.search(said + reasons) and not _NOT_RACE.search(said)
            )
        ):
            return None
        raise AuditError(
            f"git push to {where} was refused (attempt {attempt}); {NOT_WRITTEN}. "
            f"git said: {git_said(done.stdout, done.stderr)}"
        )


def _still_extends(report: ChainReport, chain: bytes, previous: bytes, tip: str | None) -> ChainReport:
    """A valid chain must also extend the one in the tip's parent: a commit that cut the tail (or
    rewrote records with fresh hashes) is caught here, with git's history as the checkpoint."""
    if chain.startswith(previous) or not check_chain(report.name, previous).ok:
        return report  # an extension, or a repair of a parent that was already broken
    before, now = _lines(previous), _lines(chain)
    first = next(
        (i for i, (a, b) in enumerate(zip(before, now, strict=False)) if a != b), min(len(before), len(now))
    )
    what = "removed" if now == before[: len(now)] else "rewrote"
    problem = f"commit {(tip or '')[:12]} {what} records from seq {first + 1} on (the log is append-only)"
    return ChainReport(report.name, report.count, report.head, first + 1, problem, report.records[:first])
