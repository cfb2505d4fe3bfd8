#!/usr/bin/env python3
"""
A PyTorch (CPU) reference of this project's StyleGAN2 training step, for `npm run bench:train` only.
It is a benchmark script, never part of the product: nothing in the trainer, the worker or the
browser imports or runs it, and `npm install` does not install torch (requirements-reference.txt).

It implements the same networks and the same plain pretraining step (links off) as the TypeScript
code, so that its img/s can stand beside the tfjs rows like for like:

  shared/generator/{config,params,layers,network}.ts   mapping + synthesis (StyleGAN2 "skip" G)
  trainer/networks/discriminator.ts                    residual D with minibatch stddev
  trainer/loss/stylegan2.ts, trainer/training/trainer.ts
      Gmain  softplus(-D(aug(G(z)))) with style mixing (p 0.9); then w_avg tracking (beta 0.995)
      Dmain  softplus(D(aug(fake))) + softplus(-D(aug(real))), fakes from the updated G
      Dreg   R1 (gamma/2)*|grad_x D(aug(x))|^2 * interval on reals, every r1Interval steps,
             with the gradient taken w.r.t. the un-augmented reals
      Adam(beta 0, 0.99), eps 1e-8; lazy regularisation c = k/(k+1) on D's lr and beta2
      EMA of G with StyleGAN2's ramp-up
  trainer/augment/diffaugment.ts   DiffAugment color, translation (1/8, zero fill), cutout (1/2)

Layouts differ from tfjs (NCHW here, NHWC there; weights [out, in, kh, kw] here, [kh, kw, in, out]
there): `load_ts_params` converts, and `--check DIR` (written by torch-reference-check.ts) compares
this file's outputs with the TypeScript ones on the same parameters and inputs.

  python3 scripts/bench/torch_reference.py --config trainer/configs/sweep/faces64-pretrain-g1.json \
      --upsample-edges zero --batch 32 --steps 16
"""

from __future__ import annotations

import argparse
import copy
import json
import math
import os
import resource
import sys
import time

# libgomp's threads spin while they wait; on a CPU that other processes share (this project's
# 2-core machines usually run a training job beside a benchmark) that made a faces64 step at batch 8
# 6.5 s instead of 0.88 s with 2 threads. Passive waiting costs little on an idle machine. It must be
# set before torch loads OpenMP; an OMP_WAIT_POLICY already in the environment wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

SQRT2 = math.sqrt(2.0)
SQRT1_2 = math.sqrt(0.5)
LRELU_SLOPE = 0.2
# The [1, 3, 3, 1] upsampling filter (gain 2 per axis), taps at offsets -1..2 (layers.ts UP_TAPS).
UP_TAPS = (0.25, 0.75, 0.75, 0.25)


def lrelu(x: torch.Tensor) -> torch.Tensor:
    # StyleGAN2's gain sqrt(2) after each leaky ReLU is folded into the tensors before it, as in the
    # TypeScript (lrelu(sqrt2 * z) = sqrt2 * lrelu(z)).
    return F.leaky_relu(x, LRELU_SLOPE)


# ----------------------------------------------------------------------------------- config


