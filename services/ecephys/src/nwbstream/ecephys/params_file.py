"""Phy's params.py read as data: literal assignments only, never run.

spikeinterface's Phy/KiloSort reader runs params.py with exec(), so whoever can place a folder where a service
reads would run code as the service. This reader takes `name = <literal>` lines (and `range(...)` of literals,
which phy writes for channel lists) and refuses anything else, naming the file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from nwbstream.service import SourceError

NEVER_RUN = "params.py is read as data, never run"


def read_params(path: str | Path) -> dict[str, Any]:
    """The assignments of a params.py, names lower-cased (as spikeinterface's own reader gives them)."""
    path = Path(path)
    try:
        tree = ast.parse(path.read_text(errors="replace"), filename=str(path))
    except SyntaxError as error:
        raise SourceError(f"{path}:{error.lineno}: not a params.py ({error.msg})") from None
    params: dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue  # a docstring or a bare string
        if not (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)):
            raise SourceError(
                f"{path}:{node.lineno}: only 'name = value' lines are read (params.py is data, never run)"
            )
        params[node.targets[0].id.lower()] = _literal(node.value, path)
    return params


def _literal(node: ast.expr, path: Path) -> Any:
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range" and not node.keywords:
        return list(range(*(_literal(arg, path) for arg in node.args)))
    try:
        return ast.literal_eval(node)
    except ValueError:
        raise SourceError(f"{path}:{node.lineno}: the value is not a literal (params.py is data, never run)") from None
