"""The `citeqa` command line: above `service` and `eval`, so that neither imports the other through it."""
