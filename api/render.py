"""How answers look in a terminal: paths as arrows, tables with rich."""

from __future__ import annotations

from rich.console import Console

from techgraph.graph.model import Hop, Route
from techgraph.graph.questions import ExposureAnswer, citations

console = Console(highlight=False, soft_wrap=True)


def arrow(h: Hop) -> str:
    t = h.relationship.type
    return f"-[{t}]->" if h.forward else f"<-[{t}]-"


def format_path(path: Route) -> str:
    """`5G -[REQUIRES]-> base stations <-[PRODUCES]- Huawei -[HEADQUARTERED_IN]-> China`."""
    if not path:
        return ""
    return " ".join([path[0].start.name, *(f"{arrow(h)} {h.end.name}" for h in path)])


def share(value: float | None) -> str:
    return "" if value is None else f"{value:.0%}" if value >= 0.01 else f"{value:.2%}"


def evidence_lines(path: Route, indent: str = "      ") -> list[str]:
    """One line per hop: the relationship and the sources that support it."""
    out = []
    for h in path:
        r = h.relationship
        src = "; ".join(citations(r)) or "no source recorded"
        out.append(f"{indent}{r.source} {r.type} {r.target}: {src}")
    return out


BASIS_TEXT = {
    "headquarters": "headquartered in",
    "ultimate_parent": "ultimate parent in",
    "production": "produced in",
    "restricted_party": "restricted party of",
}


def render_exposure(answer: ExposureAnswer, backend: str) -> None:
    figure = "no share data" if answer.exposure is None else share(answer.exposure)
    console.print(
        f"[bold]{answer.item.name}[/bold]: dependencies of [bold]{answer.origin.name}[/bold] "
        f"origin, up to {answer.depth} hops, {backend} backend: {len(answer.findings)} findings; "
        f"share-weighted exposure {figure} over {answer.inputs_with_shares} of "
        f"{answer.inputs_examined} inputs with share data\n"
    )
    for i, f in enumerate(answer.findings, 1):
        basis = BASIS_TEXT[f.basis.value]
        held = f", share {share(f.share)}" if f.share is not None else ""
        console.print(
            f"{i:>3}. [bold]{f.input.name}[/bold] from {f.supplier.name} "
            f"({basis} {answer.origin.name}{held})"
        )
        console.print(f"     {format_path(f.path)}")
        supply = f.path[len(f.path) - 1]
        for h in f.path:
            if h.relationship.type in ("PRODUCES", "SUPPLIES"):
                supply = h
                break
        srcs = citations(supply.relationship)
        if srcs:
            console.print(f"     [dim]source: {'; '.join(srcs)}[/dim]")
    if not answer.findings:
        console.print("No dependency with a supplier of that origin was found.")
