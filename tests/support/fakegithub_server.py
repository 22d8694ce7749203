"""The fake GitHub as a process of its own, for black-box tests: ``python -m fakegithub_server``.

Reads the token it accepts from ``$FAKE_GITHUB_TOKEN``, prints its URL on one line, and serves
until its standard input closes.
"""

from __future__ import annotations

import os
import sys

from fakegithub import FakeGitHub


def main() -> None:
    fake = FakeGitHub(token=os.environ["FAKE_GITHUB_TOKEN"]).start()
    print(fake.url, flush=True)
    try:
        sys.stdin.read()  # until the test closes the pipe (or dies)
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
