"""Output: figures, the report, derivation discovery and the theory-vs-simulation check table.

Imports: every layer below (``core``, ``models``, ``theory``, ``simulate``, ``data``). Never ``cli``.
"""
