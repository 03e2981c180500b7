"""The quote graph of a thread: networkx to build it, graphviz `dot` to draw it."""

from __future__ import annotations

import shutil
import subprocess

import networkx as nx
from pymongo.database import Database

from tlcrawl import queries


def quote_graph(db: Database, thread_id: int) -> nx.DiGraph:
    """Posts as nodes (label `#N author`), direct quotes as edges quoting -> quoted. Quoted posts
    of other threads are included, labelled with their thread."""
    posts = queries.thread_posts(db, thread_id)
    graph = nx.DiGraph()
    for post in posts:
        graph.add_node(post["_id"], label=f"#{post['number']} {post['author']}")
    edges = queries.quote_edges(posts)
    outside = sorted({quoted for _, quoted in edges if quoted not in graph})
    for post in queries.posts_by_id(db, outside).values():
        label = f"#{post['number']} {post['author']}\nthread {post['thread_id']}"
        graph.add_node(post["_id"], label=label, external=True)
    for quoting, quoted in edges:
        if quoted in graph:
            weight = (
                graph.edges[quoting, quoted]["weight"] + 1 if graph.has_edge(quoting, quoted) else 1
            )
            graph.add_edge(quoting, quoted, weight=weight)
    return graph


def _quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def to_dot(graph: nx.DiGraph, title: str) -> str:
    """DOT source for the graph, posts top to bottom in thread order."""
    lines = [
        "digraph quotes {",
        f"  label={_quoted(title)}; labelloc=t; rankdir=BT;",
        '  node [shape=box, style="rounded,filled", fillcolor="#eef3fb", fontname="Helvetica"];',
    ]
    for node, data in graph.nodes(data=True):
        extra = ', style="rounded,dashed"' if data.get("external") else ""
        lines.append(f"  p{node} [label={_quoted(data['label'])}{extra}];")
    for quoting, quoted, data in graph.edges(data=True):
        extra = f', label="x{data["weight"]}"' if data["weight"] > 1 else ""
        lines.append(f"  p{quoting} -> p{quoted} [tooltip=quotes{extra}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_svg(dot_source: str) -> bytes:
    """SVG bytes from `dot -Tsvg`; FileNotFoundError when graphviz is not installed."""
    dot = shutil.which("dot")
    if dot is None:
        raise FileNotFoundError("dot")
    done = subprocess.run(
        [dot, "-Tsvg"], input=dot_source.encode(), capture_output=True, check=True
    )
    return done.stdout
