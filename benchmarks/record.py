"""Shared by the benchmarks: save a run's measurements as JSON and write its table into benchmarks/README.md.

Each benchmark owns one section of the README, between `<!-- begin NAME -->` and `<!-- end NAME -->`; `record` replaces
that section (or appends it) with the table it is given, the command, the date and the machine, so that no number in
the README is typed by hand."""
import datetime, json, os, platform, re, statistics, subprocess, time
from pathlib import Path

HERE = Path(__file__).parent

def machine()->str:
    "A one-line description of this machine: CPU model, cores, and the GPU if torch sees one."
    cpu = next((l.split(':', 1)[1].strip() for l in open('/proc/cpuinfo') if l.startswith('model name')), platform.processor()) \
        if Path('/proc/cpuinfo').exists() else platform.processor()
    import torch
    gpu = f", {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ''
    return f"{cpu}, {os.cpu_count()} cores, torch {torch.__version__} ({torch.get_num_threads()} threads){gpu}"

def commit()->str:
    "The checkout's commit (with `+changes` when the tree differs from it)."
    try:
        h = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], capture_output=True, text=True, cwd=HERE).stdout.strip()
        dirty = subprocess.run(['git', 'status', '--porcelain', '--untracked-files=no'], capture_output=True, text=True, cwd=HERE).stdout.strip()
        return h + ('+changes' if dirty else '')
    except OSError: return 'unknown'

def paired(fs, n:int)->list:
    "Medians of each function in fs over n rounds, timed in turn (f1, f2, ..., f1, f2, ...) after one warm-up each, so drift hits all alike."
    for f in fs: f()
    ts = [[] for _ in fs]
    for _ in range(n):
        for t, f in zip(ts, fs):
            t0 = time.perf_counter(); f(); t.append(time.perf_counter() - t0)
    return [statistics.median(t) for t in ts]

def proc_status(key:str)->int:
    "A byte count from /proc/self/status (Linux): `VmRSS:` resident now, `VmHWM:` its peak."
    for line in open('/proc/self/status'):
        if line.startswith(key): return int(line.split()[1]) * 1024
    raise KeyError(f'{key} is not in /proc/self/status')

def reset_peak():
    "Reset this process's peak resident memory (VmHWM) to what is resident now (Linux)."
    with open('/proc/self/clear_refs', 'w') as fh: fh.write('5')

def record(name:str, # the benchmark's name (its section and its JSON file)
           title:str, # the section's heading
           command:str, # the command that produced it
           table:str, # the markdown table (and any lines under it)
           data:dict, # every measurement, saved as results/NAME.json
           at:str|None=None, # the commit the measured code is (default: the checkout's now; a long run takes it when it starts)
          ):
    "Save `data` (with the stamp and the table) and write the section `name` of benchmarks/README.md."
    stamp = dict(date=datetime.date.today().isoformat(), machine=machine(), commit=at or commit(), command=command)
    (HERE/'results').mkdir(exist_ok=True)
    (HERE/'results'/f'{name}.json').write_text(json.dumps(dict(stamp, table=table.strip(), **data), indent=1) + '\n')
    body = (f"<!-- begin {name} -->\n## {title}\n\n`{command}` on {stamp['date']}, commit {stamp['commit']}: {stamp['machine']}.\n\n"
            f"{table.strip()}\n<!-- end {name} -->")
    readme = HERE/'README.md'
    text = readme.read_text() if readme.exists() else '# Benchmarks\n\nEach section is written by the benchmark it names, from the JSON it saves in `results/`.\n'
    pat = re.compile(rf'<!-- begin {re.escape(name)} -->.*?<!-- end {re.escape(name)} -->', re.S)
    text = pat.sub(lambda m: body, text) if pat.search(text) else text.rstrip('\n') + '\n\n' + body + '\n'
    readme.write_text(text)
