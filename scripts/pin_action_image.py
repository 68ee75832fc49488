"""Point action.yml at a published image by digest: rewrite `runs.image` and nothing else.

Usage: python3 scripts/pin_action_image.py docker://REGISTRY/PATH@sha256:DIGEST [--action action.yml]

The release workflow runs this after pushing the image, then commits the result on a detached release
commit that the version tag (and the major tag) point at, so `uses: OWNER/slo-gate@v1` pulls the image
instead of building the Dockerfile; `main` keeps `image: Dockerfile`.

Guarantees (each checked before the file is written; any refusal exits 2 and leaves the file as it was):

- The reference is exactly `docker://<registry>/<path>@sha256:<64 lowercase hex>`: a registry host
  (with a dot or a port, or `localhost`), lowercase repository path components, no tag, nothing around
  it. Anything else (a tag, a short or upper-case digest, whitespace, quotes, a comment, a newline) is
  refused, so the value can neither float nor inject YAML.
- Only the value of the one `image:` key directly under the top-level `runs:` mapping changes; every
  other byte of the file, comments and line endings included, stays as it was. The new value is
  written plain (it cannot need quoting: the reference pattern has no YAML-special characters).
- Standard library only: the release runner needs no package install to run it.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Final

__all__ = ["PinError", "check_reference", "main", "pin_image"]

# <registry>: a DNS name with a dot, or any name with a port, or localhost (Docker's rule for telling a
# registry from a Docker Hub namespace). <path>: lowercase components joined by `.`, `_`, `__` or `-`.
_LABEL: Final = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST: Final = rf"(?:{_LABEL}(?:\.{_LABEL})+(?::[0-9]{{1,5}})?|{_LABEL}:[0-9]{{1,5}}|localhost)"
_COMPONENT: Final = r"[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*"
REFERENCE: Final = re.compile(
    rf"docker://(?P<name>{_HOST}/{_COMPONENT}(?:/{_COMPONENT})*)@sha256:(?P<digest>[0-9a-f]{{64}})",
    re.ASCII,
)
MAX_NAME: Final = 255  # Docker's limit on a repository name, registry included
MAX_ACTION_BYTES: Final = 1024 * 1024

# A top-level key line, a child key line, and the `image:` line with its value (plain or quoted) and an
# optional trailing comment.
_TOP_KEY: Final = re.compile(r"[A-Za-z_][\w-]*\s*:")
_CHILD_KEY: Final = re.compile(r"(?P<indent> +)[A-Za-z_\"'][^:#]*:(?:\s|$)")
_IMAGE: Final = re.compile(
    r"(?P<head> +image:[ \t]+)(?P<value>\"[^\"\\\r\n]*\"|'[^'\r\n]*'|[^\s#'\"][^\s#]*)"
    r"(?P<tail>[ \t]*(?:#[^\r\n]*)?)(?P<eol>\r?\n|)"
)


class PinError(Exception):
    """The reference or action.yml cannot be pinned safely; the message says why."""


def check_reference(reference: str) -> str:
    """The reference itself when it is `docker://<registry>/<path>@sha256:<64 hex>`, else PinError."""
    match = REFERENCE.fullmatch(reference)
    if match is None:
        shown = reference if len(reference) <= 120 and reference.isprintable() else repr(reference[:120])
        raise PinError(
            f"refusing image reference {shown}: expected "
            "docker://<registry>/<path>@sha256:<64 lowercase hex> (a registry host, a lowercase path, no tag)"
        )
    if len(match.group("name")) > MAX_NAME:
        raise PinError(f"refusing image reference: the name is longer than {MAX_NAME} characters")
    return reference


def _runs_block(lines: list[str]) -> tuple[int, int]:
    """The line range (start, end) of the top-level `runs:` mapping's body."""
    starts = [i for i, line in enumerate(lines) if re.fullmatch(r"runs:[ \t]*(?:#[^\r\n]*)?\r?\n?", line)]
    if len(starts) != 1:
        raise PinError(f"expected exactly one top-level `runs:` block mapping, found {len(starts)}")
    start = starts[0] + 1
    end = start
    while end < len(lines) and not _TOP_KEY.match(lines[end]):
        end += 1
    return start, end


def pin_image(text: str, reference: str) -> str:
    """`text` (an action.yml) with `runs.image` set to `reference`; every other byte unchanged."""
    check_reference(reference)
    lines = text.splitlines(keepends=True)
    start, end = _runs_block(lines)
    indents = [m.group("indent") for line in lines[start:end] if (m := _CHILD_KEY.match(line))]
    if not indents:
        raise PinError("the `runs:` block has no keys")
    child = indents[0]  # the indentation of the mapping's own keys; deeper lines belong to nested values
    found = [
        (i, m)
        for i in range(start, end)
        if (m := _IMAGE.fullmatch(lines[i])) is not None and m.group("head").startswith(child + "image:")
    ]
    if len(found) != 1:
        raise PinError(f"expected exactly one `image:` key directly under `runs:`, found {len(found)}")
    index, match = found[0]
    lines[index] = match.group("head") + reference + match.group("tail") + match.group("eol")
    return "".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Pin action.yml's runs.image to an image digest.")
    parser.add_argument("reference", help="docker://<registry>/<path>@sha256:<64 hex>")
    parser.add_argument("--action", type=Path, default=Path("action.yml"), help="the action metadata file")
    args = parser.parse_args(argv)
    path: Path = args.action
    try:
        data = path.read_bytes()
        if len(data) > MAX_ACTION_BYTES:
            raise PinError(f"{path} is larger than {MAX_ACTION_BYTES // 1024} KiB")
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise PinError(f"{path} is not UTF-8") from None
        pinned = pin_image(text, args.reference)
    except OSError as exc:
        print(f"pin_action_image: {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except PinError as exc:
        print(f"pin_action_image: {exc}", file=sys.stderr)
        return 2
    path.write_bytes(pinned.encode("utf-8"))
    print(f"{path}: runs.image is {args.reference}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
