from applications.runner import cli

cli()
