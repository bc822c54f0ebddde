"""Golden values for transforms.Resize (bilinear) from PyTorch: torchvision's
Resize on tensors is F.interpolate(mode='bilinear', antialias=True,
align_corners=False), which matches PIL's resampling.

Run: .venv-ref/bin/python packages/data/scripts/gen_resize_golden.py
Writes packages/data/fixtures/resize_golden.json.
"""
import json
import os

import torch
import torch.nn.functional as F

CASES = [((5, 7), (3, 4)), ((5, 7), (8, 11)), ((28, 28), (13, 17)), ((9, 4), (4, 9)), ((2, 4), (1, 2))]


def main():
    g = torch.Generator().manual_seed(0)
    out = {'torch': torch.__version__, 'cases': []}
    for (h, w), (oh, ow) in CASES:
        x = torch.rand((2, h, w), generator=g)
        y = F.interpolate(x[None], size=(oh, ow), mode='bilinear', antialias=True, align_corners=False)[0]
        out['cases'].append({'shape': [2, h, w], 'size': [oh, ow], 'input': x.flatten().tolist(), 'expected': y.flatten().tolist()})
    path = os.path.join(os.path.dirname(__file__), '..', 'fixtures', 'resize_golden.json')
    with open(path, 'w') as f:
        json.dump(out, f)
    print(f'wrote {path} (torch {torch.__version__})')


if __name__ == '__main__':
    main()
