#!/usr/bin/env python3
"""The PyTorch baseline for bench/solve.bench.mjs: solves a JSON array of RNN/LSTM instances
(docs/math.md §4) with float64 eager autograd and prints the same quantities as `gradsheet solve`.

    /usr/bin/python3 bench/torch_solve.py INSTANCES.json [OUT.json]    (stdout without OUT)

It is meant to be the baseline a competent PyTorch user would write, not a straw man:
- Work that does not depend on the recurrence is batched over time steps (input projections,
  outputs, losses, the Jacobian formulas), so the Python loop over t only does what must be
  sequential. The LSTM runs its four gates as one stacked matrix-vector product per step.
- Per-step gradients ∂L/∂U^(k) (∂L/∂W_hf^(k)) come from one autograd pass: the recurrent step k
  uses slice k of `param.expand(T, ...)`, whose retained gradient holds every use's
  contribution separately, while the backward of `expand` sums them into `param.grad`. No
  per-step clones and no extra backward passes.
- The Jacobians ∂s_j/∂s_{j−1} and ∂c_t/∂c_{t−1} use the closed forms of docs/math.md §2–3 on the
  forward values (vectorised over t), as gradsheet does; running
  torch.autograd.functional.jacobian per step would be far slower and no more exact.
- torch.set_num_threads(1): tensors here have at most 16 rows, too small for intra-op threads to
  help (on a 2-core machine, 1 thread and the default timed the same within noise); it also
  keeps the comparison one core against one core, as gradsheet is single-threaded.
- No TorchScript / torch.compile: the comparison is against eager autograd.

Only the keys docs/math.md §4 requires are produced (plus the cheap `losses`); gradsheet prints more
(pre-activations, per-step terms of every parameter, ∂L/∂s_0 ...), so the comparison favours
torch slightly.
"""
import json
import sys

import torch

torch.set_num_threads(1)
DT = torch.float64


def tensor(value):
    return torch.tensor(value, dtype=DT)


def leaf(value):
    return torch.tensor(value, dtype=DT, requires_grad=True)


def per_step(param, T):
    """T views of `param`, one per time step; after backward, `.grad` holds ∂L/∂param^(k)."""
    steps = param.expand(T, *param.shape)
    steps.retain_grad()
    return steps


def instance_loss(per_step_losses, kind):
    return per_step_losses.sum() if kind == 'sum' else per_step_losses[-1]


def solve_rnn(inst):
    U, W, V = leaf(inst['U']), leaf(inst['W']), leaf(inst['V'])
    b, c, s0 = leaf(inst['b']), leaf(inst['c']), leaf(inst['s0'])
    X, Y = tensor(inst['x']), tensor(inst['y'])
    T = X.shape[0]
    U_steps = per_step(U, T)
    # U^(k) x_k + b for every k at once: it does not depend on the recurrence
    UXb = torch.bmm(U_steps, X.unsqueeze(2)).squeeze(2) + b
    s, states = s0, []
    for k in range(T):
        s = torch.tanh(torch.addmv(UXb[k], W, s))
        states.append(s)
    S = torch.stack(states)
    O = S @ V.T + c
    losses = 0.5 * ((Y - O) ** 2).sum(1)
    loss = instance_loss(losses, inst.get('loss', 'last'))
    loss.backward()
    with torch.no_grad():
        S = S.detach()
        ds_ds_prev = (1 - S * S).unsqueeze(2) * W.detach()  # diag(1 − s_j²)·W
    return {
        'model': 'rnn',
        's': S.tolist(),
        'o': O.detach().tolist(),
        'losses': losses.detach().tolist(),
        'loss': loss.item(),
        'dL_dU': U.grad.tolist(),
        'dL_dW': W.grad.tolist(),
        'dL_dV': V.grad.tolist(),
        'dL_db': b.grad.tolist(),
        'dL_dc': c.grad.tolist(),
        'dL_dU_by_step': U_steps.grad.tolist(),
        'ds_ds_prev': ds_ds_prev.tolist(),
    }


GATES = ('f', 'i', 'g', 'o')


