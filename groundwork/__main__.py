"""`python -m groundwork …` runs the same command line as `groundwork …`."""

from groundwork.cli import main

main()
