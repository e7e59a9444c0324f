"""Shared worked example for the DEA tests."""

import numpy as np

# Cooper, Seiford & Tone (2007) Data Envelopment Analysis, 2nd ed., Table 1.5 "Hospital
# case" (12 hospitals A–L; inputs doctors, nurses; outputs outpatients, inpatients) and its
# CCR (input-oriented) efficiencies as published to 3 dp in the book's treatment of this
# example in ch. 3 (A, B, D efficient).
HOSPITAL_X = np.array(
    [[20, 19, 25, 27, 22, 55, 33, 31, 30, 50, 53, 38],
     [151, 131, 160, 168, 158, 255, 235, 206, 244, 268, 306, 284]], dtype=float).T
HOSPITAL_Y = np.array(
    [[100, 150, 160, 180, 94, 230, 220, 152, 190, 250, 260, 250],
     [90, 50, 55, 72, 66, 90, 88, 80, 100, 100, 147, 120]], dtype=float).T
HOSPITAL_CCR = [1, 1, 0.883, 1, 0.763, 0.835, 0.902, 0.796, 0.960, 0.871, 0.955, 0.958]
