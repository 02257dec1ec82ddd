#!/usr/bin/env bash
# The layers, checked on the built objects (TAP): which object calls which
# is read from their symbol tables (nm: a symbol one object leaves undefined
# and another defines is a call or a use from the first to the second).
#   - the core (lib) uses nothing of the daemon or the CLI;
#   - the daemon uses nothing of the CLI;
#   - no two objects use each other in a loop, directly or through others.
set -u
cd "$(dirname "$0")/../.."
BUILD=${VFIOBUF_BUILD:-build/default}
echo "1..3"
if ! command -v nm >/dev/null || ! ls "$BUILD"/lib/*.o >/dev/null 2>&1; then
	for i in 1 2 3; do echo "ok $i # SKIP no built objects in $BUILD (make first)"; done
	exit 0
fi
python3 - "$BUILD" <<'PY'
import subprocess, sys, glob, os
build = sys.argv[1]
objs = sorted(glob.glob(f"{build}/lib/*.o") + glob.glob(f"{build}/daemon/*.o") +
              glob.glob(f"{build}/cli/*.o"))
defs, uses = {}, {}
for o in objs:
    name = os.path.relpath(o, build)[:-2]
    out = subprocess.run(["nm", o], capture_output=True, text=True).stdout
    uses[name] = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] == "U":
            uses[name].add(parts[1])
        elif len(parts) == 3 and parts[1] in "TDBRC":
            defs.setdefault(parts[2], name)
edges = {n: {defs[s] for s in u if s in defs and defs[s] != n} for n, u in uses.items()}
layer = lambda n: n.split("/")[0]
rank = {"lib": 0, "daemon": 1, "cli": 2}

def report(i, what, bad):
    if bad:
        print(f"not ok {i} - {what}")
        for b in bad[:20]:
            print(f"# {b}")
    else:
        print(f"ok {i} - {what}")

bad = [f"{a} -> {b}" for a in edges for b in edges[a] if layer(a) == "lib" and rank[layer(b)] > 0]
report(1, "the core library uses nothing of the daemon or the CLI", bad)
bad = [f"{a} -> {b}" for a in edges for b in edges[a] if layer(a) == "daemon" and layer(b) == "cli"]
report(2, "the daemon uses nothing of the CLI", bad)

# strongly connected components (Tarjan): a component of more than one
# object is a loop of calls
index, low, stack, on, sccs, n = {}, {}, [], set(), [], [0]
sys.setrecursionlimit(10000)
def visit(v):
    index[v] = low[v] = n[0]; n[0] += 1; stack.append(v); on.add(v)
    for w in edges[v]:
        if w not in index:
            visit(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        c = []
        while True:
            w = stack.pop(); on.discard(w); c.append(w)
            if w == v: break
        if len(c) > 1: sccs.append(sorted(c))
for v in edges:
    if v not in index: visit(v)
report(3, f"no loop of calls among the {len(edges)} objects", [" <-> ".join(c) for c in sccs])
PY
