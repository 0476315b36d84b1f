#!/usr/bin/python3
"""PyTorch speed of one training step of *divblur's* network (the model contract:
parameterShapes in libs/divblurring/src/architecture.ts), for ratios.

A copy of bench/torch_train_step.py with only the decoder changed to the contract's:
per level, ConvTranspose 2x2 s2 *first*, then two 3x3 convs at the upsampled size (64 -> 64 at H/2,
32 -> 32 at H). The reference puts its first two decoder convs at H/4 instead, so it does about 40 % fewer
multiply-adds per step than divblur's network; this script times the same network as bench/train-speed.ts.

It is a timing mirror, not a third implementation of the model: its layers follow the model contract
(libs/divblurring/src/architecture.ts, parameterShapes; the tfjs model is model.ts), while its init, data and
loss stay the reference's, because only ms/step is read from it. Change it with the contract's layer list;
nothing but bench/train-speed.ts runs it.

Original docstring:
Reference speed of one DivBlurring training step in PyTorch (CPU), for ratios.

The same network as the report (DivNoising-style VAE, depth 2, filters 32 -> 64,
64 latent channels at H/4, ConvTranspose k2 s2 up), batch 32 of 64x64 patches,
loss = sum((conv2d(x_hat, psf, valid) - y_valid)^2) / (2 sigma^2) + KL, Adam.

Run it in the same benchmark run as the code you compare, so both see the same
machine load.  Needs Debian's python3-torch (apt-get install -y python3-torch);
never a test dependency.

Usage: /usr/bin/python3 torch_train_step.py [--threads 2] [--warmup 3] [--steps 20] [--psf 11]
Prints one JSON line: {"engine": "pytorch-same-network", "threads", "median_ms", "min_ms",
"samples_per_s", "steps"}.
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def conv3(cin, cout):
    return nn.Conv2d(cin, cout, 3, padding=1)


class VAE(nn.Module):
    def __init__(self):
        super().__init__()
        self.e1, self.e2, self.e3, self.e4 = conv3(1, 32), conv3(32, 32), conv3(32, 64), conv3(64, 64)
        self.mu, self.logvar = conv3(64, 64), conv3(64, 64)
        self.up1 = nn.ConvTranspose2d(64, 64, 2, stride=2)
        self.d1, self.d2 = conv3(64, 64), conv3(64, 64)
        self.up2 = nn.ConvTranspose2d(64, 32, 2, stride=2)
        self.d3, self.d4 = conv3(32, 32), conv3(32, 32)
        self.out = conv3(32, 1)

    def forward(self, y):
        h = F.max_pool2d(F.relu(self.e2(F.relu(self.e1(y)))), 2)
        h = F.max_pool2d(F.relu(self.e4(F.relu(self.e3(h)))), 2)
        mu, logvar = self.mu(h), self.logvar(h)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        d = F.relu(self.d2(F.relu(self.d1(self.up1(z)))))
        d = F.relu(self.d4(F.relu(self.d3(self.up2(d)))))
        return self.out(d), mu, logvar


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--warmup", type=int, default=3)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--patch", type=int, default=64)
    ap.add_argument("--psf", type=int, default=11)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    net = VAE()
    opt = torch.optim.Adam(net.parameters(), 1e-3)
    sigma = 0.05
    y = torch.rand(a.batch, 1, a.patch, a.patch)
    r = a.psf // 2
    y_valid = y[:, :, r:a.patch - r, r:a.patch - r]
    psf = torch.ones(1, 1, a.psf, a.psf) / a.psf ** 2
    times = []
    for i in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        x_hat, mu, logvar = net(y)
        data = ((F.conv2d(x_hat, psf) - y_valid) ** 2).sum() / (2 * sigma ** 2)
        kl = -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum()
        loss = data + kl
        opt.zero_grad()
        loss.backward()
        opt.step()
        if i >= a.warmup:
            times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    med = times[len(times) // 2]
    print(json.dumps({"engine": "pytorch-same-network", "torch": torch.__version__, "threads": a.threads,
                      "median_ms": round(med, 1), "min_ms": round(times[0], 1),
                      "samples_per_s": round(a.batch * 1000 / med, 1), "steps": a.steps}))


if __name__ == "__main__":
    main()
