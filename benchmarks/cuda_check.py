"""The adapter and GRPO on a CUDA device: correctness checks on the tiny model, then one GRPO step timed on a
randomly initialised model of SmolLM2-135M's shape (fp32 and bf16).

Run: python benchmarks/cuda_check.py [--tokenizer DIR] [--config FILE] [--repeats N]
  --tokenizer  a folder with the default model's tokenizer (default: the tinylora cache, made from the GGUF)
  --config     a config.json of the model to time (default: the cached default model's)
Prints one line per check (value, tolerance, ok) and a table of step times and peak GPU memory; exits 1 if a check fails.
"""
import argparse, statistics, sys, tempfile, time
from pathlib import Path
import torch
from transformers import AutoModelForCausalLM, LlamaConfig
from transformers.utils import logging
import tinylora.models as tm_models
from tinylora import inject_tinylora, set_trainable_vector, merge_tinylora, unmerge_tinylora, make_arith_task
from tinylora.adapter import svd_factors_many, tinylora_layers
from tinylora.grpo import (GRPOConfig, rollout, grpo_update, grpo_train, group_logprobs, token_logprobs,
                          completion_mask)
from tinylora.cpu import lean_activations
from tinylora.decoding import sample_groups

failed = []
def check(name, value, tol):
    ok = value <= tol
    if not ok: failed.append(name)
    print(f'{name:62} {value:10.2e}  <= {tol:.0e}  {"ok" if ok else "FAILED"}', flush=True)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--tokenizer'); ap.add_argument('--config'); ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--device', default='cuda', help="'cpu' runs the checks here (a dry run of the script)")
    ap.add_argument('--skip-timing', action='store_true')
    a = ap.parse_args(); logging.disable_progress_bar()
    dev = a.device
    if dev == 'cuda' and not torch.cuda.is_available(): sys.exit('no CUDA device: this script checks the CUDA path (--device cpu for a dry run)')
    if a.tokenizer: tm_models.cached_gguf_tokenizer = lambda gguf=None: Path(a.tokenizer)
    print(f'{torch.cuda.get_device_name() if dev == "cuda" else dev}, torch {torch.__version__}, transformers {__import__("transformers").__version__}')

    # 1. Lanczos SVD factors on the GPU against LAPACK's on the CPU
    g = torch.Generator().manual_seed(0)
    Ws = [torch.randn(*s, generator=g) for s in [(192, 576), (576, 576), (1536, 576), (576, 1536)] * 3]
    gpu = svd_factors_many([w.to(dev) for w in Ws], 2)
    cpu = svd_factors_many(Ws, 2, method='lapack')
    err = max(max((u.cpu() - u0).abs().max().item(), (v.cpu() - v0).abs().max().item()) for (u, _, v), (u0, _, v0) in zip(gpu, cpu))
    check('SVD factors: exact (Lanczos) on cuda vs LAPACK on cpu', err, 1e-4)

    # 2. The tiny model: forward = merged forward, merge/unmerge bit-exact (fp32, bf16)
    for dtype in (torch.float32, torch.bfloat16):
        m, tok = tm_models.tiny_model(seed=1, dtype=dtype, device=dev)
        inject_tinylora(m, 3, v_init='normal', v_init_std=0.05, factor_cache=False)
        x = torch.randint(0, len(tok), (3, 17), device=dev)
        w0 = {n: l.base.weight.clone() for n, l in tinylora_layers(m)}
        with torch.no_grad():
            y = m(x).logits.float(); merge_tinylora(m); ym = m(x).logits.float(); unmerge_tinylora(m)
        check(f'{dtype}: adapter forward vs merged weights (max |logit diff| / max |logit|)', ((y - ym).abs().max() / y.abs().max()).item(),
              1e-5 if dtype == torch.float32 else 3e-2)
        check(f'{dtype}: unmerge restores every weight bit for bit (bad layers)',
              sum(not torch.equal(l.base.weight, w0[n]) for n, l in tinylora_layers(m)), 0)

    # 3. The update's log-probs and gradient (lean activations) against one plain forward per completion (fp32: on a
    #    GPU the tiny model would default to bf16, where the two orders of summation differ by bf16 rounding)
    m, tok = tm_models.tiny_model(seed=2, dtype=torch.float32, device=dev)
    inject_tinylora(m, 3, v_init='normal', v_init_std=0.05, factor_cache=False)
    tok.padding_side = 'left'
    enc = tok(['What is 2 + 3?', 'A longer question: what is 12 + 30, exactly?'], return_tensors='pt', padding=True,
              add_special_tokens=False).to(dev)
    G = 3
    comp = torch.randint(0, len(tok), (6, 5), generator=g).to(dev)
    cmask = completion_mask([5, 1, 3, 4, 2, 5], 5).to(dev)
    wts = torch.randn(6, 5, generator=g).to(dev)
    ref = token_logprobs(m, enc.input_ids.repeat_interleave(G, 0), enc.attention_mask.repeat_interleave(G, 0), comp, cmask, 0.7)
    (ref * wts).sum().backward(); g_ref = torch.cat([p.grad.clone() for p in m.tinylora_vectors])
    for p in m.tinylora_vectors: p.grad = None
    with lean_activations(m):
        lp = group_logprobs(m, enc.input_ids, enc.attention_mask, comp, cmask, 4, 0.7, loss_fn=lambda lp, rows: (lp * wts[rows]).sum())
    grad = torch.cat([p.grad for p in m.tinylora_vectors])
    check('group_logprobs (lean activations) vs token_logprobs: log-probs', (lp - ref.detach()).abs().max().item(), 1e-4)
    check('  gradient of v (relative)', ((grad - g_ref).abs().max() / g_ref.abs().max()).item(), 1e-4)

    # 4. Sampling at T -> 0 is greedy decoding
    ids, _ = sample_groups(m, enc.input_ids, enc.attention_mask, 2, 8, {tok.eos_token_id}, tok.pad_token_id, greedy=True)
    gen = m.generate(input_ids=enc.input_ids.repeat_interleave(2, 0), attention_mask=enc.attention_mask.repeat_interleave(2, 0),
                     max_new_tokens=8, do_sample=False, pad_token_id=tok.pad_token_id)[:, enc.input_ids.shape[1]:]
    check('sample_groups at T=1e-6 vs greedy generate (differing tokens)', (ids != gen[:, :ids.shape[1]]).sum().item(), 0)
    ids_hf, _ = sample_groups(m, enc.input_ids, enc.attention_mask, 2, 8, {tok.eos_token_id}, tok.pad_token_id, greedy=True,
                              own_loop=False)
    check('  the same through transformers\' forward (differing tokens)', (ids_hf != gen[:, :ids_hf.shape[1]]).sum().item(), 0)

    # 4b. Flat groups left out of the update: the same vector as with every group forwarded
    vs = []
    for skip in (True, False):
        set_trainable_vector(m, torch.full((3,), 0.05))
        c = GRPOConfig(group_size=2, batch_prompts=2, max_new_tokens=6, micro_batch=2, lr=0.1, skip_zero_advantage=skip)
        torch.manual_seed(0); b = rollout(m, tok, make_arith_task(2), c); b['reward'] = torch.tensor([1., 0., 1., 1.])
        grpo_update(m, torch.optim.AdamW(list(m.tinylora_vectors), lr=0.1), b, c)
        vs.append(torch.cat([p.detach().cpu().reshape(-1) for p in m.tinylora_vectors]))
    check('update without the flat group vs with it: vector (relative)', ((vs[0] - vs[1]).abs().max() / vs[1].abs().max()).item(), 1e-6)

    # 5. A short GRPO run on the tiny model, with a run folder
    with tempfile.TemporaryDirectory() as d:
        cfg = GRPOConfig(model_name='tiny', budget=3, batch_prompts=2, group_size=4, max_new_tokens=8, lr=0.05, max_steps=3,
                         checkpoint_every_steps=2, eval_every=0, eval_limit=4, reward_mode='mixed', format_reward=0.5)
        out = grpo_train(m, tok, make_arith_task(8, seed=1), cfg, run_dir=Path(d)/'run', eval_rows=make_arith_task(4, split='test'),
                         progress=False)
        files = sorted(p.name for p in (Path(d)/'run').iterdir())
    check(f'grpo_train, 3 steps on {dev}: steps missing (files: {", ".join(files)})', 3 - len(out['metrics']), 0)
    check('  non-finite numbers in its metrics', sum(not torch.isfinite(torch.tensor(float(v))).item() for r in out['metrics']
                                                   for v in r.values() if isinstance(v, (int, float))), 0)

    # 6. One GRPO step on a model of SmolLM2-135M's shape (random weights: every completion runs to the limit)
    if a.skip_timing or dev != 'cuda':
        print('\nall checks passed' if not failed else f'\nFAILED: {failed}'); sys.exit(1 if failed else 0)
    cfg_path = Path(a.config) if a.config else tm_models.cached_gguf_model()/'config.json'
    rows = make_arith_task(4, split='train', seed=3)
    print(f"\n{'SmolLM2-135M shape, random weights':38} {'rollout s':>10} {'update s':>9} {'step s':>8} {'peak GiB':>9} {'/ inference':>12}")
    for dtype in (torch.float32, torch.bfloat16):
        big = AutoModelForCausalLM.from_config(LlamaConfig.from_json_file(cfg_path), dtype=dtype).to(dev)
        big, _ = tm_models.prepare_for_generation(big, tok)
        prompts = tok([r['question'] for r in rows for _ in range(4)], return_tensors='pt', padding=True).to(dev)
        torch.cuda.reset_peak_memory_stats()
        with torch.no_grad(): big.generate(**prompts, max_new_tokens=64, do_sample=False)
        inf = torch.cuda.max_memory_allocated()
        inject_tinylora(big, 13, factor_cache=False); set_trainable_vector(big, torch.full((13,), 0.01))
        opt = torch.optim.AdamW(list(big.tinylora_vectors), lr=1e-3)
        c = GRPOConfig(batch_prompts=4, group_size=4, max_new_tokens=64, lr=1e-3, skip_zero_advantage=False)   # (random weights: all flat)
        ts = []
        for i in range(a.repeats + 1):
            if i == 1: torch.cuda.reset_peak_memory_stats()
            torch.cuda.synchronize(); t0 = time.perf_counter(); b = rollout(big, tok, rows, c)
            torch.cuda.synchronize(); t1 = time.perf_counter(); grpo_update(big, opt, b, c)
            torch.cuda.synchronize(); t2 = time.perf_counter()
            if i: ts.append((t1 - t0, t2 - t1))
        pk = torch.cuda.max_memory_allocated()
        r_, u_ = statistics.median(t[0] for t in ts), statistics.median(t[1] for t in ts)
        print(f'{str(dtype):38} {r_:10.2f} {u_:9.2f} {r_ + u_:8.2f} {pk / 2**30:9.2f} {pk / inf:12.2f}', flush=True)
        del big, opt; torch.cuda.empty_cache()
    print('\nall checks passed' if not failed else f'\nFAILED: {failed}')
    sys.exit(1 if failed else 0)

if __name__ == '__main__': main()
