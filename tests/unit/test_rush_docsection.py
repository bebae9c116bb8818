"""The rush rewrites only its part of docs/benchmarks.md, between its markers."""

from __future__ import annotations

import pytest

from boxoffice_rush.docsection import END, START, splice

OTHER = (
    "<!-- queue-depth:start -->\n"
    "## Waiting room at depth (issue 4)\n"
    "\n"
    "| depth | p99 |\n"
    "| --- | --- |\n"
    "| 1,000,000 | 3.1 |\n"
    "<!-- queue-depth:end -->\n"
)


def test_a_missing_file_is_created_with_the_title_and_the_marked_part() -> None:
    assert splice(None, "## Ticket rush\n\nfigures\n") == (
        f"# Benchmarks\n\n{START}\n## Ticket rush\n\nfigures\n{END}\n"
    )


def test_only_the_text_between_the_markers_changes() -> None:
    before = f"# Benchmarks\n\nIntro by hand.\n\n{START}\nold figures\n{END}\n\n{OTHER}"
    after = splice(before, "new figures")
    assert after == f"# Benchmarks\n\nIntro by hand.\n\n{START}\nnew figures\n{END}\n\n{OTHER}"


def test_the_rest_of_the_file_is_kept_byte_for_byte_whatever_it_holds() -> None:
    head = "# Benchmarks\r\n\n\n  odd spacing  \n"
    tail = f"\n{OTHER}\ntrailing text without a newline"
    after = splice(f"{head}{START}\nold\n{END}{tail}", "new")
    assert after.startswith(head)
    assert after.endswith(tail)
    assert splice(after, "new") == after  # idempotent


def test_without_markers_the_part_is_appended_and_nothing_else_moves() -> None:
    before = "# Benchmarks\n\n" + OTHER
    after = splice(before, "figures")
    assert after == f"{before}\n{START}\nfigures\n{END}\n"
    assert splice("", "figures") == f"# Benchmarks\n\n{START}\nfigures\n{END}\n"


def test_the_unmarked_page_of_an_earlier_bench_is_replaced_and_the_other_section_kept() -> None:
    legacy = (
        "# Benchmarks\n"
        "\n"
        "Written by `scripts/bench` (do not edit by hand: rerun it).\n"
        "\n"
        "## PostgreSQL + Redis, 2 workers\n"
        "\n"
        "| figure | value |\n"
        "\n"
        "## Issue 6's targets (PostgreSQL + Redis, 2 workers)\n"
        "\n"
        "| target | wanted | measured |\n"
        "\n"
    )
    after = splice(legacy + OTHER, "figures")
    assert after == f"# Benchmarks\n\n{START}\nfigures\n{END}\n\n{OTHER}"
    assert splice(legacy, "figures") == f"# Benchmarks\n\n{START}\nfigures\n{END}\n"


def test_a_page_that_merely_starts_with_the_title_is_not_taken_for_the_old_one() -> None:
    before = "# Benchmarks\n\nWritten by hand.\n\n## Mine\n"
    assert splice(before, "figures") == f"{before}\n{START}\nfigures\n{END}\n"


@pytest.mark.parametrize(
    "document",
    [
        f"text\n{START}\nno end\n",
        f"text\n{END}\nno start\n",
        f"{END}\nreversed\n{START}\n",
        f"{START}\na\n{END}\n{START}\nb\n{END}\n",
    ],
)
def test_damaged_markers_are_refused_rather_than_half_overwritten(document: str) -> None:
    with pytest.raises(ValueError, match="rush markers"):
        splice(document, "figures")
