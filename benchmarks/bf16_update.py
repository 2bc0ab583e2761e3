"""How much of a TinyLoRA update survives bf16, on SmolLM2-135M-Instruct (CPU), against the size of v.

Run: python benchmarks/bf16_update.py [--sizes 0.001 0.003 0.01 0.03 0.1] [--prompts 8] [--tokens 48] [--groups 4]
A budget-13 adapter with every entry of v at ±SIZE (fixed signs). For each size:
  - merged into bf16 weights (what `merge_tinylora` does on a bf16 model, and what merged rollouts and evaluation see):
    the share of the targeted weights' entries that change at all, and |W_bf16(W + ΔW) − W_bf16| / |ΔW|, the share of
    ΔW's norm that arrives (`delta_survival`);
  - what the update does to the completion tokens' log-probabilities: its effect e = log π(v) − log π(0), exact in fp32
    (the adapter unmerged), against the same effect in a bf16 model, merged and unmerged (the adapter's rank-2 path
    applied in the forward, ΔW x added inside the product's fp32 accumulation): the mean |e|, for each bf16 path the
    mean and largest error |e_bf16 − e_fp32| per token, and the share of the effect that arrives (the regression slope
    of e_bf16 on e_fp32 over all tokens: 1 when the update arrives whole on average, 0 when it is lost);
  - the rollout/training mismatch in bf16: rollouts sampled (temperature 0.7, the cpu preset's) with the adapter merged
    and unmerged, each token's log-probability as the sampler computed it against the training forward's (unmerged,
    teacher-forced): the mean and largest |log π_train − log π_sampler| per token.
The effect's completions are the fp32 base model's greedy ones, scored teacher-forced, so every variant sees the same
tokens; the rollouts are 4 prompts × G samples of up to TOKENS tokens, the same seed for both."""
import argparse, sys
from dataclasses import replace
from pathlib import Path
import torch
from transformers.utils import logging
from tinylora import load_model, inject_tinylora, set_trainable_vector, merge_tinylora, unmerge_tinylora, format_prompt, make_arith_task
from tinylora.grpo import token_logprobs, GRPOConfig, GRPO_PRESETS, rollout
from tinylora.trl_grpo import delta_survival
from tinylora.adapter import adapter_disabled
sys.path.insert(0, str(Path(__file__).parent))
from record import record

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--sizes', type=float, nargs='+', default=[0.001, 0.003, 0.01, 0.03, 0.1])
    ap.add_argument('--prompts', type=int, default=8); ap.add_argument('--tokens', type=int, default=48)
    ap.add_argument('--groups', type=int, default=4, help='samples per prompt in the rollouts (G)')
    a = ap.parse_args(); logging.disable_progress_bar(); torch.manual_seed(0)
    f32, tok = load_model(device='cpu')
    b16, _ = load_model(device='cpu', dtype='bfloat16')
    for m in (f32, b16): inject_tinylora(m, 13)
    tok.padding_side = 'left'
    enc = tok([format_prompt(r['question'], tok) for r in make_arith_task(a.prompts, split='validation', seed=5)],
              return_tensors='pt', padding=True, add_special_tokens=False)
    with torch.no_grad(), adapter_disabled(f32):
        out = f32.generate(**enc, max_new_tokens=a.tokens, min_new_tokens=a.tokens, do_sample=False, pad_token_id=tok.pad_token_id)
    comp = out[:, enc.input_ids.shape[1]:]
    mask = torch.ones_like(comp, dtype=torch.bool)
    lp = lambda m: token_logprobs(m, enc.input_ids, enc.attention_mask, comp, mask).float()
    cfg = GRPOConfig(batch_prompts=4, group_size=a.groups, max_new_tokens=a.tokens, temperature=GRPO_PRESETS['cpu']['temperature'])
    train_rows = make_arith_task(4, split='train', seed=3)
    def mismatch(merge):
        "Mean and largest |log π_train − log π_sampler| per token of bf16 rollouts (merged or not), the training forward unmerged."
        torch.manual_seed(0); b = rollout(b16, tok, train_rows, replace(cfg, merge_rollouts=merge))
        G = cfg.group_size
        lt = token_logprobs(b16, b['prompt_ids'].repeat_interleave(G, 0), b['prompt_mask'].repeat_interleave(G, 0), b['comp_ids'],
                            b['comp_mask'], cfg.temperature).float()
        d = (lt - b['sampler_logp']).abs()[b['comp_mask']]
        return d.mean().item(), d.max().item()
    slope = lambda e, ref: ((e * ref).sum() / (ref * ref).sum()).item()
    signs = torch.where(torch.randn(13, generator=torch.Generator().manual_seed(0)) >= 0, 1.0, -1.0)
    with torch.no_grad():
        with adapter_disabled(f32): base32 = lp(f32)
        with adapter_disabled(b16): base16 = lp(b16)
        rows = []
        for size in a.sizes:
            v = signs * size
            for m in (f32, b16): set_trainable_vector(m, v)
            effect = lp(f32) - base32                       # fp32, adapter unmerged: the exact update's effect
            surv = delta_survival(b16, torch.bfloat16)
            unmerged = lp(b16) - base16
            merge_tinylora(b16)
            try: merged = lp(b16) - base16
            finally: unmerge_tinylora(b16)
            scale = effect.abs().mean().item()
            row = dict(size=size, frac_entries_changed=surv['frac_entries_changed'], rel_norm_arrived=surv['rel_norm_arrived'], effect_mean=scale)
            for k, e in (('merged', merged), ('unmerged', unmerged)):
                err = (e - effect).abs()
                row.update({f'{k}_mean': err.mean().item(), f'{k}_max': err.max().item(), f'{k}_rel': err.mean().item() / scale,
                            f'{k}_slope': slope(e, effect)})
            for k, merge in (('merged', True), ('unmerged', False)):
                row[f'{k}_mismatch_mean'], row[f'{k}_mismatch_max'] = mismatch(merge)
            rows.append(row)
    lines = ['| \\|v\\| | entries changed by merging in bf16 | share of ‖ΔW‖ that arrives | mean \\|e\\| (fp32) | '
             'bf16 merged: error mean / max (relative) | bf16 unmerged: error mean / max (relative) | share of the effect that arrives: merged / unmerged | '
             'rollout mismatch, mean / max: merged | unmerged |', '|---|---|---|---|---|---|---|---|---|']
    for r in rows:
        lines.append(f"| {r['size']:g} | {r['frac_entries_changed']:.3f} | {r['rel_norm_arrived']:.3f} | {r['effect_mean']:.2e} | "
                     + ' | '.join(f"{r[k + '_mean']:.2e} / {r[k + '_max']:.2e} ({r[k + '_rel']:.2f})" for k in ('merged', 'unmerged'))
                     + f" | {r['merged_slope']:.2f} / {r['unmerged_slope']:.2f} | "
                     + ' | '.join(f"{r[k + '_mismatch_mean']:.2e} / {r[k + '_mismatch_max']:.2e}" for k in ('merged', 'unmerged')) + ' |')
    lines += ['', f'Budget-13 adapter, every entry of v at ±|v|; {a.prompts} validation prompts × {a.tokens} completion tokens (the fp32 '
              f'base model\'s greedy completions, teacher-forced). e = log π(v) − log π(0) per token; error: |e_bf16 − e_fp32|, '
              f'relative: its mean over the mean |e|; share of the effect: the slope of e_bf16 on e_fp32. Rollout mismatch: '
              f'mean / largest |log π_train − log π_sampler| per token of 4 × {a.groups} bf16 rollouts (temperature {cfg.temperature}), '
              f'the training forward unmerged; merged rollouts are what `merge_rollouts=True` does, unmerged the default in bf16.']
    table = '\n'.join(lines)
    print(table)
    cmd = f"python benchmarks/bf16_update.py --sizes {' '.join(f'{s:g}' for s in a.sizes)} --prompts {a.prompts} --tokens {a.tokens} --groups {a.groups}"
    record('bf16_update', 'A TinyLoRA update in bf16', cmd, table, dict(rows=rows))

if __name__ == '__main__': main()
