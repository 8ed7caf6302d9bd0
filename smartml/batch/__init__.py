"""Batch annotation of many files: sources, plan, journal, cache, engines, the job.

The names below load on first use (PEP 562): ``smartml annotate --help`` imports the
plan alone, not the job and its engines.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from smartml.batch.job import BatchJob as BatchJob
    from smartml.batch.job import Estimate as Estimate
    from smartml.batch.job import Summary as Summary
    from smartml.batch.lock import OutputBusyError as OutputBusyError
    from smartml.batch.output import OutputChangedError as OutputChangedError
    from smartml.batch.output import OutputError as OutputError
    from smartml.batch.plan import Kind as Kind
    from smartml.batch.plan import Plan as Plan
    from smartml.batch.records import BatchRecord as BatchRecord
    from smartml.batch.records import ErrorRecord as ErrorRecord
    from smartml.batch.records import FeatureResult as FeatureResult
    from smartml.batch.sources import Item as Item

#: The module of each public name.
_HOMES = {
    **dict.fromkeys(("BatchJob", "Estimate", "Summary"), "smartml.batch.job"),
    "OutputBusyError": "smartml.batch.lock",
    **dict.fromkeys(("OutputChangedError", "OutputError"), "smartml.batch.output"),
    **dict.fromkeys(("Kind", "Plan"), "smartml.batch.plan"),
    **dict.fromkeys(("BatchRecord", "ErrorRecord", "FeatureResult"), "smartml.batch.records"),
    "Item": "smartml.batch.sources",
}

__all__ = sorted(_HOMES)


if not TYPE_CHECKING:  # at run time only: type checkers see the imports above, and no more

    def __getattr__(name: str) -> Any:
        """A public name, imported from its module the first time it is asked for."""
        if name not in _HOMES:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = globals()[name] = getattr(importlib.import_module(_HOMES[name]), name)
        return value
