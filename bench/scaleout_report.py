"""Render bench/out/scaleout.json into the generated section of docs/scaling.md (stub)."""
def render(results): pass
def failures(results): return []
