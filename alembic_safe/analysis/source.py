"""SQL text to statement chunks: spans, comments and positions.

Comments and statement boundaries come from PostgreSQL's own lexer (``pglast.parser.scan``),
so comments inside string literals or dollar-quoted bodies are never mistaken for comments.
When the whole input parses (fast path), the parser's statement locations are the boundaries
and only text that can hold a comment is scanned; otherwise the whole input is scanned once
and split at top-level semicolons.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from pglast import parser

from alembic_safe.analysis.facts import Position

_COMMENTS = frozenset({"SQL_COMMENT", "C_COMMENT"})
_NEWLINE = re.compile("\n")
_SEMICOLON = "ASCII_59"
_BLANK_OR_SEMICOLON = " \t\n\r\f\v;"


@dataclass(frozen=True)
class Chunk:
    """One statement's text and where it is."""

    sql: str  # without the trailing semicolon, stripped
    start: int  # character offset of the first token
    position: Position
    comments: tuple[str, ...]


class Source:
    """The input text, its line starts, and the comments and tokens found by scanning it."""

    def __init__(self, sql: str) -> None:
        self.sql = sql
        self._line_starts = [0, *(m.end() for m in _NEWLINE.finditer(sql))]
        self.comments: list[tuple[int, int]] = []  # (start, end exclusive), in order

    def position(self, offset: int) -> Position:
        """1-based line and column of a character offset."""
        line = bisect_right(self._line_starts, offset)
        return Position(line=line, column=offset - self._line_starts[line - 1] + 1)

    def line_of(self, offset: int) -> int:
        return bisect_right(self._line_starts, offset)

    def spans_from_parser(self, bounds: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """(first token, past last token) of each statement the parser found at ``bounds``
        (its start and end character offsets).

        Only text that can hold a comment (it contains ``--`` or ``/*``) is scanned: the
        parser's boundaries are exact, and the text between statements is only whitespace,
        semicolons and comments.
        """
        spans = []
        previous = 0
        for start, stop in bounds:
            self._gap(previous, start)
            spans.append(self._tighten(start, stop))
            previous = stop
        self._gap(previous, len(self.sql))
        return spans

    def spans_from_scanner(self) -> list[tuple[int, int]]:
        """Statements split at top-level semicolons (for input the parser rejects).

        Semicolons inside a ``BEGIN ATOMIC ... END`` function body do not end the statement
        (``CASE ... END`` nests inside it), as in psql.
        """
        spans: list[tuple[int, int]] = []
        first: int | None = None
        last = 0
        atomic = 0  # nesting depth inside BEGIN ATOMIC bodies
        previous = ""
        for start, end, name in _tokens(self.sql):
            if name in _COMMENTS:
                self.comments.append((start, end))
                continue
            if (name == "ATOMIC" and previous == "BEGIN_P") or (atomic and name == "CASE"):
                atomic += 1
            elif atomic and name == "END_P":
                atomic -= 1
            previous = name
            if name == _SEMICOLON and not atomic:
                if first is not None:
                    spans.append((first, last))
                first = None
            elif name != _SEMICOLON or atomic:
                first = start if first is None else first
                last = end
        if first is not None:
            spans.append((first, last))
        return spans

    def _gap(self, start: int, stop: int) -> None:
        """Collect the comments between two statements."""
        text = self.sql[start:stop]
        if "--" in text or "/*" in text:
            self.comments.extend((start + a, start + b) for a, b, name in _tokens(text)
                                 if name in _COMMENTS)

    def _tighten(self, start: int, stop: int) -> tuple[int, int]:
        """Shrink a statement's span to its first and last token, collecting its comments."""
        text = self.sql[start:stop]
        if "--" not in text and "/*" not in text:
            stripped = text.rstrip(_BLANK_OR_SEMICOLON)
            lead = len(stripped) - len(stripped.lstrip())
            return start + lead, start + len(stripped)
        first = last = None
        for a, b, name in _tokens(text):
            if name in _COMMENTS:
                self.comments.append((start + a, start + b))
            elif name != _SEMICOLON:
                first = start + a if first is None else first
                last = start + b
        if first is None or last is None:
            return start, stop
        return first, last

    def chunks(self, spans: list[tuple[int, int]]) -> list[Chunk]:
        """Chunks for the spans, each with the comments that belong to it.

        A comment belongs to the statement it is inside, to the statement whose last line it
        trails (``...; -- note``), or else to the next statement.
        """
        owners: list[list[str]] = [[] for _ in spans]
        ends = [self.line_of(max(end - 1, start)) for start, end in spans]
        j = 0
        for c_start, c_end in self.comments:
            line = self.line_of(c_start)
            while j < len(spans) and spans[j][1] <= c_start and (
                ends[j] != line or (j + 1 < len(spans) and spans[j + 1][0] < c_start)
            ):
                j += 1
            if j < len(spans):
                owners[j].append(self._comment_text(c_start, c_end))
        return [
            Chunk(
                sql=self.sql[start:end],
                start=start,
                position=self.position(start),
                comments=tuple(owners[k]),
            )
            for k, (start, end) in enumerate(spans)
        ]

    def _comment_text(self, start: int, end: int) -> str:
        text = self.sql[start:end]
        if text.startswith("--"):
            return text[2:].strip()
        return text[2:-2].strip() if text.endswith("*/") else text[2:].strip()


def _tokens(sql: str) -> list[tuple[int, int, str]]:
    """(start, end exclusive, token name) of every token; text the lexer rejects from some
    point on (an unterminated quote or comment) becomes one final opaque token."""
    try:
        return [(t.start, t.end + 1, t.name) for t in parser.scan(sql)]
    except parser.ParseError as exc:
        bad = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
        bad = min(max(bad, 0), len(sql))
        head = _tokens(sql[:bad]) if 0 < bad < len(sql) else []
        return [*head, (bad, len(sql.rstrip()), "OPAQUE")] if sql[bad:].strip() else head
