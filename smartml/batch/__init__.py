"""Batch annotation of many files: sources, plan, journal, cache, engines, the job."""

from smartml.batch.job import BatchJob, Estimate, Summary
from smartml.batch.lock import OutputBusyError
from smartml.batch.output import OutputChangedError, OutputError
from smartml.batch.plan import Kind, Plan
from smartml.batch.records import BatchRecord, ErrorRecord, FeatureResult
from smartml.batch.sources import Item

__all__ = [
    "BatchJob",
    "BatchRecord",
    "ErrorRecord",
    "Estimate",
    "FeatureResult",
    "Item",
    "Kind",
    "OutputBusyError",
    "OutputChangedError",
    "OutputError",
    "Plan",
    "Summary",
]
