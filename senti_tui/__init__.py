"""The product surface of senti-tui: the typer CLI and the Textual apps (explore, train, watch).

Talks to ``core`` only through a few small interfaces and never touches tensors. The version is
git's (setuptools-scm), read in one place: ``core.provenance.package_version`` (``--version``).
"""
