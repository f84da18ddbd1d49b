"""Data: bundled real data sets and empirical spectra (covariance eigenvalues, power-law fits, predictions).

Imports: ``core``, ``models``, ``theory`` and ``simulate``. Never ``output`` or ``cli``.
"""
