"""Groundwork's interfaces: the command line, the HTTP API and the web page."""
