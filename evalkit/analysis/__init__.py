"""Analyses on scores: coordination, obstacles, disparity, convergence, efficiency.

Each module holds pure numpy/scipy functions on arrays (axis 0 = unit, axis 1 =
year, last axis = domain/indicator); nothing here reads files or prints.
"""
