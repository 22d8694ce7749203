"""Data in Markdown is inert: whatever a value holds, GitHub shows it as text, in its cell.

Rendered with cmark-gfm (GitHub's renderer, with its extensions) and checked for what GitHub
itself would add on the rendered text: mentions, issue and commit references, autolinks.
"""

from __future__ import annotations

import unicodedata

import pytest
from gfm import Node, active_text, render
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from ops_schedule.reports.markdown import ZWJ, code_span, mermaid_label, prose, table

# What the proxy's log and the incident file may carry, straight from the issue and beyond.
HOSTILE = (
    "@octocat",
    "@acme/ops-team please look",
    "see #123 and acme/other#9",
    "fixed in deadbeefcafe1234 and GH-12",
    "<img src=https://tracker.example/p.png>",
    "![x](https://tracker.example/p.png)",
    "[click](https://phish.example/login)",
    "<https://phish.example/autolink>",
    "https://phish.example/bare and www.phish.example",
    "mail ops@acme.example",
    "<b>bold</b> <details><summary>open me</summary>hidden</details>",
    "<script>alert(1)</script><!-- comment -->",
    "**loud** __loud__ *it* _it_ ~~gone~~",
    "# heading",
    "- item",
    "1. item",
    "> quote",
    "| a | b |",
    "a\n|---|---|\n| x | y |",
    "```",
    "`code` and ``more``",
    "````\nfence\n````",
    "line\n---\n",
    "    indented code",
    "[^1]: footnote",
    "- [ ] task",
    "&lt;b&gt; &amp; &#64;octocat",
    ":warning: :+1:",
    "\u202eevil\u202c text",
    "tail backslash \\",
    "\\| escaped pipe \\",
    "",
    "   ",
)
CONTROL_OR_BIDI = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
CELL_TAGS = {"root", "table", "thead", "tbody", "tr", "th", "td", "code"}


def shown(value: str) -> str:
    """What a reader must see: one line, controls and bidi marks as U+FFFD."""
    cleaned = "".join(
        "\ufffd"
        if c in CONTROL_OR_BIDI or (unicodedata.category(c) == "Cc" and not c.isspace())
        else c
        for c in value
    )
    return " ".join(cleaned.split())


def elements(node: Node) -> list[Node]:
    return [c for c in node.children if isinstance(c, Node)]


def assert_inert_cell(value: str) -> None:
    root = render(table(["MCP", "calls"], [(code_span(value), 7), ("other", 8)], "lr"))
    assert {node.tag for node in root.elements()} <= CELL_TAGS
    [grid] = root.find_all("table")
    rows = grid.find_all("tr")
    assert [len(elements(row)) for row in rows] == [2, 2, 2]
    cell = elements(rows[1])[0]
    assert elements(rows[1])[1].text() == "7"
    if shown(value):
        assert [c.tag for c in elements(cell)] == ["code"]
        assert [c for c in cell.children if isinstance(c, str) and c.strip()] == []
        assert cell.text() == shown(value)
    else:
        assert cell.children == []
    assert active_text(root) == []


def assert_inert_in_a_sentence(value: str) -> None:
    markdown = f"1. **Check the upstream of {code_span(value) or 'n/a'}: it is open** — why\n"
    root = render(markdown)
    assert {node.tag for node in root.elements()} <= {"root", "ol", "li", "strong", "code"}
    [item] = root.find_all("li")
    [strong] = elements(item)
    assert [c.tag for c in elements(strong)] == (["code"] if shown(value) else [])
    if shown(value):
        assert strong.find_all("code")[0].text() == shown(value)
    assert active_text(root) == []


def assert_inert_prose(value: str) -> None:
    root = render(f"- note: {prose(value)}\n- next\n")
    assert {node.tag for node in root.elements()} <= {"root", "ul", "li"}
    items = root.find_all("li")
    assert len(items) == 2
    assert elements(items[0]) == []
    # The joiners the neutraliser adds are invisible; compare without any, the data's own too.
    assert items[0].text().replace(ZWJ, "") == f"note: {shown(value)}".strip().replace(ZWJ, "")
    assert active_text(root) == []


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_value_is_only_text_in_its_table_cell(value):
    assert_inert_cell(value)


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_value_is_only_text_inside_a_sentence(value):
    assert_inert_in_a_sentence(value)


@pytest.mark.parametrize("value", HOSTILE)
def test_a_hostile_value_is_only_text_as_prose(value):
    assert_inert_prose(value)


PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
markdownish = st.text(
    alphabet=st.one_of(
        st.sampled_from(list("`*_~[]()<>!#@|\\-+=.:/&;'\" \n\t\r0123456789abcdefwhtpsGH日本")),
        st.characters(codec="utf-8"),
    ),
    max_size=60,
)


@PROPERTY
@given(markdownish)
@example("``")
@example("a\\|b")
@example("\x00@x")
def test_any_string_in_a_table_cell_renders_as_that_text_in_one_code_element(value):
    assert_inert_cell(value)


@PROPERTY
@given(markdownish)
def test_any_string_in_a_sentence_renders_as_that_text_in_one_code_element(value):
    assert_inert_in_a_sentence(value)


@PROPERTY
@given(markdownish)
@example("1. x")
@example("www.x.example")
@example("abcdef0123")
@example("\u200d")
@example("a\u200d@x")
def test_any_string_as_prose_renders_as_that_text_and_nothing_github_acts_on(value):
    assert_inert_prose(value)


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("plain", "`plain`"),
        ("a`b", "``a`b``"),
        ("`x`", "`` `x` ``"),
        ("a\nb", "`a b`"),
        ("", ""),
    ],
)
def test_a_code_span_fence_is_longer_than_any_backtick_run_inside(text, span):
    assert code_span(text) == span


def test_a_mermaid_label_cannot_end_its_string_or_the_chart():
    label = mermaid_label('09:00"]\n```\n<b>#quot;`x`')
    assert label == "09:00 b quot x"
    assert mermaid_label("1 時間ごと (Asia/Tokyo) 11-20") == "1 時間ごと (Asia/Tokyo) 11-20"