def solve_lstm(inst):
    Wx = {g: leaf(inst['Wx' + g]) for g in GATES}
    Wh = {g: leaf(inst['Wh' + g]) for g in GATES}
    bias = {g: leaf(inst['b' + g]) for g in GATES}
    V, by = leaf(inst['V']), leaf(inst['by'])
    h0, c0 = leaf(inst['h0']), leaf(inst['c0'])
    X, Y = tensor(inst['x']), tensor(inst['y'])
    T, H = X.shape[0], h0.shape[0]
    # Gates stacked as rows [f; i; g; o]: one product per step instead of four. The input part
    # (W_x x_t + b) is computed for all t before the loop. Rows :H of the per-step recurrent
    # weight are W_hf^(k).
    A_in = X @ torch.cat([Wx[g] for g in GATES]).T + torch.cat([bias[g] for g in GATES])
    Wh_steps = per_step(torch.cat([Wh[g] for g in GATES]), T)
    h, c = h0, c0
    pre, gates, cells, hidden = [], [], [], []
    for k in range(T):
        a = torch.addmv(A_in[k], Wh_steps[k], h)
        sig = torch.sigmoid(a)
        f, i, o = sig[:H], sig[H:2 * H], sig[3 * H:]
        g = torch.tanh(a[2 * H:3 * H])
        c = torch.addcmul(f * c, i, g)
        h = o * torch.tanh(c)
        pre.append(a); gates.append((f, i, g, o)); cells.append(c); hidden.append(h)
    Hs, Cs = torch.stack(hidden), torch.stack(cells)
    Yhat = Hs @ V.T + by
    losses = 0.5 * ((Y - Yhat) ** 2).sum(1)
    loss = instance_loss(losses, inst.get('loss', 'last'))
    loss.backward()

    with torch.no_grad():
        F, I, G, O = (torch.stack([gt[n] for gt in gates]).detach() for n in range(4))
        Cs = Cs.detach()
        direct = torch.diag_embed(F)
        total = direct.clone()
        if T > 1:
            # docs/math.md §3 for t ≥ 2 (rows t−1 of the stacked values); σ'(a) = σ(a)(1 − σ(a)), tanh'(a) = 1 − tanh²(a)
            c_prev, o_prev = Cs[:-1], O[:-1]
            f_t, i_t, g_t = F[1:], I[1:], G[1:]
            rows = ((c_prev * f_t * (1 - f_t)).unsqueeze(2) * Wh['f'].detach()
                    + (g_t * i_t * (1 - i_t)).unsqueeze(2) * Wh['i'].detach()
                    + (i_t * (1 - g_t * g_t)).unsqueeze(2) * Wh['g'].detach())
            total[1:] += rows * (o_prev * (1 - torch.tanh(c_prev) ** 2)).unsqueeze(1)

    out = {
        'model': 'lstm',
        'f': F.tolist(), 'i': I.tolist(), 'g': G.tolist(), 'o': O.tolist(),
        'c': Cs.tolist(), 'h': Hs.detach().tolist(), 'yhat': Yhat.detach().tolist(),
        'losses': losses.detach().tolist(),
        'loss': loss.item(),
    }
    for g in GATES:
        out['dL_dWx' + g] = Wx[g].grad.tolist()
    for g in GATES:
        out['dL_dWh' + g] = Wh[g].grad.tolist()
    for g in GATES:
        out['dL_db' + g] = bias[g].grad.tolist()
    out['dL_dV'] = V.grad.tolist()
    out['dL_dby'] = by.grad.tolist()
    out['dL_dWhf_by_step'] = Wh_steps.grad[:, :H].tolist()
    out['dc_dc_prev_direct'] = direct.tolist()
    out['dc_dc_prev'] = total.tolist()
    return out


def main(argv):
    if len(argv) not in (2, 3):
        sys.stderr.write('usage: torch_solve.py INSTANCES.json [OUT.json]\n')
        return 2
    with open(argv[1], encoding='utf-8') as fh:
        instances = json.load(fh)
    solutions = [solve_rnn(x) if x['model'] == 'rnn' else solve_lstm(x) for x in instances]
    text = json.dumps(solutions)
    if len(argv) == 3:
        with open(argv[2], 'w', encoding='utf-8') as fh:
            fh.write(text + '\n')
    else:
        sys.stdout.write(text + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
