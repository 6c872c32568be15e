"""The bottom layer: settings, logging, text normalisation and string utilities.

It imports nothing else of the project, so ``index``, ``bot``, ``service`` and ``ui`` can all use it.
"""
