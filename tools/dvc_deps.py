"""Derive each DVC stage's code deps from the package's imports, so dvc.yaml cannot drift from the code.

Why: the `deps:` of dvc.yaml were written by hand and drifted from the imports: a stage whose module came to
import, say, checkpoint.py did not re-run when checkpoint.py changed, and a stage still listing a module it no
longer imports re-ran for nothing. This tool takes the module each stage runs (`python -m facediv.X` in its
cmd), follows the package-internal imports of facediv/X.py with `ast` (module-level and function-local,
relative and absolute; cycles are fine; __init__.py and _modidx.py are ignored, so a bare `import facediv`
adds nothing) and compares that closure with the stage's facediv/*.py deps. Other deps (data, models,
metrics, non-.py files) are never judged and are kept as written.

Usage (paths default to the repo root, the parent of tools/):
  python tools/dvc_deps.py --check   exit 1 naming each drifted stage's missing and extra code deps
  python tools/dvc_deps.py --write   rewrite the drifted stages' `deps:` in dvc.yaml, in place
  python tools/dvc_deps.py --graph   print each stage's module and its code deps (for docs)
  options: --dvc-yaml PATH (default dvc.yaml), --package DIR (default facediv)
Exit status: 0 in sync, 1 drift (--check), 2 a stage that cannot be resolved (the message names it).

--write edits the text line by line (no yaml.dump): every other line, comment and the stage order stay put.
A drifted stage's deps, flow (`[a, b]`, over one or more lines) or block style, become a block list: its
non-code deps as written, then its module, then the other code deps sorted. Comments in the old list are kept
(an item's own comment stays on it). Only the set of code deps is judged, not their order, so --check passes
exactly when --write would change nothing, and a second --write is a no-op.
"""
import argparse, json, re, sys
from pathlib import Path
from typing import NamedTuple
import yaml
# One import rule for DVC's code deps and for resume (core.code_version hashes the same closure), so the two agree.
from facediv.core import imported_modules, module_closure as closure

ROOT = Path(__file__).resolve().parents[1]
COMMENT = re.compile(r'(?:^|\s)(#.*)$')

class StageError(Exception): pass

class Stage(NamedTuple):
    modules: list   # the package modules its cmd runs, e.g. ['normalize']
    declared: list  # its deps as dvc.yaml has them
    code: list      # the code deps its imports call for: its module(s) first, then the rest sorted
    wanted: list    # its non-code deps as written, then `code`

    def drift(self):
        "(missing, extra) code deps. Non-code deps are copied into `wanted`, so they never count."
        return [d for d in self.wanted if d not in self.declared], [d for d in self.declared if d not in self.wanted]

def plan(doc: dict, pkg: Path) -> dict:
    "{stage name: Stage}; raises StageError naming every stage whose module cannot be found."
    prefix = pkg.name + '/'  # dvc.yaml sits at the repo root, next to the package: code deps read facediv/x.py
    is_code = lambda d: isinstance(d, str) and re.fullmatch(re.escape(prefix) + r'[^/]+\.py', d)
    out, errors = {}, []
    for name, st in ((doc or {}).get('stages') or {}).items():
        cmd = (st or {}).get('cmd', '')
        cmd = ' '.join(cmd) if isinstance(cmd, list) else str(cmd)
        mods = list(dict.fromkeys(re.findall(rf'\bpython3?\s+-m\s+{re.escape(pkg.name)}\.(\w+)', cmd)))
        absent = [f'{prefix}{m}.py' for m in mods if not (pkg/f'{m}.py').is_file()]
        if not mods: errors.append(f"stage {name!r}: its cmd runs no `python -m {pkg.name}.<module>`: {cmd!r}")
        elif absent: errors.append(f"stage {name!r}: its cmd runs a module whose file does not exist: {', '.join(absent)}")
        if not mods or absent: continue
        deps = st.get('deps') or []
        code = [f'{prefix}{m}.py' for m in mods] + sorted(f'{prefix}{m}.py' for m in closure(mods, pkg) - set(mods))
        out[name] = Stage(mods, deps, code, [d for d in deps if not is_code(d)] + code)
    if errors: raise StageError('\n'.join(errors))
    return out

def indent(line): return len(line) - len(line.lstrip(' '))
def content(line): return line.strip() and not line.lstrip().startswith('#')
def comment(line):
    m = COMMENT.search(line)
    return m[1] if m else None

