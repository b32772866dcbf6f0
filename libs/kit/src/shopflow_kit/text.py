"""Text a service can store: PostgreSQL's text and jsonb refuse U+0000, so input that
carries it is refused at the edge (a 422 the OpenAPI states), never found at the INSERT.

    name: Annotated[str, Field(max_length=200, pattern=ONE_LINE)]
    description: Annotated[str, Field(max_length=500, pattern=STORABLE)]
"""

from collections.abc import Sequence

STORABLE = r"^[^\x00]*$"
"""Any text but U+0000."""

ONE_LINE = r"^[^\x00-\x1f\x7f]*$"
"""A name or a title: no control character at all (no NUL, tab, line break or DEL)."""


def plain_table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """`rows` under `columns` as a plain-text table, columns aligned (what `make` lists print)."""
    lines = [columns, *rows]
    widths = [max(len(line[column]) for line in lines) for column in range(len(columns))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )
