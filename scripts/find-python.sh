#!/usr/bin/env bash
# Prints the path of a Python 3.12 or newer, or explains what to install and fails.
ok() { "$1" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; }
for candidate in "${PYTHON:-}" python3.14 python3.13 python3.12 python3; do
  [ -n "$candidate" ] || continue
  path=$(command -v "$candidate" 2>/dev/null) || continue
  if ok "$path"; then "$path" -c "import sys; print(sys.executable)"; exit 0; fi
done
# pyenv installs versions without always putting them on PATH.
for root in "${PYENV_ROOT:-$HOME/.pyenv}" /usr/local/pyenv; do
  for path in $(ls -d "$root"/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -Vr); do
    if ok "$path"; then "$path" -c "import sys; print(sys.executable)"; exit 0; fi
  done
done
cat >&2 <<'MSG'
Samdrift needs Python 3.12 or newer and none was found.
Install it, for example:
  Debian/Ubuntu:  sudo apt-get install python3.12 python3.12-venv
  macOS:          brew install python@3.12
  pyenv:          pyenv install 3.12
then run the make command again (or set PYTHON=/path/to/python3.12).
MSG
exit 1
