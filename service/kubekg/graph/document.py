"""Parse the seed markdown into its sections and pipe tables, independently of the ontology, to measure coverage.

Sections are the ``##`` and ``####`` headings and the ``- `` bullet lines that act as sub-headings; tables are
pipe tables (header row, ``---|---`` separator, data rows). One data row of the Job table wraps onto the next
line, so a non-blank line without a pipe directly after a data row continues that row. Blog boilerplate (the
front matter, the "for Test" formula, the C code block and the ``<script>``) is skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from kubekg import paths

SEED_NAME = "seed/000_3d687f91bb2026cb.txt"

_HEADING = re.compile(r"^(#{2,6})\s+(.*)$")
_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_WS = re.compile(r"\s+")
_BOILERPLATE_BULLETS = {"for Test"}


def clean_heading(text: str) -> str:
    """Heading text without markdown emphasis, links or backticks."""
    text = _LINK.sub(r"\1", text)
    return text.replace("**", "").replace("`", "").strip()


def normalize_row(text: str) -> str:
    """Row text with whitespace runs collapsed (how coverage compares the document with ``kg:cells``)."""
    return _WS.sub(" ", text).strip()


@dataclass
class Row:
    """One data row: 1-based index in its table, the raw text (a wrapped row joined with a newline) and its line."""

    index: int
    text: str
    line: int

    @property
    def cells(self) -> list[str]:
        return [c.strip() for c in self.text.split("|")]


@dataclass
class Table:
    """A pipe table with the heading path of the section it sits in."""

    heading_path: str
    order: int  # 1-based position among the tables of that section
    header: str
    line: int
    rows: list[Row] = field(default_factory=list)


@dataclass
class Section:
    """A heading or sub-heading bullet with its level and Korean heading path."""

    title: str
    level: int
    heading_path: str
    line: int


@dataclass
class Document:
    """The parsed seed document."""

    sections: list[Section]
    tables: list[Table]

    @property
    def rows(self) -> list[tuple[Table, Row]]:
        return [(t, r) for t in self.tables for r in t.rows]


def seed_path() -> Path | None:
    """The seed document in ../shared, or None where the shared material is absent."""
    shared = paths.shared_dir()
    if shared is None:
        return None
    path = shared / SEED_NAME
    return path if path.is_file() else None


def parse_document(path: Path | str | None = None) -> Document:
    """Parse the seed markdown (default: ../shared/seed/...) into sections and tables."""
    if path is None:
        path = seed_path()
        if path is None:
            raise FileNotFoundError("the seed document is absent (../shared/seed not found)")
    return parse_markdown(Path(path).read_text(encoding="utf-8"))


def _strip_boilerplate(lines: list[str]) -> list[str | None]:
    """The lines with front matter, fenced code, scripts and the "for Test" formula replaced by None."""
    out: list[str | None] = list(lines)
    i = 0
    if lines and lines[0].strip() == "---":
        j = next((k for k in range(1, len(lines)) if lines[k].strip() == "---"), 0)
        for k in range(j + 1):
            out[k] = None
        i = j + 1
    fence: str | None = None
    in_script = False
    skip_formula = False
    while i < len(lines):
        s = lines[i].strip()
        if fence is not None:
            out[i] = None
            if s.startswith(fence):
                fence = None
        elif in_script:
            out[i] = None
            if "</script>" in s:
                in_script = False
        elif s.startswith(("```", "~~~")):
            fence = s[:3]
            out[i] = None
        elif s.startswith("<script"):
            in_script = "</script>" not in s
            out[i] = None
        elif s.startswith("{:") or s.startswith("1. this unordered seed list"):
            out[i] = None
        elif s.startswith("- ") and clean_heading(s[2:]) in _BOILERPLATE_BULLETS:
            out[i] = None
            skip_formula = True
        elif skip_formula and s.startswith("$"):
            out[i] = None  # the formula under "for Test"
            skip_formula = False
        elif skip_formula and not s:
            pass
        else:
            skip_formula = False
        i += 1
    return out


def parse_markdown(text: str) -> Document:
    """Sections and tables of a markdown text (see the module docstring for the rules)."""
    lines = text.splitlines()
    kept = _strip_boilerplate(lines)
    sections: list[Section] = []
    tables: list[Table] = []
    stack: list[tuple[int, str]] = []  # (level, title)
    per_section: dict[str, int] = {}

    def push(level: int, title: str, line: int) -> None:
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, title))
        sections.append(Section(title, level, " > ".join(t for _, t in stack), line))

    i = 0
    while i < len(kept):
        raw = kept[i]
        if raw is None:
            i += 1
            continue
        s = raw.strip()
        m = _HEADING.match(s)
        if m:
            level = 1 if len(m.group(1)) <= 2 else 2
            push(level, clean_heading(m.group(2)), i + 1)
            i += 1
            continue
        if "|" in s and i + 1 < len(kept) and kept[i + 1] is not None and _SEPARATOR.match(kept[i + 1] or ""):
            path = " > ".join(t for _, t in stack)
            per_section[path] = per_section.get(path, 0) + 1
            table = Table(path, per_section[path], s, i + 1)
            i += 2
            while i < len(kept) and kept[i] is not None and kept[i].strip():
                row_text = kept[i].strip()
                if "|" in row_text:
                    table.rows.append(Row(len(table.rows) + 1, row_text, i + 1))
                elif table.rows and not row_text.startswith(("- ", "#", "!", "[", "<")):
                    table.rows[-1].text += "\n" + row_text  # a wrapped row (the Job table)
                else:
                    break
                i += 1
            tables.append(table)
            continue
        if s.startswith("- "):
            indent = len(raw) - len(raw.lstrip(" "))
            push(3 if indent < 2 else 4, clean_heading(s[2:]), i + 1)
        i += 1
    return Document(sections, tables)
