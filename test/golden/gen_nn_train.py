"""Golden data for @duet/nn's losses, optimizers, schedulers, clipping and safetensors.

Run from the repository root with the reference venv:
    .venv-ref/bin/python test/golden/gen_nn_train.py
It writes test/golden/nn_train.json and the fixtures in test/safetensors/, and checks
test/safetensors/duet_written.safetensors (written by Duet with
`pnpm exec tsx --conditions=source test/safetensors/write_duet_file.ts`) against PyTorch.
Options and state keys in the JSON use Duet's camelCase names; the test maps them.
"""
import json
import warnings
import math
import os
import platform
import struct
import sys

import safetensors
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, 'test', 'safetensors')
torch.manual_seed(0)
warnings.filterwarnings('ignore', message="reduction: 'mean' divides")


def t(x):
    """A tensor as {shape, dtype, data} with exact float32 values."""
    x = x.detach()
    dtype = {torch.float32: 'float32', torch.int64: 'int32', torch.int32: 'int32', torch.bool: 'bool'}[x.dtype]
    return {'shape': list(x.shape), 'dtype': dtype, 'data': x.reshape(-1).tolist()}


# ------------------------------------------------------------------ losses
def loss_cases():
    cases = []

    def add(cid, fn, module, py, inputs, options=None, tensor_options=None, grad_of=(0,)):
        """inputs: list of (name, tensor, requires_grad). options: JS options (numbers/strings)."""
        options = options or {}
        tensor_options = tensor_options or {}
        leaves = [x.clone().requires_grad_(rg) if x.is_floating_point() else x.clone() for (_, x, rg) in inputs]
        out = py(*leaves)
        upstream = torch.randn(out.shape) if out.dim() > 0 else None
        out.backward(upstream)
        cases.append({
            'id': cid, 'fn': fn, 'module': module,
            'inputs': [dict(t(x), name=n, requiresGrad=rg) for (n, x, rg) in inputs],
            'options': options,
            'tensorOptions': {k: t(v) for k, v in tensor_options.items()},
            'output': t(out),
            'upstream': t(upstream) if upstream is not None else None,
            'grads': {inputs[i][0]: t(leaves[i].grad) for i in grad_of if inputs[i][2]},
        })

    R = ['mean', 'sum', 'none']
    x = torch.randn(6, 5) * 2
    y = torch.tensor([0, 4, 2, 1, 3, 2])
    y_ign = torch.tensor([0, -100, 2, 1, -100, 2])
    y_ign2 = torch.tensor([0, 4, 2, 1, 2, 3])
    w = torch.rand(5) + 0.5
    probs = torch.softmax(torch.randn(6, 5), 1)
    x4 = torch.randn(2, 3, 2, 2)
    y4 = torch.tensor([[[0, 2], [1, -100]], [[2, 2], [0, 1]]])
    w3 = torch.rand(3) + 0.5
    for r in R:
        ce = lambda name, tgt, opts, tops, kw, inp=x: add(f'crossEntropy/{name}/{r}', 'crossEntropy', 'CrossEntropyLoss',
                                                        lambda a, b: F.cross_entropy(a, b, reduction=r, **kw),
                                                        [('input', inp, True), ('target', tgt, False)], dict(opts, reduction=r), tops)
        ce('basic', y, {}, {}, {})
        ce('weight', y, {}, {'weight': w}, {'weight': w})
        ce('ignore', y_ign, {}, {}, {})
        ce('ignoreIndex2', y_ign2, {'ignoreIndex': 2}, {}, {'ignore_index': 2})
        ce('weightIgnore', y_ign, {}, {'weight': w}, {'weight': w})
        ce('labelSmoothing', y, {'labelSmoothing': 0.1}, {}, {'label_smoothing': 0.1})
        ce('lsWeightIgnore', y_ign, {'labelSmoothing': 0.2}, {'weight': w}, {'label_smoothing': 0.2, 'weight': w})
        ce('probs', probs, {}, {}, {})
        ce('probsLsWeight', probs, {'labelSmoothing': 0.15}, {'weight': w}, {'label_smoothing': 0.15, 'weight': w})
        ce('nd', y4, {}, {}, {}, x4)
        ce('ndWeightLs', y4, {'labelSmoothing': 0.1}, {'weight': w3}, {'label_smoothing': 0.1, 'weight': w3}, x4)
        ce('unbatched', torch.tensor(3), {}, {}, {}, torch.randn(5))
        logp = torch.log_softmax(torch.randn(6, 5), 1)
        nll = lambda name, tgt, opts, tops, kw, inp=logp: add(f'nllLoss/{name}/{r}', 'nllLoss', 'NLLLoss',
                                                             lambda a, b: F.nll_loss(a, b, reduction=r, **kw),
                                                             [('input', inp, True), ('target', tgt, False)], dict(opts, reduction=r), tops)
        nll('basic', y, {}, {}, {})
        nll('weightIgnore', y_ign, {}, {'weight': w}, {'weight': w})
        nll('nd', y4, {}, {}, {}, torch.log_softmax(x4, 1))

        a, b = torch.randn(4, 3), torch.randn(4, 3)
        two = lambda fn, mod, py, name, opts, kw, a=a, b=b: add(f'{fn}/{name}/{r}', fn, mod, lambda p, q: py(p, q, reduction=r, **kw),
                                                                [('input', a, True), ('target', b, True)], dict(opts, reduction=r), grad_of=(0, 1))
        two('mseLoss', 'MSELoss', F.mse_loss, 'basic', {}, {})
        two('l1Loss', 'L1Loss', F.l1_loss, 'basic', {}, {})
        two('smoothL1Loss', 'SmoothL1Loss', F.smooth_l1_loss, 'beta1', {}, {})
        two('smoothL1Loss', 'SmoothL1Loss', F.smooth_l1_loss, 'beta05', {'beta': 0.5}, {'beta': 0.5})
        two('smoothL1Loss', 'SmoothL1Loss', F.smooth_l1_loss, 'beta0', {'beta': 0}, {'beta': 0.0})
        two('huberLoss', 'HuberLoss', F.huber_loss, 'delta1', {}, {})
        two('huberLoss', 'HuberLoss', F.huber_loss, 'delta03', {'delta': 0.3}, {'delta': 0.3})

        p = torch.sigmoid(torch.randn(4, 3))
        hard = (torch.rand(4, 3) > 0.5).float()
        soft = torch.rand(4, 3)
        wb = torch.rand(3) + 0.5
        bce = lambda name, inp, tgt, tops, kw: add(f'binaryCrossEntropy/{name}/{r}', 'binaryCrossEntropy', 'BCELoss',
                                                   lambda q, s: F.binary_cross_entropy(q, s, reduction=r, **kw),
                                                   [('input', inp, True), ('target', tgt, False)], {'reduction': r}, tops)
        bce('hard', p, hard, {}, {})
        bce('soft', p, soft, {}, {})
        bce('weight', p, hard, {'weight': wb}, {'weight': wb})
        logits = torch.randn(4, 3) * 3
        pw = torch.tensor([2.0, 0.5, 1.5])
        bwl = lambda name, tgt, tops, kw: add(f'binaryCrossEntropyWithLogits/{name}/{r}', 'binaryCrossEntropyWithLogits', 'BCEWithLogitsLoss',
                                              lambda q, s: F.binary_cross_entropy_with_logits(q, s, reduction=r, **kw),
                                              [('input', logits, True), ('target', tgt, False)], {'reduction': r}, tops)
        bwl('basic', hard, {}, {})
        bwl('weight', soft, {'weight': wb}, {'weight': wb})
        bwl('posWeight', hard, {'posWeight': pw}, {'pos_weight': pw})
        bwl('posWeightWeight', soft, {'posWeight': pw, 'weight': wb}, {'pos_weight': pw, 'weight': wb})

        a1, a2 = torch.randn(5, 4), torch.randn(5, 4)
        ys = torch.tensor([1.0, -1.0, 1.0, -1.0, -1.0])
        for m in [0.0, 0.3]:
            add(f'cosineEmbeddingLoss/margin{m}/{r}', 'cosineEmbeddingLoss', 'CosineEmbeddingLoss',
                lambda u, v, s, m=m: F.cosine_embedding_loss(u, v, s, margin=m, reduction=r),
                [('input1', a1, True), ('input2', a2, True), ('target', ys, False)], {'margin': m, 'reduction': r}, grad_of=(0, 1))
            r1, r2 = torch.randn(6), torch.randn(6)
            yr = torch.tensor([1.0, -1.0, 1.0, 1.0, -1.0, -1.0])
            add(f'marginRankingLoss/margin{m}/{r}', 'marginRankingLoss', 'MarginRankingLoss',
                lambda u, v, s, m=m: F.margin_ranking_loss(u, v, s, margin=m, reduction=r),
                [('input1', r1, True), ('input2', r2, True), ('target', yr, False)], {'margin': m, 'reduction': r}, grad_of=(0, 1))

    lq = torch.log_softmax(torch.randn(3, 4), 1)
    tp = torch.softmax(torch.randn(3, 4), 1)
    tp[0, 1] = 0.0
    for r in ['mean', 'batchmean', 'sum', 'none']:
        for log_target in [False, True]:
            tgt = torch.log(tp + 1e-3) if log_target else tp
            add(f'klDiv/logTarget{log_target}/{r}', 'klDiv', 'KLDivLoss',
                lambda q, s, lt=log_target: F.kl_div(q, s, reduction=r, log_target=lt),
                # PyTorch's gradient for a zero target is NaN (xlogy): compare it only with logTarget.
                [('input', lq, True), ('target', tgt, log_target)], {'reduction': r, 'logTarget': log_target}, grad_of=(0, 1))
    return cases


