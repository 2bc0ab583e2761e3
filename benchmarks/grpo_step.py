"""One GRPO step on SmolLM2-135M-Instruct (CPU), three ways, measured side by side in one run.

Run: python benchmarks/grpo_step.py [--repeats N] [--skip-trl]
Same 4 prompts x 4 samples, the same 64-token budget, a budget-13 adapter and the same reward everywhere: the `cpu`
preset's (the mean of the strict and flexible exact-match rewards plus 0.2 for a marked answer). This machine's speed drifts, so
the steps are timed in rounds (each of ours and the one-at-a-time step once per round), and our step also runs right
after each of TRL's steps, which is the time TRL is compared with. Peak memory is measured first, each setting in a fresh
process of its own (loading, one batched generation, one warm-up step, then the step whose peak is read), after this
process has made the model's files and factor cache, so no setting's peak holds heap another left or a conversion's:
  ours       batched rollouts (merged weights, one prefill per prompt for its G samples, our decoding loop) + batched update with each
             prompt forwarded once for its G completions (tinylora.grpo)
  one-by-one what the research pack does: generate one sample at a time, re-score each alone, summed log-prob loss
  TRL        trl.GRPOTrainer with PEFT's TinyLoraConfig (the second step, after its set-up and first step)
Our default update does not forward the groups whose rewards are all equal (their loss and gradient are exactly zero:
`skip_zero_advantage`); the one-by-one and TRL steps forward every completion. So the comparisons are printed twice:
with our default, and with every group forwarded (`skip_zero_advantage=False`, the same work as theirs), and the number
of groups our default forwarded (how many are flat depends on the samples: with this reward, some are and some are not).
Targets: ours >= 5x faster than one-by-one and >= 2x faster than TRL; peak RSS of our step <= 1.3x the model's
inference footprint (RSS after loading and one batched generation), at the default micro-batch (2 completions per
forward/backward), for the default and with every group forwarded. Also printed: the peak against the peak RSS of that
inference (both peaks), and, all with every group forwarded, the time and peak of micro_batch=1 and 4, without
`mmap_activations`, with oneDNN's products and with torch's own (`onednn_gemms=True`, `False`; the default chooses by
processor: oneDNN on AMD), with full activations, with torch's products and full activations together, and
with the rollouts decoded by `transformers`' forward and cache instead of our loop (`kv_decoder=False`, the same samples),
with the rollouts' merged weights left in their plain layout instead of oneDNN's blocked one (`packed_weights=False`, the
same samples);
and where our step's time goes: its rollout and its update, each the median of the timed rounds."""
import argparse, gc, json, statistics, subprocess, sys, time
from pathlib import Path
from dataclasses import replace
import torch
from transformers.utils import logging
from tinylora import load_model, inject_tinylora, set_trainable_vector, make_arith_task, format_prompt
from tinylora.grpo import GRPOConfig, GRPO_PRESETS, rollout, grpo_update, score_rollouts
from tinylora.cpu import release_memory, onednn_pays
from tinylora.tying import DEFAULT_TARGETS
from tinylora.inject import merge_tinylora, unmerge_tinylora
sys.path.insert(0, str(Path(__file__).parent))
from record import record, proc_status, reset_peak


P, G, T = 4, 4, 64
REWARD = {k: GRPO_PRESETS['cpu'][k] for k in ('reward_mode', 'format_reward')}   # the cpu preset's reward, for all three

FORWARDED = []              # groups our update forwarded, per step with skip_zero_advantage on

SPLIT = {}                  # setting -> [(rollout seconds, update seconds)] of the timed rounds

def ours_step(model, tok, rows, cfg, opt, name=None):
    t0 = time.perf_counter(); b = rollout(model, tok, rows, cfg)
    t1 = time.perf_counter(); st = grpo_update(model, opt, b, cfg)
    if name: SPLIT.setdefault(name, []).append((t1 - t0, time.perf_counter() - t1))
    if cfg.skip_zero_advantage: FORWARDED.append(st['groups_forwarded'])
    release_memory()          # as the training loop does after every step

def one_by_one_step(model, tok, rows, opt, cfg):
    "Generate and score one sample at a time (the research pack's loop), REINFORCE with summed log-probs."
    opt.zero_grad()
    for r in rows:
        prompt = format_prompt(r['question'], tok)
        enc = tok(prompt, return_tensors='pt', add_special_tokens=False)
        samples = []
        merge_tinylora(model)
        with torch.no_grad():
            for _ in range(G):
                out = model.generate(**enc, max_new_tokens=T, do_sample=True, temperature=1.0, top_k=0, pad_token_id=tok.pad_token_id)
                samples.append(out[0, enc.input_ids.shape[1]:])
        unmerge_tinylora(model)
        rewards = score_rollouts([dict(text=tok.decode(s, skip_special_tokens=True), truncated=False) for s in samples], [r["gold"]] * G, cfg)["reward"]
        adv = rewards - rewards.mean()
        for s, a in zip(samples, adv):
            ids = torch.cat([enc.input_ids[0], s])[None]
            logits = model(ids).logits[0, enc.input_ids.shape[1] - 1:-1].float()
            lp = logits.log_softmax(-1).gather(-1, s[:, None]).sum()
            (-(a * lp) / (len(rows) * G)).backward()
    opt.step()

