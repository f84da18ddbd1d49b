"""The core: spectra and their sums, tasks, the one self-consistent equation and its solvers.

Everything else stands on this layer. It holds the shared symbols (:mod:`.symbols`), the errors and the
input checks (:mod:`.errors`), the safe expression parser (:mod:`.expressions`) and the spectrum-string
parser (:mod:`.parsing`), the spectra with their exact sums (:mod:`.spectra`) and their fast interpolated
representation (:mod:`.fastsums`), teachers (:mod:`.tasks`), the self-consistent equation and its real and
complex solvers (:mod:`.resolvent`), numerical Laplace inversion (:mod:`.laplace`), the convention
converter (:mod:`.conventions`), and the result container every layer returns with its LaTeX printer
(:mod:`.result`, :mod:`.latex`).

Imports: the standard library, numpy, scipy, sympy and mpmath only. A core module never imports
``models``, ``theory``, ``simulate``, ``data``, ``output`` or ``cli``, not even inside a function.
"""