# -------------------------------------------------------------- optimizers
PY_NAMES = {'weightDecay': 'weight_decay', 'lrDecay': 'lr_decay', 'initialAccumulatorValue': 'initial_accumulator_value'}
py = lambda opts: {PY_NAMES.get(k, k): (tuple(v) if k == 'betas' else v) for k, v in opts.items()}

OPTIM_CONFIGS = [
    ('SGD', {'lr': 0.1}), ('SGD', {'lr': 0.1, 'momentum': 0.9}), ('SGD', {'lr': 0.05, 'momentum': 0.9, 'dampening': 0.5}),
    ('SGD', {'lr': 0.05, 'momentum': 0.8, 'nesterov': True}), ('SGD', {'lr': 0.1, 'momentum': 0.9, 'weightDecay': 0.01}),
    ('SGD', {'lr': 0.1, 'weightDecay': 0.1}), ('SGD', {}),
    ('Adagrad', {}), ('Adagrad', {'lr': 0.1, 'lrDecay': 0.1}), ('Adagrad', {'lr': 0.1, 'weightDecay': 0.1}),
    ('Adagrad', {'lr': 0.1, 'initialAccumulatorValue': 0.1, 'eps': 1e-3}),
    ('RMSprop', {}), ('RMSprop', {'lr': 0.01, 'alpha': 0.9, 'eps': 1e-6}), ('RMSprop', {'lr': 0.01, 'momentum': 0.9}),
    ('RMSprop', {'lr': 0.01, 'centered': True}), ('RMSprop', {'lr': 0.01, 'centered': True, 'momentum': 0.5, 'weightDecay': 0.1}),
    ('RMSprop', {'lr': 0.01, 'weightDecay': 0.1}),
    ('Adam', {}), ('Adam', {'lr': 0.01}), ('Adam', {'lr': 0.01, 'amsgrad': True}), ('Adam', {'lr': 0.01, 'weightDecay': 0.1}),
    ('Adam', {'lr': 0.01, 'betas': [0.8, 0.99], 'eps': 1e-6}), ('Adam', {'lr': 0.01, 'amsgrad': True, 'weightDecay': 0.05}),
    ('AdamW', {}), ('AdamW', {'lr': 0.01, 'weightDecay': 0.1}), ('AdamW', {'lr': 0.01, 'weightDecay': 0.1, 'amsgrad': True}),
]
GROUP_CONFIGS = [
    ('Adam', {'lr': 0.01}, [{'params': [0], 'lr': 0.02}, {'params': [1, 2], 'weightDecay': 0.1, 'betas': [0.85, 0.995]}]),
    ('SGD', {'lr': 0.1}, [{'params': [0, 2], 'momentum': 0.9}, {'params': [1], 'lr': 0.01, 'nesterov': True, 'momentum': 0.5}]),
    ('RMSprop', {'lr': 0.01}, [{'params': [0]}, {'params': [1, 2], 'momentum': 0.9}]),
]
SHAPES = [[3, 4], [4], [2, 2, 2]]
STEPS = 5
INIT = [torch.randn(s) for s in SHAPES]
# Parameter 2 has no gradient at steps 1 and 3: it is skipped, and its step count lags.
GRADS = [[None if (i == 2 and k in (1, 3)) else torch.randn(s) * (1 + k) for i, s in enumerate(SHAPES)] for k in range(STEPS)]


