"""Exit statuses of ``idm`` (documented in ``idm --help``, docs/protocol.md and man/idm.1)."""

OK = 0  # done; with --wait: every download completed
ERROR = 1  # idmd refused the request (no such job, invalid parameter, …)
# 2, a wrong command line, is argparse's own exit status: no code here returns it.
NOT_RUNNING = 3  # idmd is not running (or does not answer)
UNAUTHORIZED = 4  # idmd refused the token
FAILED = 5  # --wait: a download failed
CANCELLED = 6  # --wait: a download was cancelled or removed
CONNECTION_LOST = 7  # the connection to idmd was lost during the command
INTERRUPTED = 130  # Ctrl-C

EPILOG = """exit status:
  0  success (with --wait: every download completed)
  1  idmd refused the request (no such job, invalid parameter, ...)
  2  wrong command line
  3  idmd is not running
  4  idmd refused the token
  5  --wait: a download failed
  6  --wait: a download was cancelled or removed
  7  the connection to idmd was lost
  130  interrupted
"""
