"""Render the demo's reports as GitHub shows them and take screenshots (by hand, not CI).

Writes a fresh demo in each locale, renders the latest daily report, weekly report and digest
to HTML (GitHub-flavoured Markdown, GitHub's stylesheet, Mermaid drawing the charts), in a
column as wide as an issue comment, and has headless Chromium

* measure every table (wider than the column?) and header cell (wrapped?), and every chart's
  x-axis labels (do neighbours overlap?), printed as a summary and exit status 1 on a problem;
* take one screenshot per section, to look at.

Needs Debian's ``chromium`` (and fonts: fonts-noto-core, fonts-noto-cjk, fonts-noto-color-emoji)
and the npm packages of ``tools/report-screenshots/package.json``, installed once:

    apt-get install chromium fonts-noto-core fonts-noto-cjk fonts-noto-color-emoji
    npm install --prefix tools/report-screenshots
    .venv/bin/python tools/report_screenshots.py            # out: tools/report-screenshots/out/

Everything is local: the page loads Mermaid and the stylesheet from node_modules, and Chromium
starts without background networking.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parents[1]
ASSETS = ROOT / "tools" / "report-screenshots"
MODULES = ASSETS / "node_modules"
COLUMN_PX = 760  # the width of an issue comment's body on github.com
JOBS = ("daily_observability_report", "weekly_observability_report", "weekly_improvement_digest")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--virtual-time-budget=15000",
)

# Measures the page once Mermaid has drawn; the result goes into <pre id="metrics">.
MEASURE = """
function lines(node) {
  const range = document.createRange();
  range.selectNodeContents(node);
  const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0)
    .map((r) => Math.round(r.bottom)));
  return tops.size;
}
async function measure() {
  await mermaid.run({querySelector: 'pre.mermaid'});
  const column = document.querySelector('.markdown-body').clientWidth;
  const problems = [];
  document.querySelectorAll('table').forEach((table, n) => {
    if (table.scrollWidth > table.clientWidth || table.scrollWidth > column) {
      problems.push(`table ${n + 1} needs ${table.scrollWidth}px (column ${column}px)`);
    }
    table.querySelectorAll('th, td').forEach((cell) => {
      const numeric = /^[\\d,.\\s%×()—±+\\-↑↓→kM]+$/.test(cell.textContent);
      const direction = /^[↑↓→] /.test(cell.textContent);
      if ((cell.tagName === 'TH' || numeric || direction) && lines(cell) > 1) {
        problems.push(`table ${n + 1}: "${cell.textContent}" wraps onto ${lines(cell)} lines`);
      }
    });
  });
  document.querySelectorAll('pre.mermaid svg').forEach((svg, n) => {
    if (svg.getBoundingClientRect().width > column + 1) {
      problems.push(`chart ${n + 1} is wider than the column`);
    }
    const labels = [...svg.querySelectorAll('.bottom-axis .label text, .bottom-axis text')]
      .map((t) => t.getBoundingClientRect()).sort((a, b) => a.left - b.left);
    for (let i = 1; i < labels.length; i++) {
      if (labels[i].left < labels[i - 1].right - 0.5) {
        problems.push(`chart ${n + 1}: x-axis labels ${i} and ${i + 1} overlap`);
      }
    }
    if (!labels.length) problems.push(`chart ${n + 1}: no x-axis labels found`);
    const size = labels.length ? Math.min(...labels.map((r) => r.height)) : 0;
    if (labels.length && size < 10) {
      problems.push(`chart ${n + 1}: x-axis labels only ${size.toFixed(1)}px tall`);
    }
  });
  document.querySelectorAll('.error-icon, .error-text').forEach(() =>
    problems.push('Mermaid could not draw a chart'));
  // Where each section starts, so each can be shot at its own height.
  const starts = [...document.querySelectorAll('.markdown-body > h3')].map((h) => h.offsetTop);
  const out = document.getElementById('metrics');
  out.textContent = JSON.stringify({height: document.body.scrollHeight, starts, problems});
}
measure();
"""

PAGE = """<!doctype html>
<html><head><meta charset="utf-8">
<link rel="stylesheet" href="{css}">
<style>
  body {{ margin: 0; background: #fff; }}
  .markdown-body {{ box-sizing: content-box; width: {column}px; padding: 16px; font-size: 14px; }}
  #metrics {{ display: none; }}
</style>
<script src="{mermaid}"></script>
<script>mermaid.initialize({{startOnLoad: false, theme: 'default'}});</script>
</head><body><article class="markdown-body">{body}</article><pre id="metrics"></pre>
<script>{measure}</script></body></html>
"""


def to_html(markdown: str) -> str:
    """GitHub-flavoured Markdown to HTML; Mermaid fences become blocks Mermaid draws."""
    renderer = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    rendered = renderer.render(markdown)
    return re.sub(
        r'<pre><code class="language-mermaid">(.*?)</code></pre>',
        lambda m: f'<pre class="mermaid">{m.group(1)}</pre>',
        rendered,
        flags=re.DOTALL,
    )


def sections(markdown: str) -> list[str]:
    """The report cut before each ``###`` heading, one screenshot each."""
    parts = re.split(r"\n(?=### )", markdown)
    return [p for p in parts if p.strip()]


def page(body: str) -> str:
    return PAGE.format(
        css=(MODULES / "github-markdown-css" / "github-markdown-light.css").as_uri(),
        mermaid=(MODULES / "mermaid" / "dist" / "mermaid.min.js").as_uri(),
        column=COLUMN_PX,
        body=body,
        measure=MEASURE,
    )


def chromium(profile: Path, *args: str) -> str:
    command = [
        shutil.which("chromium") or "/usr/bin/chromium",
        *CHROMIUM_FLAGS,
        f"--user-data-dir={profile}",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if done.returncode != 0:
        raise SystemExit(f"chromium failed: {done.stderr.strip()[-500:]}")
    return done.stdout


def measure(html_path: Path, profile: Path) -> dict[str, Any]:
    dom = chromium(profile, "--window-size=900,2000", "--dump-dom", html_path.as_uri())
    found = re.search(r'<pre id="metrics">(.*?)</pre>', dom, flags=re.DOTALL)
    if not found or not found.group(1).strip():
        return {"height": 2000, "starts": [], "problems": ["the page did not finish measuring"]}
    metrics: dict[str, Any] = json.loads(html.unescape(found.group(1)))
    return metrics


def section_heights(metrics: dict[str, Any], count: int) -> list[int]:
    """The height of each section in the whole page (the first holds the title)."""
    starts = [0, *metrics["starts"]][:count]
    ends = [*starts[1:], metrics["height"]]
    return [end - start + 24 for start, end in zip(starts, ends, strict=True)]


def screenshot(html_path: Path, png: Path, height: int, profile: Path) -> None:
    width = COLUMN_PX + 32
    chromium(profile, f"--window-size={width},{height}", f"--screenshot={png}", html_path.as_uri())


def write_demo(directory: Path, locale: str) -> Path:
    ops = [sys.executable, "-m", "ops_schedule"]
    subprocess.run(
        [*ops, "demo", "--dir", str(directory), "--locale", locale],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    config = directory / "ops-schedule.json"
    subprocess.run(
        [*ops, "--config", str(config), "run", "--now"],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return directory / "reports"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ASSETS / "out")
    parser.add_argument("--locales", default="ja,en")
    args = parser.parse_args()
    if not all((MODULES / name).is_dir() for name in ("mermaid", "github-markdown-css")):
        raise SystemExit("run: npm install --prefix tools/report-screenshots")
    shutil.rmtree(args.out, ignore_errors=True)
    args.out.mkdir(parents=True)
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as scratch:
        profile = Path(scratch) / "profile"
        for locale in args.locales.split(","):
            reports = write_demo(args.out / f"demo-{locale}", locale)
            for job in JOBS:
                latest = max((reports / job).glob("*.md"))
                markdown = latest.read_text(encoding="utf-8")
                whole = args.out / f"{locale}-{job}.html"
                whole.write_text(page(to_html(markdown)), encoding="utf-8")
                metrics = measure(whole, profile)
                found = [f"{locale} {job}: {p}" for p in metrics["problems"]]
                problems.extend(found)
                print(f"{locale} {job} {latest.stem}: {len(found)} problem(s)")
                parts = sections(markdown)
                for number, (part, height) in enumerate(
                    zip(parts, section_heights(metrics, len(parts)), strict=True), start=1
                ):
                    part_html = args.out / f"{locale}-{job}-{number:02d}.html"
                    part_html.write_text(page(to_html(part)), encoding="utf-8")
                    screenshot(part_html, part_html.with_suffix(".png"), height, profile)
    for problem in problems:
        print(f"  - {problem}")
    print(f"screenshots in {args.out}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
