"""PyTorch peer for bench/nn/lstm_lm.ts: the word_language_model step of
PyTorch's examples (Embedding -> 2-layer RNN -> Linear; bptt 35, batch 20;
CrossEntropyLoss; clip_grad_norm_ 0.25; plain SGD update p -= lr * grad),
on the same synthetic token stream (the bench passes it as a file of int32).

Prints one JSON line: milliseconds per training batch (wall, and process CPU
time over all threads) for each model asked (LSTM, GRU, RNN with tanh).
Run: .venv-ref/bin/python bench/nn/lstm_lm_torch.py <tokens.bin> <vocab> <warmup> <batches> [LSTM,GRU,RNN]
"""
import json, os, sys, time
import numpy as np
import torch
from torch import nn

torch.manual_seed(0)
if os.environ.get("TORCH_THREADS"):  # e.g. 1, beside DUET_NUM_THREADS=1 on a loaded machine
    torch.set_num_threads(int(os.environ["TORCH_THREADS"]))
path, VOCAB, WARMUP, BATCHES = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
KINDS = (sys.argv[5] if len(sys.argv) > 5 else "LSTM,GRU,RNN").split(",")
BPTT, BATCH, HID, LAYERS, LR, CLIP = 35, 20, 200, 2, 20.0, 0.25
data = torch.from_numpy(np.fromfile(path, dtype=np.int32).astype(np.int64)).view(-1, BATCH)  # [steps, batch], as batchify

class LM(nn.Module):
    def __init__(self, kind):
        super().__init__()
        self.encoder = nn.Embedding(VOCAB, HID)
        self.rnn = getattr(nn, kind)(HID, HID, LAYERS)
        self.decoder = nn.Linear(HID, VOCAB)
    def forward(self, x, hidden):
        out, hidden = self.rnn(self.encoder(x), hidden)
        return self.decoder(out).view(-1, VOCAB), hidden

def run(kind):
    model = LM(kind)
    loss_fn = nn.CrossEntropyLoss()
    z = torch.zeros(LAYERS, BATCH, HID)
    hidden = (z, z) if kind == "LSTM" else z
    times, cpu = [], []
    for b in range(WARMUP + BATCHES):
        i = (b * BPTT) % (data.size(0) - BPTT - 1)
        x, y = data[i:i + BPTT], data[i + 1:i + 1 + BPTT].reshape(-1)
        t0, c0 = time.perf_counter(), time.process_time()
        hidden = tuple(h.detach() for h in hidden) if kind == "LSTM" else hidden.detach()
        model.zero_grad()
        out, hidden = model(x, hidden)
        loss = loss_fn(out, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), CLIP)
        for p in model.parameters():
            p.data.add_(p.grad, alpha=-LR)
        loss.item()
        if b >= WARMUP:
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
    return 1000 * sum(times) / len(times), 1000 * sum(cpu) / len(cpu)

res = {"torch": torch.__version__, "threads": torch.get_num_threads()}
for k in KINDS:
    res[f"{k.lower()}_ms"], res[f"{k.lower()}_cpu_ms"] = run(k)
print(json.dumps(res))