def channels_at(base: int, cmax: int, res: int) -> int:
    return max(1, min(base // res, cmax))


def generator_config(raw: dict, upsample_edges: str | None = None) -> dict:
    g = {"mappingLrMul": 0.01, **raw}
    if upsample_edges is not None:
        g["upsampleEdges"] = upsample_edges
    edges = g.get("upsampleEdges", "replicate")
    if edges != "zero":
        sys.exit(
            f'torch_reference: generator upsampleEdges is "{edges}"; this reference implements "zero" only '
            '(add "upsampleEdges": "zero" to the config\'s generator, or pass --upsample-edges zero)'
        )
    return g


# ----------------------------------------------------------------------------------- generator


class EqualLinear(nn.Module):
    """Equalized-lr dense layer (layers.ts denseEq): y = x @ (W * gain*lrMul/sqrt(in)).T + b * gain*lrMul."""

    def __init__(self, in_features: int, out_features: int, lr_mul: float = 1.0, gain: float = 1.0, bias_init: float = 0.0):
        super().__init__()
        # Weights are stored N(0, 1/lrMul^2) (params.ts), so the effective weight is N(0, 1)/sqrt(in)*gain.
        self.weight = nn.Parameter(torch.randn(out_features, in_features) / lr_mul)
        self.bias = nn.Parameter(torch.full((out_features,), float(bias_init)))
        self.weight_gain = gain * lr_mul / math.sqrt(in_features)
        self.bias_gain = gain * lr_mul

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight * self.weight_gain, self.bias * self.bias_gain)


class MappingNetwork(nn.Module):
    def __init__(self, z_dim: int, w_dim: int, num_layers: int, lr_mul: float):
        super().__init__()
        self.num_layers = num_layers
        for i in range(num_layers):
            setattr(self, f"fc{i}", EqualLinear(z_dim if i == 0 else w_dim, w_dim, lr_mul=lr_mul, gain=SQRT2))
        self.register_buffer("w_avg", torch.zeros(w_dim))

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = z * torch.rsqrt(z.square().mean(dim=1, keepdim=True) + 1e-8)
        for i in range(self.num_layers):
            x = lrelu(getattr(self, f"fc{i}")(x))
        return x


def _up_taps_matrix() -> torch.Tensor:
    """A[t, k] = g[t + k - 2]: the upsampling filter's taps met by 3x3 tap k at 6x6 tap t, per axis."""
    a = torch.zeros(6, 3)
    for t in range(6):
        for k in range(3):
            if 0 <= t + k - 2 < 4:
                a[t, k] = UP_TAPS[t + k - 2]
    return a


UP_TAPS_MATRIX = _up_taps_matrix()


def up_conv_kernel(weight: torch.Tensor) -> torch.Tensor:
    """
    The 3x3 kernel [Cout, Cin, 3, 3] composed with the [1, 3, 3, 1] upsampling filter: the 6x6 kernel
    [Cin, Cout, 6, 6] of one stride-2 conv_transpose2d equal to "upsample with zero edges, then the
    3x3 conv over the upsampled image's whole support" (layers.ts upConvKernel):
    E[t] = sum_k K[k] * g[t + k - 2] per axis, t = 0..5.
    """
    a = UP_TAPS_MATRIX.to(weight)
    return torch.einsum("yk,xl,oikl->ioyx", a, a, weight)


class SynthesisLayer(nn.Module):
    """Modulated 3x3 conv, non-fused form: x*s -> (up) conv -> *d*gain, + noise, + bias, lrelu."""

    def __init__(self, w_dim: int, in_channels: int, out_channels: int, res: int, up: bool):
        super().__init__()
        self.up = up
        self.res = res
        self.affine = EqualLinear(w_dim, in_channels, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, 3, 3))
        self.bias = nn.Parameter(torch.zeros(out_channels))
        self.noise_strength = nn.Parameter(torch.zeros(1))
        self.weight_gain = 1.0 / math.sqrt(in_channels * 9)

    def forward(self, x: torch.Tensor, w: torch.Tensor, noise: torch.Tensor | None) -> torch.Tensor:
        styles = self.affine(w)  # [N, Cin]
        weight = self.weight * self.weight_gain
        x = x * styles[:, :, None, None]
        if self.up:
            x = F.conv_transpose2d(x, up_conv_kernel(weight), stride=2, padding=2)
        else:
            x = F.conv2d(x, weight, padding=1)
        d = torch.rsqrt(styles.square() @ weight.square().sum(dim=(2, 3)).t() + 1e-8) * SQRT2  # [N, Cout]
        x = x * d[:, :, None, None]
        if noise is None:
            noise = torch.randn(x.shape[0], 1, self.res, self.res, dtype=x.dtype, device=x.device)
        x = x + noise * (self.noise_strength * SQRT2)
        return lrelu(x + (self.bias * SQRT2)[None, :, None, None])


