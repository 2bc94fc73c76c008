"""The same GANs in PyTorch (eager), built from a jaxgan config, for side-by-side timing.

Same layer sizes, activations, BatchNorm, dropout, losses, penalty, clipping,
optimizer and n_critic as ``jaxgan.build(config)``; the usual PyTorch idioms
(G under no_grad in the D update, D frozen in the G update, NCHW layout).
With ``config.compute_dtype`` 'bfloat16' the forward passes run under
``torch.autocast`` in bfloat16, as PyTorch's mixed-precision recipe has it
(the penalty's input gradient taken outside autocast), on float32 parameters.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F


class Sigmoid11(nn.Module):
    def forward(self, x):
        return 2 * torch.sigmoid(x) - 1


def act(name: str) -> nn.Module:
    return {"relu": nn.ReLU(), "leaky_relu": nn.LeakyReLU(0.2), "tanh": nn.Tanh(), "sigmoid": Sigmoid11(),
            "none": nn.Identity()}[name]


def dropout(rates, i):
    return [nn.Dropout(rates[i])] if i < len(rates) and rates[i] > 0 else []


class MLPGenerator(nn.Module):
    def __init__(self, cfg, latent_dim, image_shape):
        super().__init__()
        h, w, c = image_shape
        layers, width = [], latent_dim
        for i, f in enumerate(cfg.features):
            layers += [nn.Linear(width, f), act(cfg.activation)]
            if cfg.norm == "batch":
                layers.append(nn.BatchNorm1d(f, momentum=1 - cfg.bn_momentum))
            layers += dropout(tuple(cfg.dropout), i)
            width = f
        layers += [nn.Linear(width, h * w * c), act(cfg.out_activation)]
        self.net, self.shape = nn.Sequential(*layers), (c, h, w)

    def forward(self, z):
        return self.net(z).view(-1, *self.shape)


class MLPDiscriminator(nn.Module):
    def __init__(self, cfg, image_shape):
        super().__init__()
        layers, width = [nn.Flatten()], math.prod(image_shape)
        for i, f in enumerate(cfg.features):
            layers += [nn.Linear(width, f), act(cfg.activation), *dropout(tuple(cfg.dropout), i)]
            width = f
        self.net = nn.Sequential(*layers, nn.Linear(width, 1))

    def forward(self, x):
        return self.net(x)[:, 0]


def dcgan_plan(size):
    for base in (4, 7):
        n = math.log2(size / base)
        if n >= 1 and n == int(n):
            return base, int(n)
    raise ValueError(size)


def norm2d(kind, ch, momentum):
    if kind == "batch":
        return nn.BatchNorm2d(ch, momentum=1 - momentum)
    if kind == "layer":
        return nn.GroupNorm(1, ch)
    return nn.Identity()


class DCGANGenerator(nn.Module):
    def __init__(self, cfg, latent_dim, image_shape):
        super().__init__()
        h, _, c = image_shape
        base, n = dcgan_plan(h)
        ch = cfg.width * 2 ** (n - 1)
        bias = cfg.norm == "none"
        self.project = nn.Linear(latent_dim, base * base * ch, bias=bias)
        self.start = (ch, base, base)
        layers = [norm2d(cfg.norm, ch, cfg.bn_momentum), nn.ReLU()]
        for _ in range(n - 1):
            layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=bias), norm2d(cfg.norm, ch // 2, cfg.bn_momentum),
                       nn.ReLU()]
            ch //= 2
        self.net = nn.Sequential(*layers, nn.ConvTranspose2d(ch, c, 4, 2, 1), nn.Tanh())

    def forward(self, z):
        return self.net(self.project(z).view(-1, *self.start))


class DCGANDiscriminator(nn.Module):
    def __init__(self, cfg, image_shape):
        super().__init__()
        h, _, c = image_shape
        base, n = dcgan_plan(h)
        layers, cin, ch = [], c, cfg.width
        for i in range(n):
            layers.append(nn.Conv2d(cin, ch, 4, 2, 1, bias=i == 0 or cfg.norm != "batch"))
            if i > 0:
                layers.append(norm2d(cfg.norm, ch, cfg.bn_momentum))
            layers.append(nn.LeakyReLU(0.2))
            cin, ch = ch, ch * 2
        self.net = nn.Sequential(*layers, nn.Flatten(), nn.Linear(cin * base * base, 1))

    def forward(self, x):
        return self.net(x)[:, 0]


def optimizer(cfg, params):
    if cfg.name == "adam":
        return torch.optim.Adam(params, lr=cfg.learning_rate, betas=(cfg.b1, cfg.b2))
    if cfg.name == "rmsprop":
        return torch.optim.RMSprop(params, lr=cfg.learning_rate, alpha=cfg.decay, eps=cfg.eps)
    raise ValueError(cfg.name)


def d_loss(kind, r, f):
    if kind in ("minimax", "non_saturating"):
        return F.softplus(-r).mean() + F.softplus(f).mean()
    if kind == "lsgan":
        return 0.5 * ((r - 1) ** 2).mean() + 0.5 * (f**2).mean()
    if kind == "wgan":
        return f.mean() - r.mean()
    return F.relu(1 - r).mean() + F.relu(1 + f).mean()


def g_loss(kind, f):
    return {"minimax": lambda: -F.softplus(f).mean(), "non_saturating": lambda: F.softplus(-f).mean(),
            "lsgan": lambda: 0.5 * ((f - 1) ** 2).mean()}.get(kind, lambda: -f.mean())()


class TorchGAN:
    """Builds G, D and optimizers from a jaxgan config on ``device``; ``train_step(reals)`` mirrors jaxgan's."""

    def __init__(self, config, device: str = "cpu"):
        self.config = config
        self.device = torch.device(device)
        shape = tuple(config.image_shape)
        g, d = config.generator, config.discriminator
        self.G = (MLPGenerator(g, config.latent_dim, shape) if g.kind == "mlp"
                  else DCGANGenerator(g, config.latent_dim, shape))
        self.D = MLPDiscriminator(d, shape) if d.kind == "mlp" else DCGANDiscriminator(d, shape)
        self.G.to(self.device)
        self.D.to(self.device)
        self.opt_g = optimizer(config.g_optimizer, self.G.parameters())
        self.opt_d = optimizer(config.d_optimizer, self.D.parameters())
        self.bfloat16 = config.compute_dtype == "bfloat16"

    def autocast(self):
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.bfloat16)

    def d_step(self, real):
        c = self.config
        z = torch.randn(real.shape[0], c.latent_dim, device=self.device)
        self.opt_d.zero_grad(set_to_none=True)
        with self.autocast():
            with torch.no_grad():
                fake = self.G(z).float()
            loss = d_loss(c.loss, self.D(real).float(), self.D(fake).float())
            if c.penalty == "gp":
                alpha = torch.rand(real.shape[0], 1, 1, 1, device=self.device)
                x_hat = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
                critic = self.D(x_hat).float().sum()
        if c.penalty == "gp":
            (grad,) = torch.autograd.grad(critic, x_hat, create_graph=True)
            norms = torch.sqrt(grad.float().flatten(1).pow(2).sum(1) + 1e-12)
            loss = loss + c.penalty_weight * ((norms - 1) ** 2).mean()
        loss.backward()
        self.opt_d.step()
        if c.clip > 0:
            with torch.no_grad():
                for p in self.D.parameters():
                    p.clamp_(-c.clip, c.clip)

    def g_step(self, batch_size):
        self.D.requires_grad_(False)
        self.opt_g.zero_grad(set_to_none=True)
        with self.autocast():
            logits = self.D(self.G(torch.randn(batch_size, self.config.latent_dim, device=self.device))).float()
        g_loss(self.config.loss, logits).backward()
        self.opt_g.step()
        self.D.requires_grad_(True)

    def train_step(self, reals):
        """reals: n_critic float tensors (B, C, H, W) in [-1, 1], on the GAN's device."""
        for real in reals:
            self.d_step(real)
        self.g_step(reals[0].shape[0])
