"""Pure renderers: report data in, Markdown or JSON-ready dicts out."""
