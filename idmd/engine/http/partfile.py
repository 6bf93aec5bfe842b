"""The ``NAME.part`` file: positional writes, durability, and the final rename.

The final name only ever appears for a complete, verified file: bytes go to
the part file, which is fdatasync'ed and then linked/renamed into place.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
from pathlib import Path

from idmd.core.checksum import Checksum
from idmd.engine.runner import JobError


def io_error(exc: OSError, what: str) -> JobError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return JobError("no_space", f"no space left on device while {what}")
    return JobError("io", f"{what}: {exc.strerror or exc}")


def check_space(folder: Path, size: int | None) -> None:
    """Refuse to start when the folder's file system cannot hold ``size`` more bytes."""
    if not size:
        return
    free = shutil.disk_usage(folder).free
    if free < size:
        raise JobError(
            "no_space", f"no space left on device: {size} bytes needed, {free} free in {folder}"
        )


# The job a part file belongs to, in an extended attribute: a job that restarts without its
# saved state (a crash in its first moments) knows its own part file from another's.
OWNER_ATTR = "user.idm.job"


def part_owner(path: Path) -> str | None:
    """The id of the job that created the part file at ``path``; None when unknown (no such
    attribute, or a file system or system without extended attributes)."""
    try:
        return os.getxattr(path, OWNER_ATTR, follow_symlinks=False).decode(errors="replace")
    except (AttributeError, OSError):  # AttributeError: no os.getxattr (macOS)
        return None


class PartFile:
    """An open part file; ``write`` is a positional write of the whole buffer."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self.fd = fd

    @classmethod
    def open(cls, path: Path, size: int | None, fresh: bool, owner: str = "") -> PartFile:
        """``owner``: the job id to mark a fresh part file with (``part_owner``)."""
        # O_NOFOLLOW: a NAME.part symlink planted in the folder must not redirect the bytes.
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(path, flags | (os.O_TRUNC if fresh else 0), 0o644)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise JobError(
                    "io", f"{path.name} is a symbolic link; idmd does not write through links"
                ) from None
            raise io_error(exc, f"creating {path.name}") from None
        part = cls(path, fd)
        if fresh and owner:
            with contextlib.suppress(AttributeError, OSError):  # best effort: see part_owner
                os.setxattr(fd, OWNER_ATTR, owner.encode())
        if size:
            try:
                if os.fstat(fd).st_size != size:
                    os.ftruncate(fd, size)
            except OSError as exc:
                part.close()
                raise io_error(exc, f"allocating {path.name}") from None
        return part

    def write(self, offset: int, data: bytes | bytearray | memoryview) -> None:
        view = memoryview(data)
        try:
            while view:
                written = os.pwrite(self.fd, view, offset)
                offset += written
                view = view[written:]
        except OSError as exc:
            raise io_error(exc, f"writing {self.path.name}") from None

    def sync(self) -> None:
        try:
            os.fdatasync(self.fd)
        except OSError as exc:
            raise io_error(exc, f"syncing {self.path.name}") from None

    def truncate(self, size: int) -> None:
        os.ftruncate(self.fd, size)

    def close(self) -> None:
        fd, self.fd = self.fd, -1  # take it first: a thread may be closing it too
        if fd >= 0:
            os.close(fd)


def file_digest(path: Path, algorithm: str) -> str:
    """Hex digest of ``path``; run it in a thread, it reads the whole file."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def verify(path: Path, size: int | None, checksum: Checksum | None) -> None:
    """Raise ``JobError`` unless the part file has the expected size and checksum."""
    actual = path.stat().st_size
    if size is not None and actual != size:
        raise JobError("size", f"the file has {actual} bytes, the server announced {size}")
    if checksum is not None:
        got = file_digest(path, checksum.algorithm)
        if got != checksum.hexdigest:
            raise JobError(
                "checksum",
                f"{checksum.algorithm} mismatch: expected {checksum.hexdigest}, got {got}",
            )


def sync_and_verify(part: PartFile, size: int | None, checksum: Checksum | None) -> None:
    """In a thread: the bytes on disk before the name appears, then the checks."""
    try:
        part.sync()
    finally:
        part.close()
    verify(part.path, size, checksum)


def _free_name(target: Path) -> Path:
    from idmd.core.filenames import unique_name

    folder = target.parent
    return folder / unique_name(
        target.name, lambda n: os.path.lexists(folder / n)
    )  # a dangling link is taken


MAX_MOVE_ATTEMPTS = 100  # names taken again and again while we try: give up rather than spin


def move_into_place(part: Path, target: Path, overwrite: bool) -> Path:
    """Rename ``part`` to ``target`` atomically; never clobbers unless ``overwrite``.

    Returns the path used: when ``target`` appeared meanwhile (and no
    overwrite), ``name (N).ext`` is taken instead.
    """
    if overwrite:
        os.replace(part, target)  # replaces a symlink itself, never what it points to
        return target
    for _attempt in range(MAX_MOVE_ATTEMPTS):
        try:
            os.link(part, target)  # fails with EEXIST instead of replacing: no race
        except FileExistsError:
            target = _free_name(target)
            continue
        except OSError as exc:
            if exc.errno not in (errno.EPERM, errno.EXDEV, errno.ENOTSUP, errno.EOPNOTSUPP):
                raise
            if os.path.lexists(target):
                target = _free_name(target)
            os.replace(part, target)
            return target
        part.unlink()
        return target
    raise JobError("io", f"cannot find a free name for {target.name} in {target.parent}")
