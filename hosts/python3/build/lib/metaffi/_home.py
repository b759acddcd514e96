"""Written by setup.py: the metaffi repository this package was installed from."""
HOME = '/work/main'
