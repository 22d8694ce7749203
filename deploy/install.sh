#!/bin/sh
# Install ops-schedule from a source tree into a fresh virtual environment.
# The one recipe shared by the Dockerfile and `make check-deploy`, so the check
# exercises exactly what the image does.
#
#   deploy/install.sh TARGET_VENV [SOURCE_DIR] [PYTHON]
set -eu
target=$1
source_dir=${2:-.}
python=${3:-python3}

"$python" -m venv "$target"
"$target/bin/python" -m pip install --no-cache-dir --disable-pip-version-check --quiet "$source_dir"
"$target/bin/ops-schedule" --version
