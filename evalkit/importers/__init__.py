"""Importers: other tools' index definitions converted into evalkit projects.

- :mod:`evalkit.importers.coinr`: COINr's ``iData`` / ``iMeta`` tables
  (``evalkit import coinr IDATA IMETA DIR``).
"""
