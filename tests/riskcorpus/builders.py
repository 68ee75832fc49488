"""Well-formed unified diffs from short texts: new, edited, deleted and renamed files.

`edit` takes one hunk written with a marker in the first column of each line (`|` context,
`-` removed, `+` added), so a case can be indented like code and keep its own indentation.
"""

from __future__ import annotations

from textwrap import dedent


def _block(text: str) -> list[str]:
    text = dedent(text).strip("\n")
    return text.split("\n") if text else []


def new(path: str, text: str) -> str:
    body = _block(text)
    out = [
        f"diff --git a/{path} b/{path}",
        "new file mode 100644",
        "index 0000000..1a2b3c4",
        "--- /dev/null",
        f"+++ b/{path}",
        f"@@ -0,0 +1,{len(body)} @@",
        *("+" + line for line in body),
    ]
    return "\n".join(out) + "\n"


def deleted(path: str, text: str) -> str:
    body = _block(text)
    out = [
        f"diff --git a/{path} b/{path}",
        "deleted file mode 100644",
        "index 1a2b3c4..0000000",
        f"--- a/{path}",
        "+++ /dev/null",
        f"@@ -1,{len(body)} +0,0 @@",
        *("-" + line for line in body),
    ]
    return "\n".join(out) + "\n"


def edit(path: str, *hunks: str) -> str:
    """Hunks written as `|`/`-`/`+` lines (see the module docstring), in order down the file."""
    out = [f"diff --git a/{path} b/{path}", "index 1a2b3c4..5d6e7f8 100644", f"--- a/{path}", f"+++ b/{path}"]
    at = 12
    for hunk in hunks:
        body = []
        old = new_ = 0
        for line in _block(hunk):
            if not line:
                continue  # a blank line between pieces of a hunk (a blank context line is "|")
            marker, text = line[:1], line[2:] if line[1:2] == " " else line[1:]
            if marker == "|":
                body.append(" " + text)
                old, new_ = old + 1, new_ + 1
            elif marker == "-":
                body.append("-" + text)
                old += 1
            elif marker == "+":
                body.append("+" + text)
                new_ += 1
            else:
                raise ValueError(f"hunk line without a marker: {line!r}")
        out.append(f"@@ -{at},{old} +{at},{new_} @@")
        out += body
        at += old + 40
    return "\n".join(out) + "\n"


def renamed(old: str, path: str) -> str:
    return f"diff --git a/{old} b/{path}\nsimilarity index 100%\nrename from {old}\nrename to {path}\n"


def many(marker: str, template: str, count: int) -> str:
    """`count` hunk lines with `marker`, from a template with `{i}` in it."""
    return "\n".join(f"{marker} {template.format(i=i)}" for i in range(count))