def run_optimizer(cls, options, groups=None):
    params = [p.clone().requires_grad_(True) for p in INIT]
    opt_cls = getattr(torch.optim, cls)
    if groups is None:
        opt = opt_cls(params, **py(options))
    else:
        opt = opt_cls([dict(py({k: v for k, v in g.items() if k != 'params'}), params=[params[i] for i in g['params']]) for g in groups], **py(options))
    for k in range(STEPS):
        for p, g in zip(params, GRADS[k]):
            p.grad = None if g is None else g.clone()
        opt.step()
    # PyTorch's own state dict: indices in group order, PyTorch's key names.
    state = {i: {key: (float(v) if key == 'step' else t(v)) for key, v in st.items() if v is not None}
             for i, st in opt.state_dict()['state'].items()}
    return {'params': [t(p) for p in params], 'state': state}


def optimizer_cases():
    out = [dict(cls=c, options=o, **run_optimizer(c, o)) for c, o in OPTIM_CONFIGS]
    out += [dict(cls=c, options=o, groups=g, **run_optimizer(c, o, g)) for c, o, g in GROUP_CONFIGS]
    return {'init': [t(p) for p in INIT], 'grads': [[None if g is None else t(g) for g in step] for step in GRADS], 'steps': STEPS, 'cases': out}