def trl_step_times(base, tok, rows, repeats, ours, cfg):
    "TRL's step times, and each of `ours` (name -> step) timed right after each of TRL's steps (so the machine's drift hits all alike)."
    from datasets import Dataset
    from peft import TinyLoraConfig
    from trl import GRPOConfig as TRLConfig, GRPOTrainer
    from transformers import TrainerCallback
    from tinylora.trl_grpo import trl_rewards
    times, mine = [], {k: [] for k in ours}
    class Timer(TrainerCallback):
        def on_step_begin(self, *a, **k): self.t = time.perf_counter()
        def on_step_end(self, *a, **k):
            times.append(time.perf_counter() - self.t)
            for k, f in ours.items():
                t = time.perf_counter(); f(); mine[k].append(time.perf_counter() - t)
    ds = Dataset.from_list([dict(prompt=[{'role': 'user', 'content': r['question'] + ' ' + 'Let\'s think step by step and output the final answer after "####".'}],
                                 gold=r['gold']) for r in rows] * (repeats + 1))
    args = TRLConfig(output_dir='/tmp/trl-bench', use_cpu=True, bf16=False, per_device_train_batch_size=P * G, num_generations=G,
                     max_completion_length=T, max_steps=repeats + 1, learning_rate=1e-3, logging_steps=1000, report_to='none',
                     save_strategy='no', epsilon=0.2, epsilon_high=0.4, loss_type='dapo', beta=0.0, temperature=1.0,
                     reward_weights=trl_rewards(cfg)[1],
                     dataloader_num_workers=0, disable_tqdm=True)
    peft_cfg = TinyLoraConfig(r=2, u=1, weight_tying=1 - 13 / 210, target_modules=list(DEFAULT_TARGETS))
    tr = GRPOTrainer(model=base, reward_funcs=trl_rewards(cfg)[0], args=args, train_dataset=ds,
                     processing_class=tok, peft_config=peft_cfg, callbacks=[Timer()])
    tr.train()
    return times[1:], {k: v[1:] for k, v in mine.items()}

def setup():
    "The model (adapter injected in place, vector 0.01), tokenizer, rows, default config, optimiser and inference RSS."
    base, tok = load_model(device='cpu')
    rows = make_arith_task(P, split='train', seed=3)
    prompts = [format_prompt(r['question'], tok) for r in rows for _ in range(G)]
    with torch.no_grad(): base.generate(**tok(prompts, return_tensors='pt', padding=True), max_new_tokens=T, do_sample=False)
    inference_rss = proc_status('VmRSS:')
    cfg = GRPOConfig(batch_prompts=P, group_size=G, max_new_tokens=T, lr=1e-3, **REWARD)   # default micro-batch
    model = base; inject_tinylora(model, 13); set_trainable_vector(model, torch.full((13,), 0.01))   # in place: one copy
    opt = torch.optim.AdamW(list(model.tinylora_vectors), lr=1e-3)
    torch.manual_seed(0)
    return model, tok, rows, cfg, opt, inference_rss

def settings_of(cfg):
    "The default, and the variants of 'every group forwarded' (the same work as the other two steps)."
    full = replace(cfg, skip_zero_advantage=False)
    return {'default': cfg, 'every group forwarded': full, 'micro_batch=1': replace(full, micro_batch=1),
            'micro_batch=4': replace(full, micro_batch=4), 'without mmap_activations': replace(full, mmap_activations=False),
            'oneDNN products (onednn_gemms=True)': replace(full, onednn_gemms=True),
            'torch products (onednn_gemms=False)': replace(full, onednn_gemms=False),
            'full activations (lean_activations=False)': replace(full, lean_activations=False),
            'torch products, full activations': replace(full, onednn_gemms=False, lean_activations=False),
            "transformers' decoding (kv_decoder=False)": replace(full, kv_decoder=False),
            'plain weights in the rollouts (packed_weights=False)': replace(full, packed_weights=False)}

def peak_of(name):
    "Run in a fresh process: the inference RSS, then the peak RSS of one step with setting `name` after a warm-up step."
    model, tok, rows, cfg, opt, inference_rss = setup()
    c = settings_of(cfg)[name]
    ours_step(model, tok, rows, c, opt); gc.collect(); reset_peak()
    ours_step(model, tok, rows, c, opt)
    return dict(inference_rss=inference_rss, peak=proc_status('VmHWM:'))

