#!/usr/bin/env python3
# Import circles among the server's modules: builds the graph of which file uses
# which (from `use` trees and inline paths through crate::server::, super::, self::
# and child modules), prints every strongly connected component with its edges,
# and exits 1 if there is one. A module and the files of its own directory count
# as separate modules. Usage: scripts/import-circles.py [src] [-v]
# GRAN=unit groups auth/, db/, config/ and services/<x>/ into one node each.
import re,os,sys,glob,collections
args=[a for a in sys.argv[1:] if a!='-v']
root=args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)),'..','src')
verbose='-v' in sys.argv
SPLIT=('services','security','routes','auth','db','config')
GRAN=os.environ.get('GRAN','file')
def unit_of_parts(parts):
    if not parts: return 'server'
    if GRAN=='file': return '/'.join(parts)
    if parts[0] in ('services','security','routes') and len(parts)>1:
        return parts[0]+'/'+parts[1]
    return parts[0]
def mod_parts(path):
    rel=os.path.relpath(path,root+'/server')
    parts=rel[:-3].split('/')
    if parts[-1]=='mod': parts=parts[:-1]
    return parts
files=glob.glob(root+'/server/**/*.rs',recursive=True)
units={unit_of_parts(mod_parts(f)) for f in files}
def expand(tree):
    # expand a use tree "a::{b, c::{d, e}}" into paths
    tree=tree.strip()
    i=tree.find('{')
    if i<0: return [tree]
    prefix=tree[:i]
    depth=0; j=i
    for k in range(i,len(tree)):
        if tree[k]=='{': depth+=1
        elif tree[k]=='}':
            depth-=1
            if depth==0: j=k; break
    inner=tree[i+1:j]
    parts=[];d=0;cur=''
    for ch in inner:
        if ch=='{': d+=1
        if ch=='}': d-=1
        if ch==',' and d==0: parts.append(cur); cur=''
        else: cur+=ch
    parts.append(cur)
    out=[]
    for p in parts:
        if p.strip(): out+= [prefix+x for x in expand(p)]
    return out
edges=collections.defaultdict(set)
for f in files:
    mp=mod_parts(f); u=unit_of_parts(mp)
    s=re.sub(r'//.*','',open(f).read())
    k=s.find('#[cfg(test)]\nmod tests')
    if k>=0: s=s[:k]
    # inline modules (`mod responses { use super::X; }`): their `super` is this file
    while True:
        m=re.search(r'\bmod\s+\w+\s*\{',s)
        if not m: break
        i=m.end(); d=1
        while d and i<len(s):
            if s[i]=='{': d+=1
            elif s[i]=='}': d-=1
            i+=1
        inner=s[m.end():i-1].replace('super::','self::')
        s=s[:m.start()]+inner+s[i:]
    paths=[]
    for m in re.finditer(r'\buse\s+([^;]+);',s,flags=re.S):
        paths+=expand(re.sub(r'\s+','',m.group(1)))
    # inline paths in code
    paths+=re.findall(r'\b(?:crate|super)(?:::\w+)+',s)
    # child modules named without a prefix (`store::Limits` in security/mod.rs)
    if f.endswith('mod.rs') or f.endswith('/server/mod.rs'):
        for child in re.findall(r'^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;', s, flags=re.M):
            if re.search(r'(?<![\w:])'+child+r'::', s):
                paths.append('self::'+child)
    # the module path of this file, to resolve super::
    # for mod.rs files, the module is the dir; super = parent of dir
    for p in paths:
        segs=p.split('::')
        if segs[0]=='crate':
            if len(segs)<2 or segs[1]!='server': continue
            target=segs[2:]
        elif segs[0]=='super':
            base=mp[:]
            while segs and segs[0]=='super':
                base=base[:-1]; segs=segs[1:]
            target=base+segs
        elif segs[0]=='self':
            target=mp+segs[1:]
        else: continue
        # longest prefix that is a unit
        t=None
        if GRAN=='file':
            for n in range(len(target),0,-1):
                if '/'.join(target[:n]) in units: t='/'.join(target[:n]); break
        else:
          for n in (2,1):
            if len(target)>=n and unit_of_parts(target[:n]) in units and (n==1 or target[0] in ('services','security','routes')):
                t=unit_of_parts(target[:n]); break
        if t and t!=u and t!='server': edges[u].add(t)
idx={};low={};st=[];on=set();sccs=[];c=[0]
sys.setrecursionlimit(10000)
def sc(v):
    idx[v]=low[v]=c[0];c[0]+=1;st.append(v);on.add(v)
    for w in sorted(edges[v]):
        if w not in idx: sc(w); low[v]=min(low[v],low[w])
        elif w in on: low[v]=min(low[v],idx[w])
    if low[v]==idx[v]:
        comp=[]
        while True:
            w=st.pop();on.discard(w);comp.append(w)
            if w==v: break
        sccs.append(comp)
for v in sorted(units):
    if v not in idx: sc(v)
big=[sorted(x) for x in sccs if len(x)>1]
total=0
for comp in big:
    inner=[(a,b) for a in comp for b in sorted(edges[a]) if b in comp]
    total+=len(inner)
    print(f'{len(comp)} modules in a circle ({len(inner)} edges): '+', '.join(comp))
    if verbose:
        for a,b in inner: print('   ',a,'->',b)
if not big: print('no import circles among the server modules')
else:
    print('edges inside circles:',total)
    sys.exit(1)
