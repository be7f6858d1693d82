"""Deterministic demo organisation: real export files plus planted ground truth.

Use :func:`generate` with a :class:`DemoSpec`; see :mod:`demo.generate`.
"""

from demo.generate import DemoFiles
from demo.generate import DemoSpec
from demo.generate import generate

__all__ = ["DemoFiles", "DemoSpec", "generate"]
