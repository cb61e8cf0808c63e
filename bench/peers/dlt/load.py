"""One dlt run of keepsync's db-to-db bench: the `events` table of a SQLite file or
PostgreSQL database -> PostgreSQL, merged on `key`, incremental on `updated_at`.
Prints one JSON line: seconds, rows written, peak RSS, CPU seconds."""

import argparse
import json
import resource
import time

import dlt
from dlt.sources.sql_database import sql_table

# Timed from here, after the imports, as keepsync's runner is timed after its own.
started = time.perf_counter()

parser = argparse.ArgumentParser()
parser.add_argument("--source", required=True, help="SQLAlchemy URL of the source database")
parser.add_argument("--destination", required=True, help="PostgreSQL URL")
parser.add_argument("--backend", required=True, choices=["pyarrow", "sqlalchemy"])
parser.add_argument("--pipelines-dir", required=True)
parser.add_argument("--name", required=True)
args = parser.parse_args()

events = sql_table(
    credentials=args.source,
    table="events",
    backend=args.backend,
    incremental=dlt.sources.incremental("updated_at"),
)
events.apply_hints(primary_key="key", write_disposition="merge")
pipeline = dlt.pipeline(
    pipeline_name=args.name,
    pipelines_dir=args.pipelines_dir,
    destination=dlt.destinations.postgres(credentials=args.destination),
    dataset_name="dlt_events",
)
pipeline.run(events)
seconds = time.perf_counter() - started
counts = pipeline.last_trace.last_normalize_info.row_counts
usage = resource.getrusage(resource.RUSAGE_SELF)
print(
    json.dumps(
        {
            "seconds": seconds,
            "written": int(counts.get("events", 0)),
            "maxRssMb": round(usage.ru_maxrss / 1024),
            "cpuSeconds": usage.ru_utime + usage.ru_stime,
        }
    )
)
