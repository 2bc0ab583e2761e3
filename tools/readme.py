"""Write README.md from nbs/index.ipynb (what `nbdev-readme` does, without Quarto).

Markdown cells are copied; code cells become ```python blocks followed by their text output, except that `#| hide`
cells are left out and `#| echo: false` cells show only their output (as markdown with `#| output: asis`). Links to
`images/` are rewritten to `nbs/images/`, since the README sits one folder above the notebook."""
import json, re
from pathlib import Path

root = Path(__file__).resolve().parent.parent

def directives(src):
    return {m.group(1): (m.group(2).strip() or True) for m in re.finditer(r'^#\|\s*([\w-]+)\s*:?(.*)$', src, re.M)}

def cell_md(c):
    src = ''.join(c['source']).strip()
    if c['cell_type'] == 'markdown': return src
    d = directives(src)
    if c['cell_type'] != 'code' or 'hide' in d or d.get('include') == 'false': return ''
    code = '\n'.join(l for l in src.splitlines() if not l.startswith('#|')).strip()
    outs = ''.join(''.join(o.get('text', '')) for o in c.get('outputs', []) if o.get('output_type') == 'stream').strip()
    if d.get('echo') == 'false': return outs if d.get('output') == 'asis' else (f'```\n{outs}\n```' if outs else '')
    return f'```python\n{code}\n```' + (f'\n\n```\n{outs}\n```' if outs else '')

def check_results(nb):
    "The results table saved in index.ipynb must be the one benchmarks/results/ablation.json holds today."
    want = json.loads((root/'benchmarks'/'results'/'ablation.json').read_text())['table'].strip()
    cell = [c for c in nb['cells'] if c['cell_type'] == 'code' and 'ablation.json' in ''.join(c['source'])
            and 'output: asis' in ''.join(c['source'])]
    got = ''.join(''.join(o.get('text', '')) for c in cell for o in c.get('outputs', []) if o.get('output_type') == 'stream').strip()
    if got != want: raise SystemExit("nbs/index.ipynb's saved results table differs from benchmarks/results/ablation.json: "
                                     "run `nbdev-test --save nbs/index.ipynb`, then this script")

def main():
    nb = json.loads((root/'nbs'/'index.ipynb').read_text())
    check_results(nb)
    body = '\n\n'.join(filter(None, map(cell_md, nb['cells'])))
    body = re.sub(r'\]\(images/', '](nbs/images/', body)
    header = '<!-- Generated from nbs/index.ipynb by tools/readme.py: edit the notebook, not this file. -->\n\n'
    (root/'README.md').write_text(header + body + '\n')

if __name__ == '__main__': main()
