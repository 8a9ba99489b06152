"""Write README.md from nbs/index.ipynb (nbdev_readme needs quarto, which cannot be installed here).

Usage: python tools/make_readme.py [--check]   (--check: exit 1 if README.md is out of date)
"""
import re, sys
from pathlib import Path
import nbformat

ROOT = Path(__file__).resolve().parents[1]
DIRECTIVE = re.compile(r'^\s*#\s*\|.*$\n?', re.M)

def join(text) -> str: return (''.join(text) if isinstance(text, list) else text).rstrip()   # a notebook text field

def readme_text(nb_path=ROOT/'nbs'/'index.ipynb') -> str:
    "Markdown of the index notebook: markdown cells verbatim, shown code cells fenced (not with `#| echo: false`),\n    markdown outputs verbatim, other text outputs fenced, hidden cells dropped."
    nb = nbformat.read(nb_path, as_version=4)
    parts = ['<!-- generated from nbs/index.ipynb by tools/make_readme.py: edit the notebook, not this file -->']
    for cell in nb.cells:
        src = cell.source
        if cell.cell_type == 'markdown': parts.append(src.strip())
        elif cell.cell_type == 'code':
            if re.search(r'^\s*#\s*\|\s*(hide|export)', src, re.M): continue
            code = DIRECTIVE.sub('', src).strip()
            if code and not re.search(r'^\s*#\s*\|\s*echo:\s*false', src, re.M): parts.append(f"```python\n{code}\n```")
            for out in cell.get('outputs', []):
                if 'text/markdown' in out.get('data', {}): parts.append(join(out['data']['text/markdown'])); continue
                text = out.get('text') or out.get('data', {}).get('text/plain')
                if text: parts.append("```\n" + join(text) + "\n```")
    return '\n\n'.join(parts) + '\n'

if __name__ == '__main__':
    text, readme = readme_text(), ROOT/'README.md'
    if '--check' in sys.argv:
        if not readme.exists() or readme.read_text() != text:
            sys.exit("README.md is out of date with nbs/index.ipynb: run `python tools/make_readme.py` and commit it")
    else: readme.write_text(text)
