"""Greedy evaluation through our decoding engine against transformers' `generate`, on the default model (CPU).

Run: python benchmarks/eval_decoding.py [--n 128] [--max-new-tokens 96] [--batch-size 32] [--repeats 2]
The same prompts (the built-in task's validation split, the paper's prompt in the chat template), the same token budget
and batch size, through `tinylora.evaluation.generate` with engine='ours' and engine='transformers', timed in alternating
rounds (this machine's speed drifts), medians reported. Every completion is compared token for token.
Target: ours >= 2x faster, and identical tokens."""
import argparse, statistics, time
import torch
from tinylora import load_model, make_arith_task, format_prompt
from tinylora.evaluation import generate
from record import record

ap = argparse.ArgumentParser()
ap.add_argument('--n', type=int, default=128); ap.add_argument('--max-new-tokens', type=int, default=96)
ap.add_argument('--batch-size', type=int, default=32); ap.add_argument('--repeats', type=int, default=2)
a = ap.parse_args()
model, tok = load_model()
prompts = [format_prompt(r['question'], tok) for r in make_arith_task(a.n, split='validation')]
times, outs = {'ours': [], 'transformers': []}, {}
for rep in range(a.repeats):
    for engine in (('ours', 'transformers') if rep % 2 == 0 else ('transformers', 'ours')):
        t0 = time.perf_counter()
        outs[engine] = generate(model, tok, prompts, a.batch_size, a.max_new_tokens, progress=False, engine=engine)
        times[engine].append(time.perf_counter() - t0)
        print(f'round {rep + 1}: {engine} {times[engine][-1]:.1f} s', flush=True)
ours, hf = (statistics.median(times[k]) for k in ('ours', 'transformers'))
diff = [i for i, (x, y) in enumerate(zip(outs['ours'], outs['transformers'])) if x['ids'].tolist() != y['ids'].tolist()]
tokens = sum(o['n_tokens'] for o in outs['transformers'])
ratio = hf / ours
table = f"""| engine | seconds (median of {a.repeats}) | prompts / s | tokens / s |
|---|---|---|---|
| transformers `generate` | {hf:.1f} | {a.n / hf:.2f} | {tokens / hf:.0f} |
| ours (`sample_groups`, greedy) | {ours:.1f} | {a.n / ours:.2f} | {tokens / ours:.0f} |

{a.n} prompts × {a.max_new_tokens} new tokens, batches of {a.batch_size}: ours is **{ratio:.2f}×** faster (target ≥ 2×:
{'met' if ratio >= 2 else 'not met'}); completions that differ in any token: {len(diff)} of {a.n} (target 0)."""
print(table)
record('eval_decoding', 'Greedy evaluation: our decoding loop against `generate`',
       f'python benchmarks/eval_decoding.py --n {a.n} --max-new-tokens {a.max_new_tokens} --batch-size {a.batch_size} --repeats {a.repeats}',
       table, dict(n=a.n, max_new_tokens=a.max_new_tokens, batch_size=a.batch_size, seconds=times, ratio=ratio,
                   differing=diff, tokens=tokens))
