"""The ablation behind the `cpu` preset: each configuration trained on the built-in task's train split from the preset
plus its overrides, then evaluated greedily on validation problems beside the untrained model on the same problems
(95% Wilson intervals, exact McNemar paired tests, counts gained and lost, wall times).

    python benchmarks/ablation.py                 # every configuration not yet measured, one after another
    python benchmarks/ablation.py --only sft-30   # one of them
    python benchmarks/ablation.py --table         # print and record the table from what is saved

Each finished configuration is saved in `results/ablation/NAME.json` (so an interrupted ablation goes on where it
stopped); the table of all of them goes to `results/ablation.json` and into benchmarks/README.md. The GRPO chapter
renders the same file. Run it alone on the machine: it is the measurement of record for the preset."""
import argparse, json, re, sys, time
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
from record import record, commit

N_VAL, MAX_NEW = 256, 96   # validation problems and the evaluation's token budget

# name -> (method, overrides of the method's cpu preset, what it tests)
CONFIGS = {
    'sft-30': ('sft', dict(lr=1e-2, batch_size=8, max_steps=30, train_limit=256), 'SFT, 240 examples'),
    'sft-30-lr2e-2': ('sft', dict(lr=2e-2, batch_size=8, max_steps=30, train_limit=256), 'SFT, a larger LR'),
    'sft-60': ('sft', dict(lr=1e-2, batch_size=8, max_steps=60, train_limit=512), 'SFT, 480 examples'),
    'sft-60-cosine': ('sft', dict(lr=1e-2, lr_schedule='cosine', batch_size=8, max_steps=60, train_limit=512),
                      'SFT, 480 examples, the LR decayed to 0 (a settled vector)'),
    'sft-30-seed1': ('sft', dict(lr=1e-2, batch_size=8, max_steps=30, train_limit=256, seed=1), 'SFT, 240 examples, seed 1'),
    'sft-30-seed2': ('sft', dict(lr=1e-2, batch_size=8, max_steps=30, train_limit=256, seed=2), 'SFT, 240 examples, seed 2'),
    'grpo-format-only': ('grpo', dict(reward_mode='format', format_reward=0.0, group_size=8, batch_prompts=4, lr=1e-2,
                                      max_steps=20, train_limit=256, max_new_tokens=64),
                         'GRPO, reward 1 for any marked number (the hack)'),
    'grpo-mixed-f0.2': ('grpo', dict(reward_mode='mixed', format_reward=0.2, truncation_factor=0.5, group_size=8, batch_prompts=4,
                                     lr=1e-2, max_steps=20, train_limit=256, max_new_tokens=64),
                        "GRPO, the preset's reward (partial and format credit, truncation halved)"),
}

def copied_share(records:list)->float:
    "Share of marked answers that are a number from the question and not the gold: the format hack's signature."
    marked = [r for r in records if r['has_format']]
    return sum(r['extracted_strict'] in re.findall(r'\d+', r['question']) and r['strict'] == 0 for r in marked) / max(1, len(marked))

