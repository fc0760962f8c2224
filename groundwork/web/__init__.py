"""The web interfaces: HTTP API, CDS Hooks service and the clinician's page (`groundwork serve`)."""
