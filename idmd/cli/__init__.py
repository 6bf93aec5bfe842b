"""``idm``: the scriptable command line for idmd (entry point ``idmd.cli.main:main``)."""