# -------------------------------------------------------------- schedulers
S = torch.optim.lr_scheduler


def scheduler_case(name, make, steps=25, opt_cls='SGD', opt_kwargs=None, metrics=None, js=None):
    params = [torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)]
    kwargs = opt_kwargs or {'lr': 0.1, 'momentum': 0.9}
    opt = getattr(torch.optim, opt_cls)([{'params': [params[0]]}, {'params': [params[1]], 'lr': kwargs['lr'] / 10}], **kwargs)
    sched = make(opt)
    lrs, moms = [sched.get_last_lr()], []
    mom = lambda: [g['betas'][0] if 'betas' in g else g['momentum'] for g in opt.param_groups]
    moms.append(mom())
    for k in range(steps):
        opt.step()
        sched.step(metrics[k]) if metrics is not None else sched.step()
        lrs.append(sched.get_last_lr())
        moms.append(mom())
    return {'name': name, 'js': js, 'optimizer': opt_cls, 'optimizerOptions': kwargs, 'lrs': lrs, 'momentum': moms, 'metrics': metrics}


def scheduler_cases():
    plateau = [1.0, 0.9, 0.95, 0.93, 0.91, 0.92, 0.94, 0.8, 0.85, 0.86, 0.87, 0.88, 0.7, 0.71, 0.72, 0.73, 0.74, 0.75, 0.76, 0.77]
    acc = [0.5, 0.6, 0.6, 0.61, 0.6, 0.59, 0.7, 0.7, 0.7, 0.71, 0.72, 0.72, 0.72, 0.72, 0.72, 0.8, 0.8, 0.8, 0.8, 0.8]
    return [
        scheduler_case('StepLR', lambda o: S.StepLR(o, 3, gamma=0.5), js=['StepLR', 3, {'gamma': 0.5}]),
        scheduler_case('MultiStepLR', lambda o: S.MultiStepLR(o, [2, 5, 5, 9], gamma=0.1), js=['MultiStepLR', [2, 5, 5, 9], {'gamma': 0.1}]),
        scheduler_case('ExponentialLR', lambda o: S.ExponentialLR(o, 0.9), js=['ExponentialLR', 0.9]),
        scheduler_case('CosineAnnealingLR', lambda o: S.CosineAnnealingLR(o, 10, eta_min=0.001), steps=45, js=['CosineAnnealingLR', 10, {'etaMin': 0.001}]),
        scheduler_case('LinearLR', lambda o: S.LinearLR(o), js=['LinearLR']),
        scheduler_case('LinearLR/custom', lambda o: S.LinearLR(o, start_factor=0.25, end_factor=0.75, total_iters=4), js=['LinearLR', {'startFactor': 0.25, 'endFactor': 0.75, 'totalIters': 4}]),
        scheduler_case('LambdaLR', lambda o: S.LambdaLR(o, lambda e: 0.95 ** e), js=['LambdaLR', 'pow095']),
        scheduler_case('LambdaLR/perGroup', lambda o: S.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.9 ** e]), js=['LambdaLR', 'perGroup']),
        scheduler_case('OneCycleLR', lambda o: S.OneCycleLR(o, [0.5, 0.05], total_steps=20), steps=20, js=['OneCycleLR', [0.5, 0.05], {'totalSteps': 20}]),
        scheduler_case('OneCycleLR/linear3', lambda o: S.OneCycleLR(o, 0.3, epochs=3, steps_per_epoch=8, anneal_strategy='linear', three_phase=True, pct_start=0.25),
                       steps=24, js=['OneCycleLR', 0.3, {'epochs': 3, 'stepsPerEpoch': 8, 'annealStrategy': 'linear', 'threePhase': True, 'pctStart': 0.25}]),
        scheduler_case('OneCycleLR/adam', lambda o: S.OneCycleLR(o, 0.01, total_steps=15, div_factor=10, final_div_factor=100, base_momentum=0.8, max_momentum=0.9),
                       steps=15, opt_cls='Adam', opt_kwargs={'lr': 0.001},
                       js=['OneCycleLR', 0.01, {'totalSteps': 15, 'divFactor': 10, 'finalDivFactor': 100, 'baseMomentum': 0.8, 'maxMomentum': 0.9}]),
        scheduler_case('SequentialLR', lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=3), S.ExponentialLR(o, 0.9)], milestones=[3]),
                       js=['SequentialLR', 'linearExp']),
        scheduler_case('SequentialLR/three', lambda o: S.SequentialLR(o, [S.ExponentialLR(o, 0.5), S.CosineAnnealingLR(o, 4), S.StepLR(o, 2, gamma=0.3)], milestones=[3, 9]),
                       js=['SequentialLR', 'expCosStep']),
        scheduler_case('ReduceLROnPlateau', lambda o: S.ReduceLROnPlateau(o, patience=2), steps=20, metrics=plateau, js=['ReduceLROnPlateau', {'patience': 2}]),
        scheduler_case('ReduceLROnPlateau/max', lambda o: S.ReduceLROnPlateau(o, mode='max', factor=0.5, patience=1, threshold=0.01, threshold_mode='abs', cooldown=2, min_lr=[0.02, 0.004]),
                       steps=20, metrics=acc,
                       js=['ReduceLROnPlateau', {'mode': 'max', 'factor': 0.5, 'patience': 1, 'threshold': 0.01, 'thresholdMode': 'abs', 'cooldown': 2, 'minLr': [0.02, 0.004]}]),
    ]


