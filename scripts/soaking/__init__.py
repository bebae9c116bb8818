"""The soak behind `scripts/soak`: a steady mixed load for minutes, and what each process holds.

Run it as `scripts/soak` (or `python -m scripts.soaking` from the repository's root):
`__main__` wires the parts, `deployment` starts the servers, `fans` and `shop` play the load,
`procs` and `sampler` read /proc, `report` judges the growth and writes the summary.
"""
