"""PyTorch peer of op_overhead.ts: us per 32x128 float32 add (torch 2.13 CPU)."""
import json, sys, time
import torch
n = int(sys.argv[1]) if len(sys.argv) > 1 else 20000
a, b = torch.randn(32, 128), torch.randn(32, 128)
for _ in range(500): a + b
best = []
for _ in range(5):
    t0 = time.perf_counter()
    for _ in range(n): a + b
    best.append((time.perf_counter() - t0) / n * 1e6)
best.sort()
print(json.dumps({"torch": torch.__version__, "torch_add_us": best[len(best) // 2]}))
