"""TinyLoRA adapter costs on SmolLM2-135M-Instruct (CPU), measured side by side in one run.

Run: python benchmarks/adapter.py [--repeats N] [--skip-peft] [--label NAME]
Prints medians and ratios for:
  1. forward+backward with a budget-13 adapter / the frozen model            (target <= 1.10): through the 30 decoder
     layers that hold all 210 adapted modules (loss on the last hidden state), and through the whole model with a
     logsumexp over the 49152 logits (the same unadapted head in both, which dilutes the ratio and whose 200 MB
     softmax buffers make it noisy here)
  2. greedy generation with the adapter merged / the base model              (target <= 1.03)
  3. our adapter forward / PEFT's TinyLoRA forward at matched settings
  4. injecting a budget-13 adapter into all 210 modules / PEFT TinyLoraConfig (target <= 0.10): the first injection
     into a model (empty factor cache: key, Lanczos SVDs, cache write), the same without the cache, a later injection
     (factors read from the cache and checked), and LAPACK's full SVD for reference; with each SVD method's largest
     deviation from an fp64 SVD over all 210 modules
  5. peak extra memory while injecting / the model's weights (target: well under 1, injection must not copy W)."""
import argparse, contextlib, copy, gc, os, statistics, sys, tempfile, time
from pathlib import Path
from unittest import mock
import torch
from transformers.utils import logging
from tinylora import load_model, inject_tinylora, set_trainable_vector, merge_tinylora, unmerge_tinylora, format_prompt
from tinylora.adapter import tinylora_layers
from tinylora.tying import DEFAULT_TARGETS
sys.path.insert(0, str(Path(__file__).parent))
from record import record, paired, proc_status, reset_peak

def med(f, n, warm=1):
    for _ in range(warm): f()
    ts = []
    for _ in range(n):
        t = time.perf_counter(); f(); ts.append(time.perf_counter() - t)
    return statistics.median(ts)

def peak_extra(f):
    "Bytes of resident memory that f() adds at its peak (Linux: resets the peak counter first)."
    reset_peak(); before = proc_status('VmRSS:'); f(); return proc_status('VmHWM:') - before

