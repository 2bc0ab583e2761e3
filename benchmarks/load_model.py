"""Load time of the offline default model: from the safetensors cache vs dequantising the GGUF each time.

Run: python benchmarks/load_model.py [--repeats N]
Target: loading from the cache takes <= 3 s on 2 CPU cores."""
import argparse, statistics, time
import torch
from transformers import AutoModelForCausalLM, AutoTokenizer
from transformers.utils import logging
from tinylora.models import load_model, cached_gguf_model, gguf_path

def timed(f, n):
    ts = []
    for _ in range(n):
        t = time.perf_counter(); r = f(); ts.append(time.perf_counter() - t); del r
    return statistics.median(ts)

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--repeats', type=int, default=3); a = ap.parse_args()
    logging.disable_progress_bar()
    cached_gguf_model()  # make sure the cache exists: its one-time conversion is not what is measured
    g = gguf_path()
    def from_gguf():
        tok = AutoTokenizer.from_pretrained(g.parent, gguf_file=g.name)
        return AutoModelForCausalLM.from_pretrained(g.parent, gguf_file=g.name, dtype=torch.float32), tok
    cache_s = timed(lambda: load_model(device='cpu'), a.repeats)
    gguf_s = timed(from_gguf, a.repeats)
    rows = [('load_model() from the cache', cache_s, 1.0), ('transformers from the GGUF', gguf_s, gguf_s / cache_s)]
    print(f'median of {a.repeats} loads, torch threads {torch.get_num_threads()}')
    print(f"{'method':32} {'seconds':>8} {'x cache':>8}")
    for name, s, r in rows: print(f'{name:32} {s:8.2f} {r:8.1f}')
    print(f"target: cache load <= 3 s: {'met' if cache_s <= 3 else 'NOT met'} ({cache_s:.2f} s)")

if __name__ == '__main__': main()
