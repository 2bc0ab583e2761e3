"""Cost of one loss-surface grid point on SmolLM2-135M-Instruct (CPU), measured side by side in one run.

Run: python benchmarks/surface.py [--repeats N] [--examples N] [--points 1 2 4 8]
Prints medians and ratios for:
  1. seconds per grid point (the SFT loss at one v, adapter forward, no merge) / one plain forward of the frozen
     model over the same tokens
  2. the same with K grid points sharing each forward (the batch stacked K times, one v per block): per-point
     time and the speed-up over one point per forward
  3. the alternative the scan avoids: set v, merge W + dW, plain forward, unmerge, per point."""
import argparse, statistics, sys, time
from pathlib import Path
import torch
from tinylora import load_model, make_arith_task, inject_tinylora, set_trainable_vector, merge_tinylora, unmerge_tinylora
from tinylora.adapter import adapter_disabled
from tinylora.models import DEFAULT_MODEL
from tinylora.sft import sft_collate
from tinylora.surface import surface_examples, point_losses
sys.path.insert(0, str(Path(__file__).parent))
from record import record, paired

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--repeats', type=int, default=5)
    ap.add_argument('--examples', type=int, default=8)
    ap.add_argument('--points', type=int, nargs='+', default=[1, 2, 4, 8])
    a = ap.parse_args()
    torch.manual_seed(0)
    model, tok = load_model(DEFAULT_MODEL)
    inject_tinylora(model, 2)
    exs, _ = surface_examples(tok, make_arith_task(500, split='train'), a.examples)
    batch = sft_collate(exs, tok.pad_token_id)
    n_tok = int(batch['attention_mask'].sum())

    @torch.no_grad()
    def plain():
        with adapter_disabled(model): model(input_ids=batch['input_ids'], attention_mask=batch['attention_mask'])
    @torch.no_grad()
    def merged_point():
        set_trainable_vector(model, torch.tensor([0.1, -0.2])); merge_tinylora(model)
        try: model(input_ids=batch['input_ids'], attention_mask=batch['attention_mask'])
        finally: unmerge_tinylora(model); set_trainable_vector(model, torch.zeros(2))
    scans = {k: (lambda k=k: point_losses(model, exs, torch.randn(k, 2) * 0.3, tok.pad_token_id, micro_batch=len(exs)))
             for k in a.points}
    # The plain forward does not compute the loss; the scan does (cross-entropy over the vocabulary): counted against it.
    times = paired([plain, merged_point, *scans.values()], a.repeats)
    t_plain, t_merged, t_k = times[0], times[1], dict(zip(scans, times[2:]))
    k1 = min(t_k)
    lines = [f'| what | seconds | per point | per point / plain forward | speed-up over {k1} point(s) per forward |', '|---|---|---|---|---|',
             f'| plain forward, frozen model | {t_plain:.3f} | {t_plain:.3f} | 1.00 | |',
             f'| merge + forward + unmerge (per point) | {t_merged:.3f} | {t_merged:.3f} | {t_merged / t_plain:.2f} | |']
    lines += [f'| scan, {k} point(s) per forward | {t:.3f} | {t / k:.3f} | {t / k / t_plain:.2f} | {t_k[k1] / k1 / (t / k):.2f} |'
              for k, t in t_k.items()]
    lines += ['', f'SmolLM2-135M-Instruct, budget 2, {len(exs)} examples ({n_tok} tokens), medians of {a.repeats}, every '
              f'variant timed in turn; the scan computes the loss (cross-entropy over the vocabulary), the plain forward does not.']
    table = '\n'.join(lines)
    print(table)
    record('surface', 'Loss-surface grid points', f"python benchmarks/surface.py --repeats {a.repeats} --examples {a.examples} "
           f"--points {' '.join(map(str, a.points))}", table,
           dict(plain_s=t_plain, merged_s=t_merged, points_s={str(k): t for k, t in t_k.items()}, examples=len(exs), tokens=n_tok))

if __name__ == '__main__': main()
