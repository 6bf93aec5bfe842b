from tests.cli.conftest import files
from tests.rpc.conftest import toy

__all__ = ["files", "toy"]
