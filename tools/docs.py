"""The docs site without Quarto: render nbdev's processed notebooks (`_proc/`, from `nbdev-proc-nbs`) to HTML, and check
the pages in headless Chromium.

    nbdev-proc-nbs                 # nbdev's own processing: show_doc cells, directives, `#| exec_doc` cells executed
    python tools/docs.py render    # _proc/*.ipynb -> _site/*.html, with the sidebar of nbs/sidebar.yml
    python tools/docs.py check     # every page: no console errors, API docs for every exported symbol, figures drawn

Where Quarto is installed, `nbdev-docs` builds the real site from the same `_proc/` (see the README). This renderer is
the stand-in our machines can run: it honours the directives Quarto does (`echo`, `output`, `include`, `hide`), renders
maths to MathML, and draws plotly figures with the plotly.js that ships with the `plotly` package (no network)."""
import html, importlib, json, re, shutil, sys, uuid
from pathlib import Path

import yaml

root = Path(__file__).resolve().parent.parent
PROC, SITE, NBS = root/'_proc', root/'_site', root/'nbs'

# ---------------------------------------------------------------------------------------------------------------- render
_CODE = re.compile(r'(```.*?```|`[^`\n]*`)', re.S)
_MATH = re.compile(r'\$\$(.+?)\$\$|(?<![\\$\w])\$([^$\n]+?)\$(?![\w$])', re.S)
_ATTRS = re.compile(r'\{target="_blank"[^}]*\}')

def math_to_mathml(md:str)->str:
    "Replace $...$ and $$...$$ outside code with MathML (Chromium draws it natively)."
    from latex2mathml.converter import convert
    def conv(m):
        tex, display = (m.group(1), 'block') if m.group(1) is not None else (m.group(2), 'inline')
        return convert(tex.strip(), display=display).replace('\n', '')
    return ''.join(p if _CODE.fullmatch(p) else _MATH.sub(conv, p) for p in _CODE.split(md))

def _directives(src:str)->tuple[dict, str]:
    d, keep = {}, []
    for l in src.splitlines():
        m = re.match(r'#\|\s*([\w-]+)\s*:?\s*(.*)$', l)
        if m: d[m.group(1)] = m.group(2).strip() or True
        else: keep.append(l)
    return d, '\n'.join(keep).strip()

def _plotly_html(fig:dict)->str:
    i = f'plotly-{uuid.uuid4().hex[:8]}'
    return (f'<div id="{i}" class="plotly-figure"></div><script>Plotly.newPlot("{i}", {json.dumps(fig.get("data", []))}, '
            f'{json.dumps(fig.get("layout", {}))}, {{responsive: true}});</script>')

WIDGET_NOTE = ('<div class="widget-note">An interactive widget: it runs in Jupyter, VS Code or Voilà '
               '(<code>tinylora_surface_app</code>); on the Quarto site its saved state is shown.</div>')

def prepare(nb:dict)->tuple[dict, str]:
    "Apply Quarto's directives to a processed notebook, turn math and plotly outputs into HTML; return it and its title."
    cells, title = [], ''
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'raw' and src.startswith('---'):
            fm = yaml.safe_load(src.strip().strip('-')) or {}
            title = fm.get('title', '')
            head = f"# {title}\n\n" + (f"> {fm['description']}\n" if fm.get('description') else '')
            cells.append(dict(cell_type='markdown', metadata={}, source=math_to_mathml(head), id='title')); continue
        if c['cell_type'] == 'markdown':
            cells.append(dict(c, source=math_to_mathml(_ATTRS.sub('', src)))); continue
        if c['cell_type'] != 'code': continue
        d, code = _directives(src)
        if 'hide' in d or d.get('include') == 'false': continue
        outs = []
        for o in c.get('outputs', []) if d.get('output') != 'false' else []:
            data = o.get('data', {})
            if 'application/vnd.plotly.v1+json' in data:
                o = dict(output_type='display_data', metadata={}, data={'text/html': _plotly_html(data['application/vnd.plotly.v1+json'])})
            elif 'application/vnd.jupyter.widget-view+json' in data:
                o = dict(output_type='display_data', metadata={}, data={'text/html': WIDGET_NOTE})
            elif 'cdn.plot.ly' in ''.join(data.get('text/html', '')):
                continue                      # plotly's loader for Jupyter pages; this site serves plotly.js itself
            elif 'text/markdown' in data:
                o = dict(o, data={'text/markdown': math_to_mathml(_ATTRS.sub('', ''.join(data['text/markdown'])))})
            outs.append(o)
        meta = dict(c.get('metadata', {}), tags=['remove_input'] if d.get('echo') == 'false' or not code else [])
        cells.append(dict(c, source=code, outputs=outs, metadata=meta))
    clean = []
    for k, c in enumerate(cells):             # only the fields nbformat allows (nbdev adds its own)
        keep = ('cell_type', 'metadata', 'source') + (('outputs', 'execution_count') if c['cell_type'] == 'code' else ('attachments',))
        meta = {m: v for m, v in c.get('metadata', {}).items() if m in ('tags', 'jupyter')}
        clean.append(dict({f: c[f] for f in keep if f in c}, metadata=meta, id=c.get('id') or f'cell-{k}'))
        if c['cell_type'] == 'code': clean[-1].setdefault('execution_count', None)
    return dict(nb, cells=clean), title

