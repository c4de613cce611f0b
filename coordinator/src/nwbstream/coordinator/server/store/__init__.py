"""Where jobs live: one interface (base.py), SQLite for one machine and PostgreSQL for a cluster."""

from .base import FINAL_STATES, JobRecord, JobState, JobStore, NewJob, open_store

__all__ = ["FINAL_STATES", "JobRecord", "JobState", "JobStore", "NewJob", "open_store"]
