"""idmd: the idm download daemon and the client library every idm front end uses."""

__version__ = "0.1.0"
