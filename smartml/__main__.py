"""``python -m smartml`` runs the command line."""

from smartml.cli import main

main()
