"""Where the repository's own files are, for tests that read docs, schemas and deploy files."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
