"""A caseload through the pipeline: `local` runs it in worker processes on this machine,
`cluster` on an existing Dask cluster (the optional `dask` extra)."""
