"""Pixel-size fixtures for tiff-metadata.test.ts, written by tifffile as Fiji, OME tools and generic writers do.

Run: /usr/bin/python3 libs/imaging/scripts/make_metadata_fixtures.py (needs python3-numpy python3-tifffile).
Tests do not need Python: the files are committed.
"""
import numpy as np
import tifffile

out = 'libs/imaging/fixtures/io/'
stack = np.arange(3 * 8 * 8, dtype=np.uint16).reshape(3, 8, 8)
# Fiji's way: ImageJ hyperstack, XResolution in pixels per micron, z spacing in the description.
tifffile.imwrite(out + 'imagej-65nm-uint16.tif', stack, imagej=True, resolution=(1 / 0.065, 1 / 0.065), metadata={'unit': 'um', 'spacing': 0.2, 'axes': 'ZYX'})
# OME-TIFF: the physical size in the OME-XML of the first page.
tifffile.imwrite(out + 'ome-100nm-float32.ome.tif', stack[:2].astype(np.float32), ome=True, metadata={'axes': 'ZYX', 'PhysicalSizeX': 0.1, 'PhysicalSizeY': 0.1, 'PhysicalSizeXUnit': 'µm', 'PhysicalSizeZ': 0.5})
# A generic writer: resolution in pixels per centimetre (1 px = 250 nm).
tifffile.imwrite(out + 'resolution-cm-250nm.tif', stack[0], resolution=(4e4, 4e4), resolutionunit='CENTIMETER')
# 72 dpi, which is no pixel size.
tifffile.imwrite(out + 'resolution-72dpi.tif', stack[0], resolution=(72, 72), resolutionunit='INCH')