def factor_errors(models, ref):
    "Largest deviation of each model's singular vectors (left and right) from an fp64 SVD, over all modules."
    from tinylora.adapter import canonicalize_signs
    errs, layers = [0.0] * len(models), [dict(tinylora_layers(model)) for model in models]
    for name, W in ref.items():
        U, s, Vh = torch.linalg.svd(W.double(), full_matrices=False)
        for k, ls in enumerate(layers):
            m = ls[name]
            U0, V0 = canonicalize_signs(U[:, :m.r], Vh[:m.r].T)
            errs[k] = max(errs[k], ((m.B / m.s).double() - U0).abs().max().item(), ((m.A).double() - V0).abs().max().item())
    return errs

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--repeats', type=int, default=5); ap.add_argument('--skip-peft', action='store_true')
    ap.add_argument('--label', default='adapter', help='the README section (adapter-2 for a second separate run)')
    a = ap.parse_args(); logging.disable_progress_bar(); torch.manual_seed(0)
    base, tok = load_model(device='cpu')
    x = torch.randint(0, 49152, (8, 128))
    rows = []

    def fwd_bwd(m, input_grad=False, head=True):
        emb = m.get_input_embeddings()(x).detach()
        def f():
            e = emb.clone().requires_grad_(input_grad)  # the frozen model needs some leaf to differentiate: its input
            if head: out = m(inputs_embeds=e).logits.float().logsumexp(-1).mean()
            else: out = m.model(inputs_embeds=e).last_hidden_state.square().mean()
            out.backward()
        return f
    frozen = copy.deepcopy(base); frozen.requires_grad_(False)
    ad = copy.deepcopy(base)
    model_bytes = sum(p.numel() * p.element_size() for p in base.parameters())
    t0 = time.perf_counter(); mem_inject = peak_extra(lambda: inject_tinylora(ad, 13, factor_cache=False))
    t_inject_exact = time.perf_counter() - t0
    set_trainable_vector(ad, torch.linspace(-0.02, 0.02, 13))
    t_dec, t_dec_frozen = paired([fwd_bwd(ad, head=False), fwd_bwd(frozen, input_grad=True, head=False)], a.repeats)
    t_ad, t_frozen = paired([fwd_bwd(ad), fwd_bwd(frozen, input_grad=True)], a.repeats)
    del frozen; gc.collect()
    rows.append(('fwd+bwd, adapter / frozen: the 30 adapted layers', t_dec, t_dec_frozen, 1.10))
    rows.append(('fwd+bwd, adapter / frozen: with LM head + logsumexp', t_ad, t_frozen, None))
    def timed_inject(cache=True, fresh_cache=False, **kw):
        m = copy.deepcopy(base)
        with contextlib.ExitStack() as stack:
            if fresh_cache:   # an empty cache: the first injection into this model
                stack.enter_context(mock.patch.dict(os.environ, {'TINYLORA_CACHE': stack.enter_context(tempfile.TemporaryDirectory())}))
            t0 = time.perf_counter(); inject_tinylora(m, 13, factor_cache=cache, **kw); t = time.perf_counter() - t0
        del m; gc.collect(); return t
    t_inject_exact = statistics.median([t_inject_exact] + [timed_inject(cache=False) for _ in range(a.repeats - 1)])
    t_inject_first = statistics.median(timed_inject(fresh_cache=True) for _ in range(a.repeats))
    timed_inject()                                  # make sure the factor cache holds this model's factors
    t_inject_cached = statistics.median(timed_inject() for _ in range(a.repeats))

    prompts = [format_prompt(q, tok) for q in ['What is 12 + 7?', 'Tom has 5 apples and eats 2. How many are left?'] * 4]
    enc = tok(prompts, return_tensors='pt', padding=True)
    gen = lambda m: (lambda: m.generate(**enc, max_new_tokens=48, do_sample=False, min_new_tokens=48))
    merge_tinylora(ad)
    with torch.no_grad(): t_merged_gen, t_base_gen = paired([gen(ad), gen(base)], a.repeats)
    unmerge_tinylora(ad)
    rows.append(('generate, merged adapter / base', t_merged_gen, t_base_gen, 1.03))

    lapack = copy.deepcopy(base)
    t0 = time.perf_counter(); inject_tinylora(lapack, 13, svd='lapack', factor_cache=False); t_inject_lapack = time.perf_counter() - t0
    ref = {n: m.base.weight for n, m in tinylora_layers(ad)}
    err_exact, err_lapack = factor_errors([ad, lapack], ref)
    del lapack; gc.collect()

    if not a.skip_peft:
        from peft import TinyLoraConfig, get_peft_model
        pbase = copy.deepcopy(base)
        t0 = time.perf_counter()
        pm = get_peft_model(pbase, TinyLoraConfig(r=2, u=1, weight_tying=1 - 13 / 210, target_modules=list(DEFAULT_TARGETS),
                                                  init_v_bound=0.0))
        t_inject_peft = time.perf_counter() - t0
        n_peft = sum(p.numel() for p in pm.parameters() if p.requires_grad)
        with torch.no_grad():
            for p in pm.parameters():
                if p.requires_grad: p.copy_(torch.full_like(p, 0.01))
        t_ad2, t_peft = paired([fwd_bwd(ad), fwd_bwd(pm.base_model.model)], a.repeats)
        rows.append((f'fwd+bwd, ours / PEFT TinyLoRA ({n_peft} params)', t_ad2, t_peft, None))
        rows.append(('inject 210 modules, first use (empty cache) / PEFT', t_inject_first, t_inject_peft, 0.10))
        rows.append(('inject 210 modules, exact SVD, no cache / PEFT', t_inject_exact, t_inject_peft, 0.10))
        rows.append(('inject 210 modules, factor cache / PEFT', t_inject_cached, t_inject_peft, 0.10))
        rows.append(('inject 210 modules, LAPACK SVD / PEFT', t_inject_lapack, t_inject_peft, None))
    rows.append(('inject, exact (Lanczos) / LAPACK SVD', t_inject_exact, t_inject_lapack, None))

    lines = ['| measure | ours s | reference s | ratio | target |', '|---|---|---|---|---|']
    for name, ours, theirs, tgt in rows:
        ok = '' if tgt is None else f"≤ {tgt}: {'met' if ours / theirs <= tgt else 'NOT met'}"
        lines.append(f"| {name} | {ours:.3f} | {theirs:.3f} | {ours / theirs:.3f} | {ok} |")
    lines += ['', f'SmolLM2-135M-Instruct, CPU fp32; batch 8 × 128 tokens; medians of {a.repeats}, forward/backward and generation timed in '
              f'alternation; PEFT\'s and LAPACK\'s injections timed once. '
              f'Peak extra memory while injecting: {mem_inject / 2**20:.1f} MiB = {mem_inject / model_bytes:.3f}× the model '
              f'weights ({model_bytes / 2**20:.0f} MiB). Singular vectors against an fp64 SVD, largest deviation over all '
              f'{len(ref)} modules: exact (Lanczos) {err_exact:.1e}, fp32 LAPACK {err_lapack:.1e}.']
    table = '\n'.join(lines)
    print(table)
    record(a.label, f'The adapter: overhead, injection and memory ({a.label})', f'python benchmarks/adapter.py --repeats {a.repeats}'
           + (' --skip-peft' if a.skip_peft else '') + (f' --label {a.label}' if a.label != 'adapter' else ''), table,
           dict(rows=[dict(measure=n, ours_s=o, reference_s=t, ratio=o / t, target=g) for n, o, t, g in rows],
                inject_peak_bytes=mem_inject, model_bytes=model_bytes, factor_error_exact=err_exact, factor_error_lapack=err_lapack))

if __name__ == '__main__': main()
