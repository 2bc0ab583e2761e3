# Thin shim: all package metadata lives in pyproject.toml ([project] and [tool.nbdev]).
from setuptools import setup
setup()
