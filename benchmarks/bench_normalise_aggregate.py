"""Normalisation and aggregation on 3000 units × 10 years × 200 indicators, 5 % missing.

Prints wall (min of 5) and CPU time per method and scope.  Run: python benchmarks/bench_normalise_aggregate.py
"""
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from evalkit import aggregate as A, normalise as N  # noqa: E402
rng=np.random.default_rng(0)
x=rng.normal(size=(3000,10,200)); x[rng.random(x.shape)<0.05]=np.nan
dirs=np.array(['benefit','cost','target','benefit']*50)
tl=np.where(dirs=='target',-0.5,np.nan); th=np.where(dirs=='target',0.5,np.nan)
gl=np.full(200,-2.); gu=np.full(200,2.)
def tm(f):
    w,c=[],[]
    for _ in range(5):
        t0,c0=time.perf_counter(),time.process_time(); f(); w.append(time.perf_counter()-t0); c.append(time.process_time()-c0)
    return f"wall {min(w):.3f} s  cpu {min(c):.3f} s"
for name,f in N.METHODS.items():
    for scope in N.SCOPES:
        print(f"normalise.{name:9s} {scope:5s}", tm(lambda: f(x,direction=dirs,target_lo=tl,target_hi=th,goalpost_lo=gl,goalpost_hi=gu,scope=scope)))
s=rng.uniform(0,100,size=(3000,10,200)); s[rng.random(s.shape)<0.05]=np.nan
w=rng.dirichlet(np.ones(200))
for name,f in A.METHODS.items():
    print(f"aggregate.{name:10s} 200 children", tm(lambda: f(s,w,lo=0.0,hi=100.0)))
blocks=[np.ascontiguousarray(s[..., 5*k:5*k+5]) for k in range(40)]
for name,f in A.METHODS.items():
    print(f"aggregate.{name:10s} 40 nodes × 5 children", tm(lambda: [f(b,np.full(5,.2),lo=0.0,hi=100.0) for b in blocks]))
