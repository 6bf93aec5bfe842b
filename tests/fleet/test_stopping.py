"""A node stops on SIGTERM even when one of its loops lost a cancellation (Python 3.11's
``asyncio.wait_for`` can swallow one): the cancel is repeated until the loop has ended."""

from __future__ import annotations

import asyncio

from idmd.fleet.tasks import cancel_and_wait


async def test_a_loop_that_lost_a_cancel_is_cancelled_again_until_it_ends() -> None:
    async def loop_that_loses_one_cancel() -> None:
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            pass  # lost, as wait_for loses one when what it awaits completes at that moment
        await asyncio.sleep(3600)  # and round it goes again

    task = asyncio.create_task(loop_that_loses_one_cancel())
    await asyncio.sleep(0)  # it waits now
    await asyncio.wait_for(cancel_and_wait([task, None]), 5)
    assert task.cancelled()
