"""The SPARQL tokenizer: strings, IRIs and comments are opaque; prologue, query form, FROM and WHERE are found."""

from __future__ import annotations

import pytest

from kubekg.sparql import lexer


@pytest.mark.parametrize(
    ("case", "text", "expected"),
    [
        ("select", "SELECT * { ?s ?p ?o }", "SELECT"),
        ("prologue first", "BASE <http://x/> PREFIX a: <http://a/> ask {}", "ASK"),
        ("construct", "PREFIX : <http://x/>\nCONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", "CONSTRUCT"),
        ("update", "PREFIX : <http://x/> INSERT DATA { :a :b :c }", "INSERT"),
        ("comment before", "# SELECT in a comment\nDESCRIBE <http://x>", "DESCRIBE"),
        ("garbage", "HELLO", None),
    ],
)
def test_first_keyword(case: str, text: str, expected: str | None) -> None:
    assert lexer.first_keyword(lexer.tokenize(text)) == expected


def test_strings_iris_and_comments_hide_keywords() -> None:
    text = 'SELECT * { ?s ?p "FROM <x> { }" . ?s ?q <http://a/FROM#x> } # FROM <y>\n'
    tokens = lexer.tokenize(text)
    assert [t.text for t in tokens if t.is_word("FROM")] == []
    assert lexer.dataset_clauses(tokens, lexer.prologue(tokens)) == ([], [])


def test_long_strings_with_quotes_inside() -> None:
    text = 'SELECT * { ?s ?p """a "quoted" ""x"" FROM""" }'
    assert not any(t.is_word("FROM") for t in lexer.tokenize(text))


def test_dataset_clauses_resolve_prefixes_and_base() -> None:
    text = "BASE <http://base/> PREFIX e: <http://e/> SELECT * FROM e:one FROM NAMED <two> FROM <http://abs/3> { }"
    tokens = lexer.tokenize(text)
    pro = lexer.prologue(tokens)
    assert lexer.dataset_clauses(tokens, pro) == (["http://e/one", "http://abs/3"], ["http://base/two"])


def test_unknown_prefix_in_from_is_unresolvable() -> None:
    tokens = lexer.tokenize("SELECT * FROM nope:g {}")
    assert lexer.dataset_clauses(tokens, lexer.prologue(tokens)) is None


def test_predeclared_prefixes_resolve() -> None:
    tokens = lexer.tokenize("SELECT * FROM kg:x {}")
    pro = lexer.prologue(tokens, prefixes={"kg": "https://kubekg.dev/ontology#"})
    assert lexer.dataset_clauses(tokens, pro) == (["https://kubekg.dev/ontology#x"], [])


@pytest.mark.parametrize(
    ("case", "text", "opening"),
    [
        ("select braces", "SELECT * { ?s ?p ?o }", "SELECT * {"),
        ("select where", "SELECT ?s WHERE { ?s ?p ?o }", "SELECT ?s WHERE {"),
        (
            "construct template skipped",
            "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }",
            "CONSTRUCT { ?s ?p ?o } WHERE {",
        ),
        ("ask", "PREFIX a: <http://a/> ASK { a:x ?p ?o }", "PREFIX a: <http://a/> ASK {"),
    ],
)
def test_where_group(case: str, text: str, opening: str) -> None:
    tokens = lexer.tokenize(text)
    at = lexer.where_group(tokens)
    assert at is not None
    assert text[: tokens[at].end] == opening


def test_pname_trailing_dot_is_a_separate_token() -> None:
    texts = [t.text for t in lexer.tokenize("SELECT * { ?s a kr:x. }")]
    assert texts[-3:] == ["kr:x", ".", "}"]


def test_codepoint_escapes_are_applied() -> None:
    assert lexer.unescape_codepoints(r"\u0053ERVICE \U0000003C") == "SERVICE <"
    assert lexer.unescape_codepoints(r"\uD800") == r"\uD800"  # a lone surrogate stays as written


def test_brace_depth() -> None:
    tokens = lexer.tokenize("SELECT * { { ?s ?p ?o } }")
    depths = [(t.text, t.depth) for t in tokens if t.text in "{}"]
    assert depths == [("{", 0), ("{", 1), ("}", 1), ("}", 0)]
