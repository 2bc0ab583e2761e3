"""Write README.md from nbs/index.ipynb (what `nbdev-readme` does, without Quarto).

Markdown cells are copied; code cells become ```python blocks (unless marked `#| hide`), followed by their text output."""
import json
from pathlib import Path

root = Path(__file__).resolve().parent.parent

def cell_md(c):
    src = ''.join(c['source']).strip()
    if c['cell_type'] == 'markdown': return src
    if c['cell_type'] != 'code' or src.startswith('#| hide') or '\n#| hide' in src: return ''
    code = '\n'.join(l for l in src.splitlines() if not l.startswith('#|')).strip()
    outs = ''.join(''.join(o.get('text', '')) for o in c.get('outputs', []) if o.get('output_type') == 'stream').strip()
    return f'```python\n{code}\n```' + (f'\n\n```\n{outs}\n```' if outs else '')

def main():
    nb = json.loads((root/'nbs'/'index.ipynb').read_text())
    body = '\n\n'.join(filter(None, map(cell_md, nb['cells'])))
    header = '<!-- Generated from nbs/index.ipynb by tools/readme.py: edit the notebook, not this file. -->\n\n'
    (root/'README.md').write_text(header + body + '\n')

if __name__ == '__main__': main()
