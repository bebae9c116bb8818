"""The rush's part of docs/benchmarks.md: the text between its two markers, and only that. Pure.

Other tools write other parts of the same file (the waiting room at depth, say): everything
outside the markers is theirs and is left exactly as it is.
"""

from __future__ import annotations

__all__ = ["END", "START", "TITLE", "splice"]

START = "<!-- rush:start -->"
END = "<!-- rush:end -->"
TITLE = "# Benchmarks"
# The page as scripts/bench wrote it before the markers: a title, this first sentence, and
# sections with these headings. Found without markers, it is replaced by the marked part.
_LEGACY_INTRO = "Written by `scripts/bench`"
_LEGACY_HEADINGS = (
    "## PostgreSQL + Redis, 1 worker",
    "## PostgreSQL + Redis, 2 workers",
    "## Embedded default:",
    "## Issue 6's targets",
)


def _block(part: str) -> str:
    return f"{START}\n{part.strip()}\n{END}"


def _legacy_span(document: str) -> tuple[int, int] | None:
    """Where the unmarked page of an earlier scripts/bench is, if the document starts with it.

    It runs from the first line after the title to the first line that is not its own: another
    tool's marker, or a heading it never wrote.
    """
    lines = document.splitlines(keepends=True)
    if not lines or lines[0].strip() != TITLE:
        return None
    if not any(line.startswith(_LEGACY_INTRO) for line in lines[1:4]):
        return None
    start = len(lines[0])
    offset, end = start, len(document)
    for line in lines[1:]:
        foreign_heading = line.startswith("#") and not line.startswith(_LEGACY_HEADINGS)
        if line.startswith("<!--") or foreign_heading:
            end = offset
            break
        offset += len(line)
    return start, end


def _append(document: str, block: str) -> str:
    if not document.strip():
        return f"{TITLE}\n\n{block}\n"
    return document.rstrip("\n") + "\n\n" + block + "\n"


def splice(document: str | None, part: str) -> str:
    """`document` with the rush's part (between the markers) replaced by `part`.

    No document: a new one with the title and the part. No markers: the page an earlier
    scripts/bench wrote is replaced if the document starts with it; otherwise the part is
    appended at the end. A lone, doubled or misplaced marker is an error: a damaged file is
    never half overwritten.
    """
    block = _block(part)
    if document is None:
        return f"{TITLE}\n\n{block}\n"
    start, end = document.find(START), document.find(END)
    if start == -1 and end == -1:
        legacy = _legacy_span(document)
        if legacy is None:
            return _append(document, block)
        first, last = legacy
        rest = document[last:]
        return document[:first] + "\n" + block + ("\n\n" + rest if rest.strip() else "\n")
    if start == -1 or end == -1 or end < start:
        raise ValueError("docs: the rush markers are incomplete or out of order")
    if document.count(START) != 1 or document.count(END) != 1:
        raise ValueError("docs: the rush markers appear more than once")
    return document[:start] + block + document[end + len(END) :]
