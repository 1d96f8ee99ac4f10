"""Engine, sessions and the declarative Base.

The unit of work is one session per request or job, opened and committed by the caller
(the API dependency or the job runner); services only flush.
"""

from huzhu.db.base import Base, IdType, JSONType, UTCDateTime
from huzhu.db.engine import Database, LoopStep, defer_to_loop, on_loop, transaction, use_wal

__all__ = [
    "Base",
    "Database",
    "IdType",
    "JSONType",
    "LoopStep",
    "UTCDateTime",
    "defer_to_loop",
    "on_loop",
    "transaction",
    "use_wal",
]