def sidebar()->list[tuple[str, list[str]]]:
    "The sidebar's sections and pages, from nbs/sidebar.yml."
    res, loose = [], []
    for item in yaml.safe_load((NBS/'sidebar.yml').read_text())['website']['sidebar']['contents']:
        if isinstance(item, dict): res.append((item['section'], item['contents']))
        else: loose.append(item)
    return ([('', loose)] if loose else []) + res

def page_name(nb_name:str, nb:dict)->str:
    "The page a notebook becomes: its `output-file` (nbdev drops the number) or its own name."
    raw = next((''.join(c['source']) for c in nb['cells'] if c['cell_type'] == 'raw'), '')
    m = re.search(r'^output-file:\s*(\S+)', raw, re.M)
    return m.group(1) if m else Path(nb_name).stem + '.html'

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title} – tinylora</title>
<script src="plotly.min.js"></script><style>{css}</style></head>
<body><nav class="sidebar"><a class="home" href="index.html">tinylora</a>{nav}</nav><main>{body}</main></body></html>"""
CSS = """body{display:flex;margin:0;font-family:system-ui,sans-serif;line-height:1.5}
nav.sidebar{width:250px;flex:none;padding:1em;background:#f5f6f8;min-height:100vh;font-size:14px}
nav.sidebar a{display:block;color:#234;text-decoration:none;padding:2px 0} nav.sidebar a.current{font-weight:bold}
nav.sidebar .section{margin-top:1em;color:#678;font-size:12px;text-transform:uppercase} nav.sidebar a.home{font-size:18px}
main{max-width:980px;padding:1em 2em;overflow-x:auto} pre{background:#f7f7f7;padding:.6em;overflow-x:auto}
table{border-collapse:collapse} td,th{border:1px solid #ccc;padding:2px 6px} img{max-width:100%}
.jp-InputPrompt,.jp-OutputPrompt{display:none} .widget-note{padding:.5em;border:1px dashed #aab;color:#456}"""

def render():
    "Every processed notebook to a page in _site/, with the sidebar and the images they link."
    import nbformat, plotly
    from nbconvert import HTMLExporter
    from traitlets.config import Config
    if not PROC.is_dir(): sys.exit("no _proc/ folder: run `nbdev-proc-nbs` first")
    if SITE.exists(): shutil.rmtree(SITE)
    SITE.mkdir()
    shutil.copy(Path(plotly.__file__).parent/'package_data'/'plotly.min.js', SITE/'plotly.min.js')
    if (PROC/'images').is_dir(): shutil.copytree(PROC/'images', SITE/'images')
    cfg = Config(); cfg.TagRemovePreprocessor.remove_input_tags = {'remove_input'}; cfg.TagRemovePreprocessor.enabled = True
    exporter = HTMLExporter(config=cfg, template_name='basic')
    pages, titles = {}, {}
    for f in sorted(PROC.glob('*.ipynb')):
        nb = json.loads(f.read_text())
        prepared, titles[f.name] = prepare(nb)
        pages[f.name] = (page_name(f.name, nb), exporter.from_notebook_node(nbformat.from_dict(prepared))[0])
    for name, (page, body) in pages.items():
        nav = ''
        for section, items in sidebar():
            if section: nav += f'<div class="section">{html.escape(section)}</div>'
            for it in items:
                if it not in pages: sys.exit(f"nbs/sidebar.yml names {it}, which is not a notebook in nbs/")
                cls = ' class="current"' if it == name else ''
                nav += f'<a href="{pages[it][0]}"{cls}>{html.escape(titles[it] or it)}</a>'
        (SITE/page).write_text(PAGE.format(title=html.escape(titles[name] or name), css=CSS, nav=nav, body=body))
    print(f"rendered {len(pages)} pages into {SITE}")

# ---------------------------------------------------------------------------------------------------------------- check
def public_symbols():
    "(page, qualified name, object) of every public function, class or constant that nbdev's index lists as exported."
    from tinylora._modidx import d
    for mod, syms in d['syms'].items():
        m = importlib.import_module(mod)
        for full, (url, _) in syms.items():
            name = full[len(mod) + 1:]
            if '.' not in name and not name.startswith('_'): yield url.split('#')[0], full, getattr(m, name, None)

def expected_symbols()->dict:
    "Page -> the public symbols its notebook exports (each needs its show_doc there), from nbdev's index."
    res = {}
    for page, full, _ in public_symbols(): res.setdefault(page, []).append(full.rsplit('.', 1)[-1])
    return res

def undocumented()->list[str]:
    "Public exported functions and classes without a docstring, or with a named parameter without a docment."
    import inspect
    from fastcore.docments import docments
    bad = []
    for _, full, obj in public_symbols():
        if obj is None or not callable(obj): continue
        fn = getattr(obj, '__wrapped__', obj)
        if not inspect.getdoc(fn): bad.append(f"{full}: no docstring"); continue
        docs = {}
        for k in (reversed([c for c in fn.__mro__ if c.__module__.startswith('tinylora')]) if inspect.isclass(fn) else [fn]):
            docs.update({a: b for a, b in docments(k, full=True).items() if b['docment'] or a not in docs})
        params = inspect.signature(fn).parameters
        named = [a for a, p in params.items() if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and a != 'self']
        lacking = [a for a in named if not (docs.get(a) or {}).get('docment')]
        if lacking: bad.append(f"{full}: no docment for {', '.join(lacking)}")
    return bad

def check():
    "Open every page in headless Chromium; fail on console errors, missing API docs, images or plots that did not draw."
    from concurrent.futures import ThreadPoolExecutor
    from playwright.sync_api import sync_playwright
    chromium = shutil.which('chromium') or shutil.which('chromium-browser')
    if not chromium: sys.exit("the docs check needs Chromium (apt install chromium)")
    in_sidebar = [it for _, items in sidebar() for it in items]
    missing = sorted({f.name for f in NBS.glob('*.ipynb') if not f.name.startswith('_')} - set(in_sidebar))
    if missing: sys.exit(f"notebooks missing from nbs/sidebar.yml: {', '.join(missing)}")
    symbols = expected_symbols()
    problems = undocumented()
    figures = {'index.html': 1, 'adapter.html': 1, 'tying.html': 1, 'sweep.html': 1, 'reproduce.html': 2,
               'surface_tutorial.html': 3, 'ladder_tutorial.html': 1}   # pages and the figures (images + plots) they must show at least
    if problems: sys.exit('exported symbols without docs:\n' + '\n'.join(problems))
    def run():
        problems, report = [], []
        with sync_playwright() as pw:
            br = pw.chromium.launch(executable_path=chromium, args=['--no-sandbox'])
            for page_file in sorted(SITE.glob('*.html')):
                pg = br.new_page(); errs = []
                pg.on('console', lambda m: errs.append(m.text) if m.type == 'error' else None)
                pg.on('pageerror', lambda e: errs.append(str(e)))
                pg.on('requestfailed', lambda r: errs.append(f'failed to load {r.url}'))
                pg.goto(page_file.as_uri()); pg.wait_for_load_state('load')
                info = pg.evaluate("""() => ({
                    h1: document.querySelector('h1')?.textContent || '',
                    h3: [...document.querySelectorAll('h3')].map(h => h.textContent.trim()),
                    imgs: [...document.images].map(i => [i.src.slice(0, 60), i.complete && i.naturalWidth > 0]),
                    plots: document.querySelectorAll('.plotly-figure').length,
                    drawn: document.querySelectorAll('.plotly-figure .main-svg').length,
                    links: [...document.querySelectorAll('nav a')].map(a => a.getAttribute('href')),
                    math: document.querySelectorAll('math').length})""")
                name = page_file.name
                if errs: problems.append(f"{name}: console errors: {errs[:3]}")
                if not info['h1']: problems.append(f"{name}: no title")
                bad = [s for s, ok in info['imgs'] if not ok]
                if bad: problems.append(f"{name}: images that did not load: {bad}")
                if info['plots'] and info['drawn'] < info['plots']: problems.append(f"{name}: {info['plots'] - info['drawn']} plotly figures not drawn")
                dead = [l for l in info['links'] if not (SITE/l).is_file()]
                if dead: problems.append(f"{name}: sidebar links to missing pages {dead}")
                if len(info['imgs']) + info['plots'] < figures.get(name, 0):
                    problems.append(f"{name}: {len(info['imgs']) + info['plots']} figures, expected at least {figures[name]}")
                report.append((name, len(info['h3']), len(info['imgs']), info['plots'], info['math']))
                pg.close()
            br.close()
        return problems, report
    with ThreadPoolExecutor(1) as ex: problems, report = ex.submit(run).result()
    for page, syms in symbols.items():
        page = SITE/page
        text = page.read_text() if page.is_file() else ''
        heads = set(re.findall(r'<h3[^>]*>(.*?)(?:<a class="anchor-link".*?)?</h3>', text, re.S))
        heads = {re.sub('<[^>]+>', '', h).strip() for h in heads}
        lacking = [s for s in syms if s not in heads]
        if lacking: problems.append(f"{page.name}: no API docs (show_doc) for {', '.join(lacking)}")
    print(f"{'page':28} {'api docs':>8} {'images':>7} {'plots':>6} {'maths':>6}")
    for r in report: print(f"{r[0]:28} {r[1]:8} {r[2]:7} {r[3]:6} {r[4]:6}")
    if problems: sys.exit('docs check failed:\n' + '\n'.join(problems))
    print(f"docs check passed: {len(report)} pages, API docs with docments for {sum(map(len, symbols.values()))} exported symbols")

if __name__ == '__main__':
    cmds = dict(render=render, check=check)
    if len(sys.argv) != 2 or sys.argv[1] not in cmds: sys.exit(__doc__)
    cmds[sys.argv[1]]()