def main():
    ap = argparse.ArgumentParser(); ap.add_argument('--repeats', type=int, default=3); ap.add_argument('--skip-trl', action='store_true')
    ap.add_argument('--label', default='grpo_step', help='the README section (grpo_step-1, grpo_step-2 for two separate runs)')
    ap.add_argument('--peak-of', help=argparse.SUPPRESS)   # internal: measure one setting's peak in this (fresh) process
    a = ap.parse_args(); logging.disable_progress_bar()
    if a.peak_of: print(json.dumps(peak_of(a.peak_of))); return
    # This process first loads the model and injects the adapter, so that the model's converted files and its factor
    # cache exist before any measured process starts (the first one would otherwise count the conversion's memory).
    model, tok, rows, cfg, opt, inference_rss = setup()
    # Memory next, each setting in a fresh process of its own.
    mem = {}
    for name in settings_of(cfg):
        out = subprocess.run([sys.executable, __file__, '--peak-of', name], capture_output=True, text=True)
        if out.returncode: sys.exit(f'measuring the peak of {name!r} failed:\n{out.stderr[-3000:]}')
        mem[name] = json.loads(out.stdout.strip().splitlines()[-1])
    peaks = {k: v['peak'] for k, v in mem.items()}
    settings = settings_of(cfg); full = settings['every group forwarded']
    ours_step(model, tok, rows, cfg, opt)   # warm-up
    # Time: every setting and the one-at-a-time step once per round, so the machine's drift hits all of them alike.
    times = {k: [] for k in [*settings, 'one-by-one']}
    for _ in range(a.repeats):
        for name, c in settings.items():
            t = time.perf_counter(); ours_step(model, tok, rows, c, opt, name); times[name].append(time.perf_counter() - t)
        t = time.perf_counter(); one_by_one_step(model, tok, rows, opt, cfg); times['one-by-one'].append(time.perf_counter() - t)
    med = {k: statistics.median(v) for k, v in times.items()}
    t_trl = paired = None
    if not a.skip_trl:
        trl, mine = trl_step_times(load_model(device='cpu')[0], tok, rows, a.repeats,
                                   {'default': lambda: ours_step(model, tok, rows, cfg, opt),
                                    'every group forwarded': lambda: ours_step(model, tok, rows, full, opt)}, cfg)
        t_trl, paired = statistics.median(trl), {k: statistics.median(v) for k, v in mine.items()}
    t_ours, t_obo, peak = med['default'], med['one-by-one'], peaks['default']
    ratio = {k: v['peak'] / v['inference_rss'] for k, v in mem.items()}
    t_full = med['every group forwarded']
    ok = lambda c: 'met' if c else 'NOT met'
    lines = ['| step | s/step | ours s/step | ours faster by | target |', '|---|---|---|---|---|',
             f"| one sample at a time (the research pack's loop) / our default | {t_obo:.2f} | {t_ours:.2f} | {t_obo / t_ours:.2f}× | ≥ 5×: {ok(t_obo / t_ours >= 5)} |",
             f"| the same / ours with every group forwarded | {t_obo:.2f} | {t_full:.2f} | {t_obo / t_full:.2f}× | ≥ 5×: {ok(t_obo / t_full >= 5)} |"]
    if t_trl:
        for k, label in (('default', 'TRL `GRPOTrainer` + PEFT `TinyLoraConfig` / our default'), ('every group forwarded', 'the same / ours with every group forwarded')):
            r = t_trl / paired[k]
            lines.append(f"| {label} | {t_trl:.2f} | {paired[k]:.2f} | {r:.2f}× | ≥ 2×: {ok(r >= 2)} |")
    lines += ['', '| our step, every group forwarded | s/step | time / at the defaults | peak RSS MiB | peak / inference footprint |',
              '|---|---|---|---|---|']
    for name in list(settings)[1:]:
        lines.append(f"| {name} | {med[name]:.2f} | {med[name] / t_full:.2f} | {peaks[name] / 2**20:.0f} | {ratio[name]:.2f} |")
    split = {k: [statistics.median(x) for x in zip(*SPLIT[k])] for k in ('default', 'every group forwarded')}
    lines += ['', '| our step | rollout s | update s |', '|---|---|---|',
              *[f"| {k} | {r:.2f} | {u:.2f} |" for k, (r, u) in split.items()]]
    lines += ['', f"{P} prompts × {G} samples, {T} new tokens, reward {REWARD}; medians of {a.repeats} rounds, every setting once per "
              f"round. The default update forwarded {statistics.mean(FORWARDED):.2f} of {P} groups per step (the others were flat); "
              f"the one-at-a-time and TRL steps forward every completion, so the rows with every group forwarded are the same work. "
              f"Inference footprint: {inference_rss / 2**20:.0f} MiB (RSS after loading and one batched generation); our default's peak "
              f"{peak / 2**20:.0f} MiB = {ratio['default']:.2f}× its process's footprint (target ≤ 1.3×: {ok(ratio['default'] <= 1.3)}). "
              f"Each peak is measured in a fresh process of its own, against that process's inference footprint. The defaults here: "
              f"oneDNN's products {'on' if onednn_pays() else 'off'} (on only on AMD processors)."]
    table = '\n'.join(lines)
    print(table)
    record(a.label, f'One GRPO step ({a.label})', f'python benchmarks/grpo_step.py --repeats {a.repeats} --label {a.label}', table,
           dict(times=times, medians=med, peaks=peaks, inference_rss=inference_rss, memory=mem, trl=t_trl, trl_paired=paired,
                forwarded=FORWARDED, split=SPLIT))

if __name__ == '__main__': main()
