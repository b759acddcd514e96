"""Records where this repository is, so the installed package finds XLLR, the plugins and
the `metaffi` command (built by the repository's `npm install`). METAFFI_HOME overrides it."""
import os

from setuptools import setup

HERE = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(HERE, "metaffi", "_home.py"), "w", encoding="utf-8") as f:
    f.write('"""Written by setup.py: the metaffi repository this package was installed from."""\n')
    f.write(f"HOME = {os.path.dirname(os.path.dirname(HERE))!r}\n")

setup()
