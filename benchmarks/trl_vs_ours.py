"""Our GRPO against trl.GRPOTrainer on the same small run, side by side: step time, peak memory, final vector.

Run: python benchmarks/trl_vs_ours.py [--steps N] [--model-name M]
Each trainer runs in its own process (so each peak RSS is its own), with the same adapter (budget 13, tiled), data,
batch (4 prompts x 4 samples), completion length, learning rate, clip range and reward. Prints one row per trainer:
median step time (steps after the first), peak resident memory, and the final vector; then the ratios.
The two do not produce the same vector: their samples differ (different generation code and random streams)."""
import argparse, json, os, resource, statistics, subprocess, sys, time
import torch

def run(which, a):
    from tinylora import load_model, make_arith_task, inject_tinylora, trainable_vector
    from tinylora.grpo import GRPOConfig, grpo_step
    torch.manual_seed(0)
    model, tok = load_model(a.model_name)
    cfg = GRPOConfig(model_name=a.model_name, budget=13, batch_prompts=4, group_size=4, micro_batch=2, max_new_tokens=a.tokens,
                     lr=1e-2, temperature=0.7, reward_mode='mixed', format_reward=0.2, max_steps=a.steps)
    rows = make_arith_task(4 * a.steps, split='train')
    inject_tinylora(model, cfg.budget)
    times = []
    if which == 'ours':
        opt = torch.optim.AdamW(list(model.tinylora_vectors), lr=cfg.lr, weight_decay=cfg.weight_decay)
        for s in range(a.steps):
            t = time.perf_counter(); grpo_step(model, tok, opt, None, rows[4 * s:4 * s + 4], cfg); times.append(time.perf_counter() - t)
    else:
        import tempfile, warnings
        from transformers import TrainerCallback
        from tinylora.trl_grpo import trl_train
        class Timer(TrainerCallback):
            def on_step_begin(self, *x, **k): self.t = time.perf_counter()
            def on_step_end(self, *x, **k): times.append(time.perf_counter() - self.t)
        warnings.simplefilter('ignore')
        with tempfile.TemporaryDirectory() as d:
            from trl import GRPOTrainer
            orig = GRPOTrainer.__init__
            def init(self, *x, callbacks=None, **k): orig(self, *x, callbacks=(callbacks or []) + [Timer()], **k)
            GRPOTrainer.__init__ = init
            trl_train(model, tok, rows, cfg, d, save_steps=0, use_cpu=True, disable_tqdm=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(dict(which=which, step_s=statistics.median(times[1:] or times), steps=len(times), peak_mib=peak,
                          v=[round(x, 5) for x in trainable_vector(model).tolist()])))

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--steps', type=int, default=3)
    ap.add_argument('--tokens', type=int, default=64)
    ap.add_argument('--model-name', default='smollm2-135m-instruct')
    ap.add_argument('--which', choices=['ours', 'trl'])
    a = ap.parse_args()
    if a.which: return run(a.which, a)
    res = {}
    for which in ('ours', 'trl'):
        out = subprocess.run([sys.executable, __file__, '--which', which, '--steps', str(a.steps), '--tokens', str(a.tokens),
                              '--model-name', a.model_name], capture_output=True, text=True)
        if out.returncode: sys.exit(f"{which} failed:\n{out.stderr[-3000:]}")
        res[which] = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"{a.model_name}, budget 13, 4 prompts x 4 samples, {a.tokens} tokens, {a.steps} steps, threads {torch.get_num_threads()}")
    print(f"{'trainer':<28}{'step s (median)':>16}{'peak MiB':>10}  final v (first 4)")
    for k, name in (('ours', 'tinylora GRPO'), ('trl', 'trl.GRPOTrainer + our adapter')):
        r = res[k]; print(f"{name:<28}{r['step_s']:>16.2f}{r['peak_mib']:>10.0f}  {r['v'][:4]}")
    print(f"ratio TRL / ours: step time {res['trl']['step_s'] / res['ours']['step_s']:.2f}x, peak memory {res['trl']['peak_mib'] / res['ours']['peak_mib']:.2f}x")

if __name__ == '__main__': main()
