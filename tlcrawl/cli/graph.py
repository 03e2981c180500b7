"""The quote graph of a thread or of a window of it: networkx builds it, graphviz `dot` draws it."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import networkx as nx

from tlcrawl import queries

# Output formats by file name; None: the DOT source itself (needs no graphviz).
FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": None, ".gv": None}
# Beyond this many posts a drawing is unreadable (and dot takes minutes): draw a window instead.
MAX_POSTS = 400


def output_format(path: Path) -> str | None:
    """dot's -T format for the file name; KeyError for a name ending in anything else."""
    return FORMATS[path.suffix.lower()]


def around(posts: list[dict], number: int, depth: int) -> list[dict]:
    """The posts at most `depth` quotes away from post `number` (either direction, this thread)."""
    by_id = {post["_id"]: post for post in posts}
    links = nx.Graph()
    links.add_nodes_from(by_id)
    links.add_edges_from((a, b) for a, b in queries.quote_edges(posts) if b in by_id)
    center = next(post["_id"] for post in posts if post["number"] == number)
    near = nx.single_source_shortest_path_length(links, center, cutoff=depth)
    return [post for post in posts if post["_id"] in near]


def quote_graph(posts: list[dict], outside: dict[int, dict]) -> nx.DiGraph:
    """The given posts as nodes (label `#N author`), direct quotes as edges quoting -> quoted.
    Quoted posts that are not among them (`outside`: earlier posts or other threads) are drawn
    dashed, labelled with their thread when it is another one."""
    graph = nx.DiGraph()
    thread_ids = {post["thread_id"] for post in posts}
    for post in posts:
        graph.add_node(post["_id"], **_node(post, thread_ids))
    edges = queries.quote_edges(posts)
    for quoted in sorted({quoted for _, quoted in edges if quoted not in graph}):
        if quoted in outside:
            graph.add_node(quoted, **_node(outside[quoted], thread_ids), external=True)
    for quoting, quoted in edges:
        if quoted in graph:
            weight = (
                graph.edges[quoting, quoted]["weight"] + 1 if graph.has_edge(quoting, quoted) else 1
            )
            graph.add_edge(quoting, quoted, weight=weight)
    return graph


def _node(post: dict, thread_ids: set[int]) -> dict:
    label = f"#{post['number']} {post['author']}"
    if post["thread_id"] not in thread_ids:
        label += f"\nthread {post['thread_id']}"
    if post.get("deleted_at"):
        label += "\n[deleted]"
    return {"label": label, "url": post.get("url"), "tip": queries.first_line(post.get("text"))}


def _quoted(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def to_dot(graph: nx.DiGraph, title: str) -> str:
    """DOT source for the graph, posts top to bottom in thread order, each linked to its post."""
    lines = [
        "digraph quotes {",
        f"  label={_quoted(title)}; labelloc=t; rankdir=BT;",
        '  node [shape=box, style="rounded,filled", fillcolor="#eef3fb", fontname="Helvetica"];',
    ]
    for node, data in graph.nodes(data=True):
        extra = ', style="rounded,dashed"' if data.get("external") else ""
        if data.get("url"):
            extra += f", URL={_quoted(data['url'])}, target=_blank"
        if data.get("tip"):
            extra += f", tooltip={_quoted(data['tip'][:200])}"
        lines.append(f"  p{node} [label={_quoted(data['label'])}{extra}];")
    for quoting, quoted, data in graph.edges(data=True):
        extra = f', label="x{data["weight"]}"' if data["weight"] > 1 else ""
        lines.append(f"  p{quoting} -> p{quoted} [tooltip=quotes{extra}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def render(dot_source: str, fmt: str) -> bytes:
    """The drawing from `dot -T<fmt>`; FileNotFoundError when graphviz is not installed."""
    dot = shutil.which("dot")
    if dot is None:
        raise FileNotFoundError("dot")
    done = subprocess.run(
        [dot, f"-T{fmt}"], input=dot_source.encode(), capture_output=True, check=True
    )
    return done.stdout
