#!/usr/bin/python3
"""Reference fixtures for libs/imaging's maths tests, made with scikit-image 0.19 (Debian 12:
apt-get install -y python3-numpy python3-scipy python3-skimage). Tests read the JSON; they never
need Python. Run: /usr/bin/python3 libs/imaging/scripts/make-fixtures.py
Inputs are float32-representable so that both sides start from identical numbers; skimage then
computes in float64.
"""
import json
import pathlib

import numpy as np
import scipy
import skimage
from scipy.signal import convolve
from skimage.metrics import peak_signal_noise_ratio, structural_similarity
from skimage.restoration import richardson_lucy, wiener

OUT = pathlib.Path(__file__).resolve().parent.parent / "fixtures" / "skimage-48.json"
rng = np.random.default_rng(20261125)
size = 48


def f32(array):
    return np.asarray(array, dtype=np.float32).astype(np.float64)


# ground truth: two lines and a few dots, max 1, background 0
gt = np.zeros((size, size))
for t in np.linspace(0, 1, 400):
    gt[int(5 + 36 * t), int(8 + 30 * t * t)] = 1.0
    gt[int(40 - 30 * t), int(6 + 38 * t)] = 0.7
gt[rng.integers(4, 44, 6), rng.integers(4, 44, 6)] = 0.9
gt = f32(gt)

# asymmetric 7×7 PSF (anisotropic, off-centre Gaussian) so that a missing flip would show
yy, xx = np.mgrid[-3:4, -3:4]
psf = np.exp(-((yy - 0.4) ** 2) / (2 * 1.3 ** 2) - ((xx + 0.3) ** 2) / (2 * 0.9 ** 2))
psf = f32(psf / psf.sum())

noisy = f32(convolve(gt, psf, mode="same") + 0.05 * rng.standard_normal((size, size)))
offset = -noisy.min()
clipped = np.maximum(noisy, 0)

fixture = {
    "made_by": f"libs/imaging/scripts/make-fixtures.py, scikit-image {skimage.__version__}, "
               f"scipy {scipy.__version__}, numpy {np.__version__}",
    "height": size, "width": size, "psf_size": 7,
    "ground_truth": gt.ravel().tolist(),
    "psf": psf.ravel().tolist(),
    "noisy": noisy.ravel().tolist(),
    "rl_clip_10": richardson_lucy(clipped, psf, 10, clip=False).ravel().tolist(),
    "rl_clip_30": richardson_lucy(clipped, psf, 30, clip=False).ravel().tolist(),
    "rl_shift_30": (richardson_lucy(noisy + offset, psf, 30, clip=False) - offset).ravel().tolist(),
    "wiener_balances": [0.01, 0.3],
    "wiener": [wiener(noisy, psf, b, clip=False).ravel().tolist() for b in (0.01, 0.3)],
}
estimate = np.asarray(fixture["rl_clip_30"]).reshape(size, size)
data_range = gt.max() - gt.min()
fixture["ssim_rl_clip_30"] = structural_similarity(
    gt, estimate, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=data_range)
fixture["ssim_noisy"] = structural_similarity(
    gt, noisy, gaussian_weights=True, sigma=1.5, use_sample_covariance=False, data_range=data_range)
fixture["psnr_rl_clip_30"] = peak_signal_noise_ratio(gt, estimate, data_range=gt.max())


def compact(value, digits):
    if isinstance(value, float):
        return float(f"{value:.{digits}g}")
    if isinstance(value, list):
        return [compact(v, digits) for v in value]
    return value


# inputs: 9 significant digits read back into a Float32Array give the exact float32 value;
# outputs: 10 significant digits
for key in ("ground_truth", "psf", "noisy"):
    fixture[key] = compact(fixture[key], 9)
for key in ("rl_clip_10", "rl_clip_30", "rl_shift_30", "wiener"):
    fixture[key] = compact(fixture[key], 10)
OUT.write_text(json.dumps(fixture, separators=(",", ":")))
print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")