def deps_span(lines, stage):
    "(start, end, key indent, item indent or None) of `stage`'s deps lines; start == end: it has none, insert there."
    top = next((i for i, l in enumerate(lines) if re.match(r'stages:\s*(#.*)?$', l)), len(lines))
    end = next((i for i in range(top + 1, len(lines)) if content(lines[i]) and indent(lines[i]) == 0), len(lines))
    rows = [i for i in range(top + 1, end) if content(lines[i])]
    heads = [i for i in rows if indent(lines[i]) == indent(lines[rows[0]])] + [end] if rows else [end]
    for h, nxt in zip(heads, heads[1:]):
        m = re.match(r'\s*(.+?)\s*:\s*(#.*)?$', lines[h])
        if not m or m[1].strip('\'"') != stage: continue
        body = [i for i in rows if h < i < nxt]
        if not body: break
        b = indent(lines[body[0]])
        for i in (i for i in body if indent(lines[i]) == b and re.match(r' *deps\s*:', lines[i])):
            rest = COMMENT.sub('', lines[i].split(':', 1)[1]).strip()
            if rest.startswith('['):  # flow list: up to the line that closes the bracket
                j, depth = i, 0
                while (depth := depth + COMMENT.sub('', lines[j]).count('[') - COMMENT.sub('', lines[j]).count(']')) > 0: j += 1
                return i, j + 1, b, None
            if rest: raise StageError(f"stage {stage!r}: cannot rewrite deps that are not a list: {lines[i].strip()!r}")
            items = [j for j in body if j > i]  # block list: its items (and their continuations) up to the next key
            items = items[:next((t for t, j in enumerate(items)
                                 if indent(lines[j]) < b or indent(lines[j]) == b and not lines[j].lstrip().startswith('-')), len(items))]
            return i, (items[-1] + 1 if items else i + 1), b, (indent(lines[items[0]]) if items else None)
        return body[-1] + 1, body[-1] + 1, b, None  # no deps key: append one to the stage
    raise StageError(f"stage {stage!r}: no `{stage}:` line found under `stages:` to rewrite its deps")

def scalar(d):
    "`d` as a block-list item: plain where YAML reads it back as itself, else double-quoted."
    try: plain = yaml.safe_load(f'- {d}') == [d]
    except yaml.YAMLError: plain = False
    return d if plain else json.dumps(d)

def render_deps(old, wanted, b, item_indent):
    "Block-style lines of a deps list of `wanted`, keeping the comments of the `old` lines it replaces."
    head, kept, loose = (comment(old[0]) if old else None), {}, []
    for line in old[1:]:
        m = re.match(r'\s*-\s+(.+?)\s*(#.*)?$', line)
        if m and m[2]: kept[m[1].strip('\'"')] = m[2]  # `- path  # why`: stays on its item
        elif comment(line): loose.append(comment(line))
    pad = ' ' * (b + 2 if item_indent is None else item_indent)
    return ([' ' * b + 'deps:' + (f'  {head}' if head else '')] + [pad + c for c in loose]
            + [pad + f'- {scalar(d)}' + (f'  {kept[d]}' if d in kept else '') for d in wanted])

def rewrite(text, stages):
    "(`text` with the drifted stages' deps rewritten, their names); checks the result parses to the intended document."
    lines, fixes = text.splitlines(), {}
    for name, st in stages.items():
        if any(st.drift()):
            if not all(isinstance(d, str) for d in st.wanted): raise StageError(f"stage {name!r}: a dep is not a path")
            fixes[name] = deps_span(lines, name)
    for name, (a, z, b, ii) in sorted(fixes.items(), key=lambda kv: -kv[1][0]):  # bottom up: spans stay valid
        lines[a:z] = render_deps(lines[a:z], stages[name].wanted, b, ii)
    out = '\n'.join(lines) + ('\n' if text.endswith('\n') else '')
    old, new = yaml.safe_load(text), yaml.safe_load(out)
    for name in fixes: old['stages'][name]['deps'] = stages[name].wanted
    if old != new: raise StageError('internal error: the rewrite would change more than the deps; nothing written')
    return out, list(fixes)

def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    act = p.add_mutually_exclusive_group(required=True)
    act.add_argument('--check', action='store_true', help='exit 1 if any stage\'s code deps differ from its imports')
    act.add_argument('--write', action='store_true', help='rewrite the drifted stages\' deps in dvc.yaml')
    act.add_argument('--graph', action='store_true', help='print each stage\'s module and its code deps')
    p.add_argument('--dvc-yaml', type=Path, help='default: dvc.yaml at the repo root')
    p.add_argument('--package', type=Path, help='default: facediv at the repo root')
    args = p.parse_args(argv)
    dvc, pkg = args.dvc_yaml or ROOT/'dvc.yaml', (args.package or ROOT/'facediv').resolve()
    text = dvc.read_text()
    try:
        stages = plan(yaml.safe_load(text), pkg)
        if args.graph:
            for name, st in stages.items():
                print(f"{name}: {', '.join(f'{pkg.name}.{m}' for m in st.modules)} -> {', '.join(st.code)}")
        elif args.write:
            out, fixed = rewrite(text, stages)
            if fixed: dvc.write_text(out)
            print(f"dvc_deps: rewrote the deps of {len(fixed)} stage(s) in {dvc}: {', '.join(fixed)}" if fixed
                  else f"dvc_deps: {dvc} already matches the imports; nothing written")
        else:
            bad = {name: st.drift() for name, st in stages.items() if any(st.drift())}
            for name, (missing, extra) in bad.items():
                print(f"{dvc}: stage {name!r} ({pkg.name}.{stages[name].modules[0]}): code deps differ from its imports")
                if missing: print(f"  missing: {', '.join(missing)}")
                if extra: print(f"  extra:   {', '.join(extra)}")
            if bad:
                opts = ''.join(f' {o} {v}' for o, v in (('--dvc-yaml', args.dvc_yaml), ('--package', args.package)) if v)
                print(f"fix: python tools/dvc_deps.py --write{opts}")
                return 1
            print(f"dvc_deps: OK: the code deps of all {len(stages)} stages in {dvc} match their imports")
    except (StageError, SyntaxError) as e:
        print(f"dvc_deps: error: {e}", file=sys.stderr)
        return 2
    return 0

if __name__ == '__main__': sys.exit(main())