class ToRGB(nn.Module):
    """Modulated 1x1 conv without demodulation, + bias."""

    def __init__(self, w_dim: int, in_channels: int):
        super().__init__()
        self.affine = EqualLinear(w_dim, in_channels, bias_init=1.0)
        self.weight = nn.Parameter(torch.randn(3, in_channels, 1, 1))
        self.bias = nn.Parameter(torch.zeros(3))
        self.weight_gain = 1.0 / math.sqrt(in_channels)

    def forward(self, x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        styles = self.affine(w)
        return F.conv2d(x * styles[:, :, None, None], self.weight * self.weight_gain) + self.bias[None, :, None, None]


class SynthesisBlock(nn.Module):
    def __init__(self, w_dim: int, res: int, in_channels: int, out_channels: int):
        super().__init__()
        self.res = res
        if res == 4:
            self.const = nn.Parameter(torch.randn(out_channels, 4, 4))
        else:
            self.conv0 = SynthesisLayer(w_dim, in_channels, out_channels, res, up=True)
        self.conv1 = SynthesisLayer(w_dim, out_channels, out_channels, res, up=False)
        self.torgb = ToRGB(w_dim, out_channels)
        # W+ indices (config.ts convLayers / rgbLayers).
        if res == 4:
            self.w_conv0, self.w_conv1, self.w_rgb = None, 0, 1
        else:
            wi = 2 * int(math.log2(res)) - 5
            self.w_conv0, self.w_conv1, self.w_rgb = wi, wi + 1, wi + 2


class SynthesisNetwork(nn.Module):
    def __init__(self, g: dict):
        super().__init__()
        self.resolutions = [2**i for i in range(2, int(math.log2(g["resolution"])) + 1)]
        self.num_ws = 2 * int(math.log2(g["resolution"])) - 2
        self.num_layers = 2 * len(self.resolutions) - 1
        ch = lambda r: channels_at(g["channelBase"], g["channelMax"], r)  # noqa: E731
        for r in self.resolutions:
            setattr(self, f"b{r}", SynthesisBlock(g["wDim"], r, ch(r // 2) if r > 4 else ch(4), ch(r)))
        # Skip path: 2x upsampling of the image by the [1, 3, 3, 1] filter with zero edges, as one
        # depthwise transposed conv (layers.ts upsampleRgb).
        taps = torch.tensor(UP_TAPS)
        self.register_buffer("rgb_up", torch.outer(taps, taps).expand(3, 1, 4, 4).contiguous())

    def forward(self, ws: torch.Tensor, noise: list[torch.Tensor] | None = None) -> torch.Tensor:
        """ws: [N, num_ws, w_dim] (W+) or [N, w_dim]; noise: one [N, 1, r, r] map per conv layer, or None (random)."""
        if ws.dim() == 2:
            ws = ws[:, None, :].expand(-1, self.num_ws, -1)
        n = ws.shape[0]
        img = None
        li = 0
        x = None
        for r in self.resolutions:
            blk: SynthesisBlock = getattr(self, f"b{r}")
            if r == 4:
                x = blk.const[None].expand(n, -1, -1, -1)
            else:
                x = blk.conv0(x, ws[:, blk.w_conv0], None if noise is None else noise[li])
                li += 1
            x = blk.conv1(x, ws[:, blk.w_conv1], None if noise is None else noise[li])
            li += 1
            y = blk.torgb(x, ws[:, blk.w_rgb])
            img = y if img is None else F.conv_transpose2d(img, self.rgb_up, stride=2, padding=1, groups=3) + y
        return img


class Generator(nn.Module):
    def __init__(self, g: dict):
        super().__init__()
        self.cfg = g
        self.mapping = MappingNetwork(g["zDim"], g["wDim"], g["mappingLayers"], g["mappingLrMul"])
        self.synthesis = SynthesisNetwork(g)

    def mixed_ws(self, z: torch.Tensor, z_mix: torch.Tensor, cutoff: int) -> torch.Tensor:
        """W+ codes with style mixing: w(z) before `cutoff`, w(z_mix) from it on (cutoff = num_ws: none)."""
        nw = self.synthesis.num_ws
        w = self.mapping(z)[:, None, :].expand(-1, nw, -1)
        if cutoff >= nw:
            return w
        w2 = self.mapping(z_mix)[:, None, :].expand(-1, nw - cutoff, -1)
        return torch.cat([w[:, :cutoff], w2], dim=1)


# ----------------------------------------------------------------------------------- discriminator


def tf_same_pad(x: torch.Tensor, k: int, stride: int) -> torch.Tensor:
    """TensorFlow's "same" padding (extra row/column at the bottom/right), which tfjs uses."""
    h, w = x.shape[2], x.shape[3]

    def total(size: int) -> int:
        out = -(-size // stride)
        return max((out - 1) * stride + k - size, 0)

    th, tw = total(h), total(w)
    return F.pad(x, (tw // 2, tw - tw // 2, th // 2, th - th // 2))


class EqualConv2d(nn.Module):
    """Equalized-lr conv; `gain` scales the output (folded into the weight scale and the bias)."""

    def __init__(self, in_channels: int, out_channels: int, k: int, stride: int = 1, padding: str = "same", gain: float = 1.0, bias: bool = True):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(out_channels, in_channels, k, k))
        self.bias = nn.Parameter(torch.zeros(out_channels)) if bias else None
        self.k, self.stride, self.padding, self.gain = k, stride, padding, gain
        self.weight_gain = gain / math.sqrt(in_channels * k * k)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.padding == "same":
            x = tf_same_pad(x, self.k, self.stride)
        b = None if self.bias is None else self.bias * self.gain
        return F.conv2d(x, self.weight * self.weight_gain, b, stride=self.stride)


class DiscriminatorBlock(nn.Module):
    def __init__(self, cin: int, cout: int, top: bool):
        super().__init__()
        if top:
            self.fromrgb = EqualConv2d(3, cin, 1, gain=SQRT2)
        self.conv0 = EqualConv2d(cin, cin, 3, gain=SQRT2)
        # The residual sum is scaled by sqrt(1/2), folded into both branches' last layers.
        self.conv1 = EqualConv2d(cin, cout, 3, stride=2, gain=SQRT2 * SQRT1_2)
        self.skip = EqualConv2d(cin, cout, 2, stride=2, padding="valid", gain=SQRT1_2, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.skip(x) + lrelu(self.conv1(lrelu(self.conv0(x))))


class DiscriminatorEpilogue(nn.Module):
    def __init__(self, c4: int, mbstd_group: int):
        super().__init__()
        self.group = mbstd_group
        self.conv = EqualConv2d(c4 + 1, c4, 3, gain=SQRT2)
        self.fc = EqualLinear(16 * c4, c4, gain=SQRT2)
        self.out = EqualLinear(c4, 1)
        # Both start N(0, 1) (params.ts; EqualLinear's lr_mul is 1 here).

    def minibatch_std(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        g = min(self.group, n)
        if n % g != 0:
            raise ValueError(f"minibatch stddev: batch {n} is not divisible by group {g}")
        y = x.reshape(g, n // g, c, h, w)
        y = (y - y.mean(dim=0)).square().mean(dim=0).add(1e-8).sqrt()  # [n/g, c, h, w]
        y = y.mean(dim=(1, 2, 3))  # [n/g]
        # Sample i belongs to group column i mod (n/g) (StyleGAN2's layout).
        y = y.reshape(1, n // g, 1, 1, 1).expand(g, -1, 1, h, w).reshape(n, 1, h, w)
        return torch.cat([x, y], dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = lrelu(self.conv(self.minibatch_std(x)))
        return self.out(lrelu(self.fc(x.flatten(1))))


class Discriminator(nn.Module):
    def __init__(self, d: dict):
        super().__init__()
        if d.get("downsample", "stride") != "stride":
            raise SystemExit(f'torch_reference: discriminator.downsample "{d["downsample"]}" is not ported; only "stride" is')
        self.resolution = d["resolution"]
        ch = lambda r: channels_at(d["channelBase"], d["channelMax"], r)  # noqa: E731
        self.block_res = []
        r = self.resolution
        while r > 4:
            self.block_res.append(r)
            setattr(self, f"b{r}", DiscriminatorBlock(ch(r), ch(r // 2), top=r == self.resolution))
            r //= 2
        self.b4 = DiscriminatorEpilogue(ch(4), d.get("mbstdGroup", 4))

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        x = lrelu(getattr(self, f"b{self.resolution}").fromrgb(img))
        for r in self.block_res:
            x = getattr(self, f"b{r}")(x)
        return self.b4(x)


# ----------------------------------------------------------------------------------- augmentation


class DiffAugment:
    """
    DiffAugment's color, translation (zero fill) and cutout with fresh parameters per call, drawn per
    image with probability p each (diffaugment.ts drawAugmentParams / augment).
    """

    def __init__(self, cfg: dict):
        self.policy = cfg.get("policy", ["color", "translation", "cutout"])
        self.translation = cfg.get("translation", 0.125)
        self.cutout = cfg.get("cutout", 0.5)
        self.p = cfg.get("probability", 1.0)
        if cfg.get("target") is not None:
            print("torch_reference: ADA target ignored (fixed probability)", file=sys.stderr)

    def draw(self, n: int, res: int, dev: torch.device | None = None) -> dict[str, torch.Tensor]:
        """One batch's parameters; identity values where a transform is not applied."""
        on = lambda: torch.rand(n, device=dev) < self.p  # noqa: E731
        a = {
            "brightness": torch.zeros(n, device=dev),
            "saturation": torch.ones(n, device=dev),
            "contrast": torch.ones(n, device=dev),
            "dy": torch.zeros(n, dtype=torch.long, device=dev),
            "dx": torch.zeros(n, dtype=torch.long, device=dev),
        }
        if "color" in self.policy:
            a["brightness"] = torch.where(on(), torch.rand(n, device=dev) - 0.5, 0.0)
            a["saturation"] = torch.where(on(), torch.rand(n, device=dev) * 2, 1.0)
            a["contrast"] = torch.where(on(), torch.rand(n, device=dev) + 0.5, 1.0)
        m = int(math.floor(res * self.translation + 0.5))
        if "translation" in self.policy and m > 0:
            t = on()
            a["dy"] = torch.where(t, torch.randint(-m, m + 1, (n,), device=dev), 0)
            a["dx"] = torch.where(t, torch.randint(-m, m + 1, (n,), device=dev), 0)
        side = int(math.floor(res * self.cutout + 0.5))
        if "cutout" in self.policy and side > 0:
            # The square's centre is uniform over the image (it may hang over an edge).
            span = res + (1 - side % 2)
            y0 = torch.randint(0, span, (n,), device=dev) - side // 2
            x0 = torch.randint(0, span, (n,), device=dev) - side // 2
            ar = torch.arange(res, device=dev)[None, :]
            in_y = (ar >= y0[:, None]) & (ar < (y0 + side)[:, None])  # [N, H]
            in_x = (ar >= x0[:, None]) & (ar < (x0 + side)[:, None])  # [N, W]
            cut = in_y[:, :, None] & in_x[:, None, :] & on()[:, None, None]
            a["cutout_mask"] = (~cut).float()[:, None]  # [N, 1, H, W]: 0 inside the square
        return a

    @staticmethod
    def apply(x: torch.Tensor, a: dict[str, torch.Tensor]) -> torch.Tensor:
        n, _, h, w = x.shape
        col = lambda v: v.view(n, 1, 1, 1).to(x.dtype)  # noqa: E731
        x = x + col(a["brightness"])
        mean = x.mean(dim=1, keepdim=True)
        x = (x - mean) * col(a["saturation"]) + mean
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        x = (x - mean) * col(a["contrast"]) + mean
        dy, dx = a["dy"], a["dx"]
        m = int(max(dy.abs().max().item(), dx.abs().max().item()))
        if m > 0:
            # out[r] = x[r - shift] (shift down/right), zero outside the image.
            pad = F.pad(x, (m, m, m, m))
            rows = torch.arange(h, device=x.device)[None, :] - dy[:, None] + m  # [N, H]
            cols = torch.arange(w, device=x.device)[None, :] - dx[:, None] + m  # [N, W]
            idx = torch.arange(n, device=x.device)[:, None, None]
            x = pad.permute(0, 2, 3, 1)[idx, rows[:, :, None], cols[:, None, :]].permute(0, 3, 1, 2)
        if "cutout_mask" in a:
            x = x * a["cutout_mask"].to(x.dtype)
        return x

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        if not self.policy:
            return x
        return self.apply(x, self.draw(x.shape[0], x.shape[2], x.device))


# ----------------------------------------------------------------------------------- training


class Trainer:
    """One plain StyleGAN2 pretraining step (links off, no path length), as trainer.ts runs it."""

    def __init__(self, cfg: dict, g: dict, batch: int):
        self.cfg = cfg
        self.batch = batch
        self.res = g["resolution"]
        d = {**cfg["discriminator"], "resolution": self.res}
        self.G = Generator(g)
        self.D = Discriminator(d)
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False)
        self.augment = DiffAugment(cfg.get("augment", {}))
        self.style_mixing = cfg.get("styleMixing", 0.9)
        self.r1_interval = cfg.get("r1Interval", 16)
        self.r1_gamma = cfg["r1Gamma"] if cfg.get("r1Gamma") is not None else 0.0002 * self.res**2 / batch
        self.ema_kimg = cfg.get("emaKimg", 10)
        self.ema_rampup = cfg.get("emaRampup", 0.05)
        lr = cfg.get("lr", 0.0025)
        if cfg.get("plWeight", 0) > 0:
            sys.exit("torch_reference: path-length regularisation (plWeight > 0) is not implemented")
        if cfg.get("links") == "on":
            print("torch_reference: links are on in this config; the reference runs the plain step (links off)", file=sys.stderr)
        # Lazy regularisation (StyleGAN2): lr * c and beta2 ** c for a phase every k steps, c = k/(k+1).
        c_d = self.r1_interval / (self.r1_interval + 1)
        self.opt_g = torch.optim.Adam([p for p in self.G.parameters()], lr=lr, betas=(0.0, 0.99), eps=1e-8)
        self.opt_d = torch.optim.Adam(self.D.parameters(), lr=lr * c_d, betas=(0.0, 0.99**c_d), eps=1e-8)
        self.step = 0

    def run_d(self, images: torch.Tensor) -> torch.Tensor:
        return self.D(self.augment(images))

    def train_step(self) -> None:
        n, res, nw = self.batch, self.res, self.G.synthesis.num_ws
        g = self.G.cfg
        reals = torch.randn(n, 3, res, res).tanh()
        z = torch.randn(n, g["zDim"])
        z_mix = torch.randn(n, g["zDim"])
        cutoff = 1 + int(torch.randint(0, nw - 1, ()).item())
        cutoff = cutoff if torch.rand(()).item() < self.style_mixing else nw
        noise = [torch.randn(n, 1, blk_res, blk_res) for blk_res in self._noise_res()]

        # Gmain
        self.D.requires_grad_(False)
        fake = self.G.synthesis(self.G.mixed_ws(z, z_mix, cutoff), noise)
        loss_g = F.softplus(-self.run_d(fake)).mean()
        self.opt_g.zero_grad(set_to_none=True)
        loss_g.backward()
        self.opt_g.step()
        self.D.requires_grad_(True)
        with torch.no_grad():
            # w_avg from this batch's w (no mixing), with the updated mapping.
            w_avg = self.G.mapping.w_avg
            w_avg.copy_(torch.lerp(self.G.mapping(z).mean(dim=0), w_avg, 0.995))
            # Dmain's fakes: from the updated G, the same codes and noise.
            fake = self.G.synthesis(self.G.mixed_ws(z, z_mix, cutoff), noise)

        # Dmain
        loss_d = F.softplus(self.run_d(fake)).mean() + F.softplus(-self.run_d(reals)).mean()
        self.opt_d.zero_grad(set_to_none=True)
        loss_d.backward()
        self.opt_d.step()

        # Dreg: R1, gradient w.r.t. the un-augmented reals.
        if self.step % self.r1_interval == 0:
            x = reals.detach().requires_grad_(True)
            r1 = r1_penalty(self.D, x, self.augment)
            self.opt_d.zero_grad(set_to_none=True)
            (r1 * (self.r1_gamma / 2 * self.r1_interval)).backward()
            self.opt_d.step()  # out.bias has no gradient here and is skipped, as in the trainer

        # EMA with ramp-up of the half-life.
        nimg = (self.step + 1) * n
        ema_nimg = min(self.ema_kimg * 1000, nimg * self.ema_rampup if self.ema_rampup > 0 else math.inf)
        beta = 0.5 ** (n / max(ema_nimg, 1e-8))
        with torch.no_grad():
            for p_ema, p in zip(self.G_ema.parameters(), self.G.parameters()):
                p_ema.copy_(torch.lerp(p, p_ema, beta))
            for b_ema, b in zip(self.G_ema.buffers(), self.G.buffers()):
                b_ema.copy_(b)
        self.step += 1

    def _noise_res(self) -> list[int]:
        out = []
        for r in self.G.synthesis.resolutions:
            out += [r] if r == 4 else [r, r]
        return out


def r1_penalty(D: nn.Module, reals: torch.Tensor, augment=None) -> torch.Tensor:
    """E |grad_x D(aug(x))|^2 (before gamma/2 and the interval); `reals` must require grad."""
    logits = D(augment(reals) if augment is not None else reals)
    (grad,) = torch.autograd.grad(logits.sum(), reals, create_graph=True)
    return grad.square().sum(dim=(1, 2, 3)).mean()


# ----------------------------------------------------------------------------------- tfjs layouts


def _ts_to_torch(name: str, t: torch.Tensor) -> torch.Tensor:
    """A TypeScript parameter (NHWC-era layout) in this module's layout."""
    if name == "d.b4.fc.weight":  # [(h, w, c), out] -> [out, (c, h, w)]
        c4 = t.shape[1]
        return t.reshape(4, 4, c4, c4).permute(3, 2, 0, 1).reshape(c4, 16 * c4)
    if t.dim() == 4:  # [kh, kw, in, out] -> [out, in, kh, kw]
        return t.permute(3, 2, 0, 1)
    if t.dim() == 3:  # const [4, 4, C] -> [C, 4, 4]
        return t.permute(2, 0, 1)
    if t.dim() == 2:  # dense [in, out] -> [out, in]
        return t.t()
    return t


def _torch_to_ts(name: str, t: torch.Tensor) -> torch.Tensor:
    if name == "d.b4.fc.weight":
        c4 = t.shape[0]
        return t.reshape(c4, c4, 4, 4).permute(2, 3, 1, 0).reshape(16 * c4, c4)
    if t.dim() == 4:
        return t.permute(2, 3, 1, 0)
    if t.dim() == 3:
        return t.permute(1, 2, 0)
    if t.dim() == 2:
        return t.t()
    return t


def _module_name(ts_name: str) -> tuple[str, str]:
    """TypeScript parameter name -> (network, name in its state_dict)."""
    if ts_name.startswith("d."):
        return "D", ts_name[2:]
    if ts_name == "synthesis.b4.const":
        return "G", "synthesis.b4.const"
    return "G", ts_name


def load_ts_params(nets: dict[str, nn.Module], params: dict[str, torch.Tensor]) -> None:
    states = {k: dict(list(m.named_parameters()) + list(m.named_buffers())) for k, m in nets.items()}
    seen = {k: set() for k in nets}
    for name, value in params.items():
        net, key = _module_name(name)
        target = states[net].get(key)
        if target is None:
            raise KeyError(f"no PyTorch parameter for {name}")
        v = _ts_to_torch(name, value)
        if tuple(v.shape) != tuple(target.shape):
            raise ValueError(f"{name}: shape {tuple(v.shape)} after conversion, module has {tuple(target.shape)}")
        with torch.no_grad():
            target.copy_(v)
        seen[net].add(key)
    for net, state in states.items():
        missing = [k for k in state if k not in seen[net] and k != "synthesis.rgb_up"]
        if missing:
            raise KeyError(f"{net}: parameters not given by the TypeScript side: {missing}")


# ----------------------------------------------------------------------------------- --check


def read_check_dir(path: str) -> tuple[dict, dict[str, torch.Tensor]]:
    with open(os.path.join(path, "index.json"), encoding="utf8") as f:
        index = json.load(f)
    with open(os.path.join(path, "tensors.bin"), "rb") as f:
        blob = f.read()
    tensors = {}
    for e in index["tensors"]:
        n = math.prod(e["shape"])
        t = torch.frombuffer(bytearray(blob[e["offset"] : e["offset"] + 4 * n]), dtype=torch.float32)  # little-endian float32
        tensors[e["name"]] = t.reshape(e["shape"]) if e["shape"] else t.reshape(())
    return index, tensors


def nhwc(x: torch.Tensor) -> torch.Tensor:
    return x.permute(0, 2, 3, 1)


def nchw(x: torch.Tensor) -> torch.Tensor:
    return x.permute(0, 3, 1, 2).contiguous()


def run_check(path: str, tol: float, grad_rel_tol: float) -> int:
    index, t = read_check_dir(path)
    g = generator_config(index["generator"])
    d = index["discriminator"]
    G, D = Generator(g), Discriminator(d)
    load_ts_params({"G": G, "D": D}, {k[2:]: v for k, v in t.items() if k.startswith(("G/", "D/"))})
    noise = [nchw(t[f"in/noise/{i}"]) for i in range(G.synthesis.num_layers)]
    z, z_mix, reals, ws_plus = t["in/z"], t["in/zMix"], nchw(t["in/reals"]), t["in/wsPlus"]
    cutoff = index["mixCutoff"]

    ours: dict[str, torch.Tensor] = {}
    grads: dict[str, dict[str, torch.Tensor]] = {}
    with torch.no_grad():
        w = G.mapping(z)
        ours["w"] = w
        ours["images"] = nhwc(G.synthesis(w, noise))
        ours["imagesWPlus"] = nhwc(G.synthesis(ws_plus, noise))
        ours["dReals"] = D(reals)
    x = reals.clone().requires_grad_(True)
    ours["r1"] = r1_penalty(D, x).detach()
    # DiffAugment with the TypeScript side's drawn parameters (every transform applied).
    aug = {k: t[f"in/aug/{k}"] for k in ("brightness", "saturation", "contrast")}
    aug["dy"], aug["dx"] = t["in/aug/dy"].round().long(), t["in/aug/dx"].round().long()
    aug["cutout_mask"] = t["in/aug/cutoutMask"].reshape(reals.shape[0], 1, *reals.shape[2:])
    ours["augmentedReals"] = nhwc(DiffAugment.apply(reals, aug))

    def ts_grads(net: nn.Module, prefix: str, skip: tuple[str, ...] = ()) -> dict[str, torch.Tensor]:
        out = {}
        for k, p in net.named_parameters():
            ts_name = ("d." + k) if prefix == "D" else k
            if ts_name in skip:
                continue
            out[ts_name] = _torch_to_ts(ts_name, p.grad if p.grad is not None else torch.zeros_like(p))
        return out

    # Gmain's loss and its gradient w.r.t. G (through D, no augmentation).
    G.zero_grad(set_to_none=True)
    D.requires_grad_(False)
    loss_g = F.softplus(-D(G.synthesis(G.mixed_ws(z, z_mix, cutoff), noise))).mean()
    loss_g.backward()
    D.requires_grad_(True)
    ours["gLoss"] = loss_g.detach()
    grads["gradG"] = ts_grads(G, "G")
    # Dmain's loss on (reals, the images above) and its gradient w.r.t. D.
    D.zero_grad(set_to_none=True)
    fakes = nchw(ours["images"])
    loss_d = F.softplus(D(fakes)).mean() + F.softplus(-D(reals)).mean()
    loss_d.backward()
    ours["dLoss"] = loss_d.detach()
    grads["gradD"] = ts_grads(D, "D")
    # R1's gradient w.r.t. D (second order), without out.bias as in the trainer.
    D.zero_grad(set_to_none=True)
    x = reals.clone().requires_grad_(True)
    r1_penalty(D, x).backward()
    grads["gradR1"] = ts_grads(D, "D", skip=("d.b4.out.bias",))

    rows = []
    failed = False
    for key, v in ours.items():
        ref = t[f"out/{key}"]
        diff = (v.reshape(ref.shape) - ref).abs().max().item()
        bad = not diff <= tol
        failed |= bad
        rows.append((key, str(list(ref.shape)), f"{ref.abs().max().item():.4g}", f"{diff:.2e}", "", bad))
    for group, gs in grads.items():
        # Gradients: the largest absolute difference over the group's tensors (held to `tol` like
        # the rest), and the largest relative to each tensor's own largest gradient (held to
        # `grad_rel_tol`): scales differ by orders of magnitude between layers, and R1's bias
        # gradients are cancellations ~1e-3 of its weight gradients, where float32 alone (either
        # side against a float64 run) is off by ~2e-3 relative.
        worst_abs, worst_rel, worst_name, scale = 0.0, 0.0, "", 0.0
        missing = [k for k in gs if f"out/{group}/{k}" not in t]
        for name, v in gs.items():
            if name in missing:
                continue
            ref = t[f"out/{group}/{name}"]
            s = ref.abs().max().item()
            absd = (v.reshape(ref.shape) - ref).abs().max().item()
            rel = absd / max(s, 1e-30)
            worst_abs = absd if not absd <= worst_abs else worst_abs
            if not rel <= worst_rel:
                worst_rel, worst_name = rel, name
            scale = max(scale, s)
        if missing:
            print(f"{group}: no TypeScript gradient for {missing}", file=sys.stderr)
        bad = not (worst_abs <= tol and worst_rel <= grad_rel_tol) or bool(missing)
        failed |= bad
        rows.append((group, f"{len(gs)} tensors", f"{scale:.4g}", f"{worst_abs:.2e}", f"{worst_rel:.1e} ({worst_name})", bad))

    print(f"PyTorch {torch.__version__} vs TypeScript (tfjs cpu backend): max abs difference ≤ {tol:g}; gradients also ≤ {grad_rel_tol:g} relative per tensor\n")
    print("| quantity | shape | max abs (TS) | max abs diff | max rel diff per tensor (worst) | ok |")
    print("|---|---|---|---|---|---|")
    for key, shape, scale, diff, rel, bad in rows:
        print(f"| {key} | {shape} | {scale} | {diff} | {rel} | {'FAIL' if bad else 'ok'} |")
    print()
    print("FAILED: some differences exceed the tolerance" if failed else "all within tolerance")
    return 1 if failed else 0


# ----------------------------------------------------------------------------------- main


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", help="training config JSON (trainer/configs/…)")
    ap.add_argument("--batch", type=int, help="batch size (default: the config's)")
    ap.add_argument("--steps", type=int, default=16, help="timed steps after one warm-up step (R1 runs at multiples of r1Interval)")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    ap.add_argument("--upsample-edges", choices=["zero"], help="override the config generator's upsampleEdges")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--profile", type=int, metavar="ROWS", help="instead of timing, run the steps under torch.profiler and print its ROWS costliest ops (self CPU time per step)")
    ap.add_argument("--check", metavar="DIR", help="compare with the TypeScript outputs in DIR (torch-reference-check.ts)")
    ap.add_argument("--tol", type=float, default=1e-4, help="--check: largest absolute difference allowed (default 1e-4)")
    ap.add_argument("--grad-rel-tol", type=float, default=1e-2, help="--check: largest gradient difference relative to each tensor's largest gradient (default 1e-2)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    if args.check:
        return run_check(args.check, args.tol, args.grad_rel_tol)
    if not args.config:
        ap.error("--config or --check is required")
    with open(args.config, encoding="utf8") as f:
        cfg = json.load(f)
    g = generator_config(cfg["generator"], args.upsample_edges)
    batch = args.batch or cfg["batch"]
    trainer = Trainer(cfg, g, batch)
    trainer.train_step()  # warm-up (step 0: also the R1 phase)
    if args.profile:
        from torch.profiler import ProfilerActivity, profile

        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(args.steps):
                trainer.train_step()
        rows = sorted(prof.key_averages(), key=lambda e: e.self_cpu_time_total, reverse=True)[: args.profile]
        total = sum(e.self_cpu_time_total for e in prof.key_averages()) / 1000 / args.steps
        print(f"self CPU time per step: {total:.1f} ms over {args.steps} steps (batch {batch})")
        print("| op | ms / step | calls / step |")
        print("|---|---|---|")
        for e in rows:
            print(f"| {e.key} | {e.self_cpu_time_total / 1000 / args.steps:.1f} | {e.count / args.steps:.0f} |")
        return 0
    t0 = time.perf_counter()
    for _ in range(args.steps):
        trainer.train_step()
    secs = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(
        json.dumps(
            {
                "imgPerSec": args.steps * batch / secs,
                "msPerStep": secs * 1000 / args.steps,
                "peakRssMB": peak_mb,
                "torch": torch.__version__,
                "threads": torch.get_num_threads(),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
