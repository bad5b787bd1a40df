"""A readable line diff between two versions of a text (difflib), as rows a template
escapes like any other text: nothing from either version is ever emitted as markup."""

import difflib
from dataclasses import dataclass

CONTEXT_LINES = 3


@dataclass(frozen=True)
class DiffLine:
    kind: str  # same · added · removed · gap
    old_number: int | None
    new_number: int | None
    text: str

    @property
    def marker(self) -> str:
        return {"added": "+", "removed": "−", "gap": "…"}.get(self.kind, " ")


@dataclass(frozen=True)
class TextDiff:
    lines: tuple[DiffLine, ...]

    @property
    def added(self) -> int:
        return sum(1 for line in self.lines if line.kind == "added")

    @property
    def removed(self) -> int:
        return sum(1 for line in self.lines if line.kind == "removed")

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed)


def line_diff(old: str, new: str, context: int = CONTEXT_LINES) -> TextDiff:
    """The lines that differ between ``old`` and ``new`` with ``context`` lines around each
    change; a ``gap`` row stands for the unchanged lines left out between two changes."""
    before = (old or "").splitlines()
    after = (new or "").splitlines()
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    rows: list[DiffLine] = []
    for index, group in enumerate(matcher.get_grouped_opcodes(context)):
        if index:
            rows.append(DiffLine("gap", None, None, ""))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                rows += [
                    DiffLine("same", i + 1, j + 1, before[i])
                    for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
                ]
                continue
            if tag in ("replace", "delete"):
                rows += [DiffLine("removed", i + 1, None, before[i]) for i in range(i1, i2)]
            if tag in ("replace", "insert"):
                rows += [DiffLine("added", None, j + 1, after[j]) for j in range(j1, j2)]
    return TextDiff(tuple(rows))
