"""Build the one request the model gets, from the versioned template shipped in the package.

Everything taken from the change (title, body, labels, commit messages, condensed diff) goes into one
data block between `<untrusted-data-NONCE>` markers (gate.llm.untrusted); the nonce is random per
request, so text in the change cannot close the block and speak as the instructions. The inputs arrive
already stripped of invisible characters and redacted (gate.risk.material); here they are only capped
and placed.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from importlib import resources
from string import Template

from gate.llm.untrusted import cap, choose_nonce, defuse
from gate.risk.condense import Condensed, estimate_tokens
from gate.risk.verdict import Prompt

__all__ = [
    "PROMPT_VERSION",
    "PromptMaterial",
    "build_prompt",
    "context_block",
    "context_tokens",
    "template_text",
]

PROMPT_VERSION = "risk-v1"
TITLE_MAX = 300
BODY_MAX = 6000
LABEL_MAX = 100
LABELS_MAX = 50
COMMITS_MAX = 4000


@functools.cache
def template_text() -> str:
    return (resources.files("gate") / "data" / "prompts" / f"{PROMPT_VERSION}.txt").read_text("utf-8")


@functools.cache
def _sections() -> tuple[Template, Template, str]:
    text = template_text()
    _, _, rest = text.partition("=== system ===\n")
    system, _, user = rest.partition("=== user ===\n")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return Template(system.strip()), Template(user.strip()), digest


@dataclass(frozen=True)
class PromptMaterial:
    title: str
    body: str
    labels: tuple[str, ...]
    commits: tuple[str, ...]


def context_block(material: PromptMaterial) -> str:
    """The non-diff part of the data block (its size comes off the diff's token budget)."""
    labels = [cap(label, LABEL_MAX) for label in material.labels[:LABELS_MAX]]
    if len(material.labels) > LABELS_MAX:
        labels.append(f"[cut: {len(material.labels) - LABELS_MAX} more labels]")
    commits = "\n---\n".join(material.commits)
    parts = [
        "PULL REQUEST TITLE",
        cap(material.title, TITLE_MAX) or "(none)",
        "",
        "PULL REQUEST BODY",
        cap(material.body, BODY_MAX) or "(none)",
        "",
        "LABELS",
        ", ".join(labels) or "(none)",
        "",
        "COMMIT MESSAGES",
        cap(commits, COMMITS_MAX) or "(none)",
    ]
    return "\n".join(parts)


def context_tokens(material: PromptMaterial) -> int:
    return estimate_tokens(context_block(material))


def build_prompt(
    model: str, material: PromptMaterial, condensed: Condensed, *, nonce: str | None = None
) -> Prompt:
    system_template, user_template, template_digest = _sections()
    data = defuse(context_block(material) + "\n\n" + condensed.text)
    nonce = choose_nonce(data, nonce)
    key = hashlib.sha256(
        "\0".join((PROMPT_VERSION, template_digest, model, data)).encode("utf-8", "surrogatepass")
    ).hexdigest()
    return Prompt(
        version=PROMPT_VERSION,
        model=model,
        system=system_template.substitute(nonce=nonce),
        user=user_template.substitute(nonce=nonce, data=data),
        cache_key=key,
    )
