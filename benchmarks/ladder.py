"""Time the update-size ladder as a whole command, as a user runs it, alone on the machine.

    python benchmarks/ladder.py --quick --root-dir /tmp/ladder-quick      # tinylora_sweep --quick
    python benchmarks/ladder.py --root-dir /tmp/ladder-full               # tinylora_sweep --sizes all (the whole ladder)

Runs `tinylora_sweep` in a fresh folder (or `--resume`s an interrupted one), measures the command's wall time and the
largest resident memory of any of its processes, and writes its section of benchmarks/README.md: the time of every
point, the sweep's own time over all its invocations, and the peak. The sweep folder is kept (its results/ are what the
ladder tutorial renders)."""
import argparse, csv, json, resource, shutil, subprocess, sys, time
from pathlib import Path

from record import commit, record

def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--root-dir', required=True, help='the sweep folder (kept)')
    ap.add_argument('--quick', action='store_true', help='the quick ladder (tinylora_sweep --quick); default: --sizes all')
    ap.add_argument('--resume', action='store_true', help='continue an interrupted ladder in --root-dir')
    ap.add_argument('--label', default=None, help="the README section (default: ladder-quick or ladder-full)")
    a, extra = ap.parse_known_args()
    label = a.label or ('ladder-quick' if a.quick else 'ladder-full')
    exe = shutil.which('tinylora_sweep', path=str(Path(sys.executable).parent)) or 'tinylora_sweep'
    cmd = [exe, '--root-dir', a.root_dir, *(['--quick'] if a.quick else ['--sizes', 'all']), *(['--resume'] if a.resume else []), *extra]
    shown = ' '.join(['tinylora_sweep', *cmd[1:]])
    print(shown, flush=True)
    at, t0 = commit(), time.perf_counter()   # the code that runs is the code of the start
    rc = subprocess.run(cmd).returncode
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024   # the largest of the command's processes (Linux: KiB)
    root = Path(a.root_dir)
    made = root/'results'/'sweep.csv'
    if not (root/'sweep_meta.json').is_file() or not made.is_file() or made.stat().st_mtime < time.time() - wall:
        sys.exit(f"the command wrote no results (exit status {rc}); nothing recorded")   # never a table from an earlier run
    rows = list(csv.DictReader(open(made)))
    best = json.loads((root/'results'/'best.json').read_text())
    test_s = sum(float(r.get('seconds') or 0) for r in json.loads((root/'test'/'summary.json').read_text())['results']) \
        if (root/'test'/'summary.json').is_file() else 0.0
    points_s = sum(float(r['wall_seconds'] or 0) for r in rows)
    by = {}
    for r in rows: by.setdefault((r['size'], r['method']), []).append(r)
    lines = ['| size | trained numbers | method | points | done | failed | minutes (all its points) |', '|---|---|---|---|---|---|---|']
    for (size, method), rs in by.items():
        lines.append(f"| {size} | {rs[0]['update_params'] or rs[0]['budget']} | {method} | {len(rs)} | {sum(r['status'] == 'done' for r in rs)} | "
                     f"{sum(r['status'] == 'failed' for r in rs)} | {sum(float(r['wall_seconds']) for r in rs) / 60:.1f} |")
    table = '\n'.join(lines) + (
        f"\n\nThe ladder's work: its {len(rows)} points {points_s / 60:.1f} min (each point's own time over its attempts), the final test "
        f"({best['test']['limit'] if best.get('test') else 0} {best['test']['split'] if best.get('test') else ''} problems, the untrained "
        f"model and each size's best LR) {test_s / 60:.1f} min. The sweep's recorded time over all its invocations: "
        f"{(best.get('wall_seconds') or 0) / 60:.1f} min; this command: {wall / 60:.1f} min wall (exit status {rc}). "
        f"Peak resident memory of any of its processes: {peak / 2**30:.2f} GiB. Results in `{root}/results/`.")
    record(label, f"The update-size ladder as one command ({label})", shown, table,
           dict(wall_seconds=wall, sweep_seconds=best.get('wall_seconds'), points_seconds=points_s, test_seconds=test_s, peak_rss_bytes=peak, returncode=rc,
                points=[{k: r[k] for k in ('run_id', 'size', 'method', 'lr', 'status', 'wall_seconds', 'update_params')} for r in rows]), at=at)
    print(table)
    sys.exit(rc)

if __name__ == '__main__': main()
