from applications.cli import cli

cli()