def rollout_trend(run_dir:Path)->dict:
    "Mean rollout reward and flexible accuracy over the first and the last quarter of a GRPO run's steps."
    rows = [json.loads(l) for l in (run_dir/'metrics.jsonl').read_text().splitlines() if l.strip()]
    rows = [r for r in rows if 'reward_mean' in r]
    if not rows: return {}
    q = max(1, len(rows) // 4)
    mean = lambda rs, k: sum(r[k] for r in rs) / len(rs)
    return dict(reward_first=mean(rows[:q], 'reward_mean'), reward_last=mean(rows[-q:], 'reward_mean'),
                flex_first=mean(rows[:q], 'flexible_acc'), flex_last=mean(rows[-q:], 'flexible_acc'))

def baseline(model, tok, val, out:Path)->dict:
    "The untrained model on the validation problems (saved once, with its records)."
    from tinylora.evaluation import evaluate
    f = out/'untrained.json'
    if f.exists(): return json.loads(f.read_text())
    res = evaluate(model, tok, val, max_new_tokens=MAX_NEW, return_records=True, progress=False)
    f.write_text(json.dumps(dict(res, copied=copied_share(res['records']))))
    return res

def run(name:str, out:Path):
    import torch
    from tinylora.models import load_model
    from tinylora.data import make_arith_task, load_qa, parse_qa_spec
    from tinylora.evaluation import evaluate, paired_comparison
    from tinylora.grpo import GRPOConfig, GRPO_PRESETS, grpo_train
    from tinylora.sft import SFTConfig, SFT_PRESETS, sft_train
    from tinylora.runs import make_config
    from tinylora.inject import merge_tinylora, unmerge_tinylora
    method, over, _ = CONFIGS[name]
    cls, presets, train = (GRPOConfig, GRPO_PRESETS, grpo_train) if method == 'grpo' else (SFTConfig, SFT_PRESETS, sft_train)
    cfg = make_config(cls, 'cpu', presets, **over)
    model, tok = load_model()
    val = make_arith_task(N_VAL, level=1, split='validation')
    base = baseline(model, tok, val, out)
    rows = load_qa(parse_qa_spec('arith', split='train', limit=cfg.train_limit, level=cfg.level))
    run_dir = out/'runs'/name
    import shutil; shutil.rmtree(run_dir, ignore_errors=True)
    torch.manual_seed(0)
    t0 = time.time()
    res = train(model, tok, rows, cfg, run_dir, eval_rows=None, progress=False)
    t_train = time.time() - t0
    merge_tinylora(model)
    after = evaluate(model, tok, val, max_new_tokens=MAX_NEW, return_records=True, progress=False)
    unmerge_tinylora(model)
    row = dict(name=name, method=method, overrides=over, steps=res['steps'], train_seconds=t_train, eval_seconds=after['seconds'],
               v=res['v'], after={k: v for k, v in after.items() if k != 'records'}, paired=paired_comparison(base['records'], after['records']),
               copied=copied_share(after['records']), commit=commit(), **(rollout_trend(run_dir) if method == 'grpo' else {}))
    (out/f'{name}.json').write_text(json.dumps(row, indent=1) + '\n')
    print(f"{name}: strict {after['strict_acc']:.3f} (p={row['paired']['strict_p']:.2g}), flex {after['flexible_acc']:.3f}, "
          f"trunc {after['truncation_rate']:.3f}, train {t_train:.0f} s", flush=True)

def iv(r:dict, k:str)->str: return f"{r[k]:.3f} [{r[k + '_lo']:.3f}, {r[k + '_hi']:.3f}]"

def table(out:Path):
    base = json.loads((out/'untrained.json').read_text())
    rows = [json.loads((out/f'{n}.json').read_text()) for n in CONFIGS if (out/f'{n}.json').exists()]
    head = '| configuration | strict | gained/lost (p) | flexible (p) | format | truncated | copied | train s |\n|---|---|---|---|---|---|---|---|\n'
    lines = [f"| untrained | {iv(base, 'strict_acc')} | | {iv(base, 'flexible_acc')} | {iv(base, 'format_rate')} | "
             f"{iv(base, 'truncation_rate')} | {base['copied']:.2f} | |"]
    for r in rows:
        a, p = r['after'], r['paired']
        trend = f"; rollout reward {r['reward_first']:.3f} → {r['reward_last']:.3f}" if 'reward_first' in r else ''
        lines.append(f"| `{r['name']}`: {CONFIGS[r['name']][2]}, {r['steps']} steps{trend} | {iv(a, 'strict_acc')} | "
                     f"+{p['strict_gained']}/−{p['strict_lost']} ({p['strict_p']:.2g}) | {iv(a, 'flexible_acc')} ({p['flexible_p']:.2g}) | "
                     f"{iv(a, 'format_rate')} | {iv(a, 'truncation_rate')} | {r['copied']:.2f} | {r['train_seconds']:.0f} |")
    text = head + '\n'.join(lines) + (f"\n\n{N_VAL} validation problems, greedy, {MAX_NEW} new tokens; p: exact McNemar against the "
                                      "untrained model on the same problems; [lo, hi]: 95% Wilson intervals; copied: share of marked answers that are a wrong number "
                                      "taken from the question.")
    print(text)
    record('ablation', 'The cpu preset ablation', 'python benchmarks/ablation.py', text,
           dict(n_val=N_VAL, max_new_tokens=MAX_NEW, untrained={k: v for k, v in base.items() if k != 'records'}, rows=rows))

if __name__ == '__main__':
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--only', nargs='*', choices=list(CONFIGS), help='configurations to run (default: all not yet saved)')
    ap.add_argument('--table', action='store_true', help='only print and record the table of the saved results')
    args = ap.parse_args()
    out = HERE/'results'/'ablation'; out.mkdir(parents=True, exist_ok=True)
    if not args.table:
        for name in args.only or [n for n in CONFIGS if not (out/f'{n}.json').exists()]: run(name, out)
    table(out)
