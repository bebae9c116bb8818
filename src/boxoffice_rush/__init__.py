"""`boxoffice rush`: a load generator that plays a real ticket sale against a running deployment.

It provisions fans, opens the sale, lets every fan join the waiting room, wait, pick and pay for
seats, and then reports throughput, latency, sell-out time and the audit of the invariants.
Only local targets (loopback) are allowed: this tool is a benchmark, not a way to load others.
"""
