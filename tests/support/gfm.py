"""GitHub's renderer in the tests: cmark-gfm with GitHub's extensions, and what it produced.

``render(markdown)`` gives the HTML as a small tree of :class:`Node`. Raw HTML is rendered
unsafe (passed through) so that a tag smuggled in by data shows up as an element. GitHub acts on
the rendered *text* as well (mentions, issue and commit references, GH-12, autolinks):
``active_text`` finds those patterns in text that is not inside code.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

import cmarkgfm
from cmarkgfm.cmark import Options

VOID = {"br", "hr", "img", "input", "meta", "link", "source", "wbr", "area", "col", "embed"}

# What GitHub itself would act on in rendered text (outside <code> and <pre>).
ACTIVE_TEXT = {
    "mention": re.compile(r"(?<![A-Za-z0-9_`])@[A-Za-z0-9]"),
    "issue reference": re.compile(r"(?<![&A-Za-z0-9_])#[0-9]"),
    "GH reference": re.compile(r"(?i)(?<![A-Za-z0-9])gh-[0-9]"),
    "commit SHA": re.compile(r"(?<![A-Za-z0-9_])[0-9a-fA-F]{7,40}(?![A-Za-z0-9_])"),
    "URL": re.compile(r"(?i)[a-z][a-z0-9+.-]*://"),
    "www autolink": re.compile(r"(?i)(?<![A-Za-z0-9])www\."),
    "emoji code": re.compile(r":[a-z0-9_+-]+:"),
}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str | None] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    def elements(self) -> Iterator[Node]:
        """This node and every element below it, document order."""
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.elements()

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def texts_outside(self, skip: frozenset[str] = frozenset({"code", "pre"})) -> Iterator[str]:
        for child in self.children:
            if isinstance(child, str):
                yield child
            elif child.tag not in skip:
                yield from child.texts_outside(skip)

    def find_all(self, tag: str) -> list[Node]:
        return [node for node in self.elements() if node.tag == tag]


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("root")
        self.stack = [self.root]
        self.comments: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, dict(attrs))
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        for depth in range(len(self.stack) - 1, 0, -1):
            if self.stack[depth].tag == tag:
                del self.stack[depth:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)


def render(markdown: str) -> Node:
    """GitHub-flavoured Markdown as GitHub's renderer builds it, raw HTML passed through."""
    html = cmarkgfm.github_flavored_markdown_to_html(markdown, options=Options.CMARK_OPT_UNSAFE)
    builder = _Builder()
    builder.feed(html)
    builder.close()
    return builder.root


def active_text(root: Node) -> list[tuple[str, str]]:
    """(kind, text) of every pattern GitHub would act on in text outside code."""
    found = []
    for text in root.texts_outside():
        for kind, pattern in ACTIVE_TEXT.items():
            found.extend((kind, text) for _ in pattern.finditer(text))
    return found