# -------------------------------------------------------------- clipping
def clip_cases():
    grads = [torch.randn(3, 4), torch.randn(5), torch.randn(2, 2) * 3]
    cases = []
    for max_norm, norm_type in [(1.0, 2.0), (0.5, 1.0), (0.7, math.inf), (2.0, 3.0), (100.0, 2.0)]:
        ps = [torch.zeros_like(g, requires_grad=True) for g in grads]
        for p, g in zip(ps, grads):
            p.grad = g.clone()
        total = torch.nn.utils.clip_grad_norm_(ps, max_norm, norm_type)
        cases.append({'maxNorm': max_norm, 'normType': 'inf' if norm_type == math.inf else norm_type, 'total': float(total), 'grads': [t(p.grad) for p in ps]})
    ps = [torch.zeros_like(g, requires_grad=True) for g in grads]
    for p, g in zip(ps, grads):
        p.grad = g.clone()
    torch.nn.utils.clip_grad_value_(ps, 0.5)
    return {'grads': [t(g) for g in grads], 'norm': cases, 'value': {'clipValue': 0.5, 'grads': [t(p.grad) for p in ps]}}


# -------------------------------------------------------------- safetensors
class Small(torch.nn.Module):
    """The model of the cross-framework file tests (Duet's test builds the same)."""

    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(4, 3)
        self.bn = torch.nn.BatchNorm1d(3)
        self.fc2 = torch.nn.Linear(3, 2)

    def forward(self, x):
        return self.fc2(torch.relu(self.bn(self.fc1(x))))


