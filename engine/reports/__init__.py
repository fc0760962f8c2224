"""What the audit store's records say over time: one client's `progress`, an agency's `program`
report, and the `caseload` table for analysts. They read the store; they never run the pipeline."""
