"""Quote-parent resolution: which earlier post of the thread each quote quotes.

`resolve` holds the pure rule for one quote; `index` the per-thread index the pipeline keeps.
"""