def safetensors_fixtures():
    os.makedirs(FIX, exist_ok=True)
    model = Small()
    for _ in range(3):
        model(torch.randn(8, 4))
    sd = model.state_dict()
    save_file(sd, os.path.join(FIX, 'torch_model.safetensors'), metadata={'format': 'pt'})
    expected = {k: dict(t(v), torchDtype=str(v.dtype)) for k, v in sd.items()}
    # Every dtype Duet converts on load.
    dts = {'f64': torch.tensor([1.5, -2.25e-3, 1e30], dtype=torch.float64), 'f16': torch.tensor([0.1, -65504, 6e-8, 1.0], dtype=torch.float16),
           'bf16': torch.tensor([3.140625, -1e20, 0.5], dtype=torch.bfloat16), 'i64': torch.tensor([[-2147483648, 2147483647], [0, -5]], dtype=torch.int64),
           'i16': torch.tensor([-32768, 7], dtype=torch.int16), 'i8': torch.tensor([-128, 127], dtype=torch.int8), 'u8': torch.tensor([0, 255], dtype=torch.uint8),
           'flag': torch.tensor([True, False, True]), 'empty': torch.zeros(0, 3), 'scalar': torch.tensor(2.5)}
    save_file(dts, os.path.join(FIX, 'dtypes.safetensors'))
    dtypes = {k: {'shape': list(v.shape), 'data': v.float().reshape(-1).tolist() if v.is_floating_point() else v.reshape(-1).tolist()} for k, v in dts.items()}
    save_file({'big': torch.tensor([1, 2**40], dtype=torch.int64)}, os.path.join(FIX, 'int64_overflow.safetensors'))
    # Byte-for-byte: Duet writing the same dict must give this file.
    same = {'weight': torch.randn(2, 3), 'idx': torch.tensor([3, -1, 7], dtype=torch.int32), 'mask': torch.tensor([[True], [False]]),
            'a.bias': torch.randn(5), 'z': torch.tensor(1.0), 'emb': torch.zeros(0)}
    save_file(same, os.path.join(FIX, 'python_written.safetensors'), metadata={'format': 'pt'})
    result = {'torchModel': expected, 'dtypes': dtypes, 'pythonWritten': {k: t(v) for k, v in same.items()}, 'pythonWrittenMetadata': {'format': 'pt'}}
    duet = os.path.join(FIX, 'duet_written.safetensors')
    if os.path.exists(duet):
        with open(duet, 'rb') as f:
            n = struct.unpack('<Q', f.read(8))[0]
            header = json.loads(f.read(n))
        loaded = load_file(duet)
        m = Small()
        m.load_state_dict(loaded, strict=True)
        m.eval()
        x = torch.linspace(-1, 1, 8).reshape(2, 4)
        result['duetWritten'] = {'loadStrict': True, 'metadata': header.get('__metadata__'), 'keys': sorted(loaded.keys()),
                                 'dtypes': {k: str(v.dtype) for k, v in loaded.items()}, 'values': {k: t(v) for k, v in m.state_dict().items()},
                                 'evalInput': t(x), 'evalOutput': t(m(x))}
    else:
        print('warning: test/safetensors/duet_written.safetensors is missing; run write_duet_file.ts first', file=sys.stderr)
    return result


def main():
    data = {
        'generatedBy': 'test/golden/gen_nn_train.py',
        'versions': {'python': platform.python_version(), 'torch': torch.__version__, 'safetensors': safetensors.__version__},
        'losses': loss_cases(),
        'optimizers': optimizer_cases(),
        'schedulers': scheduler_cases(),
        'clip': clip_cases(),
        'safetensors': safetensors_fixtures(),
    }
    with open(os.path.join(ROOT, 'test', 'golden', 'nn_train.json'), 'w') as f:
        json.dump(data, f, separators=(',', ':'), allow_nan=False)
    print(f"wrote nn_train.json: {len(data['losses'])} loss cases, {len(data['optimizers']['cases'])} optimizer runs, {len(data['schedulers'])} schedules")


if __name__ == '__main__':
    main()
