// aria2.js (npm "aria2", the client of aria2 browser extensions) against idmd's
// /jsonrpc over WebSocket: addUri, tellStatus, a notification, a multicall and a
// wrong token. Run by tests/aria2/test_aria2js.py, which starts idmd and a file
// server and passes them in the environment; skipped when run alone.
import { test } from "node:test";
import assert from "node:assert/strict";
import Aria2 from "aria2";

const { IDM_ARIA2_PORT: port, IDM_TOKEN: secret, IDM_FILE_URL: fileUrl, IDM_FILE_SIZE: fileSize } = process.env;
const skip = port ? false : "needs IDM_ARIA2_PORT (run through tests/aria2/test_aria2js.py)";

function once(aria2, event, gid) {
  return new Promise((resolve) => {
    const listener = ([params]) => {
      if (params.gid === gid) {
        aria2.off(event, listener);
        resolve(params);
      }
    };
    aria2.on(event, listener);
  });
}

test("addUri, tellStatus and onDownloadComplete over WebSocket", { skip, timeout: 60000 }, async () => {
  const aria2 = new Aria2({ host: "127.0.0.1", port: Number(port), secret });
  await aria2.open();
  try {
    const started = [];
    aria2.on("onDownloadStart", ([params]) => started.push(params.gid));
    // Listen before adding: the notification may come before addUri's reply is handled.
    let gid;
    const completed = new Promise((resolve) => {
      aria2.on("onDownloadComplete", ([params]) => {
        if (params.gid === gid || gid === undefined) resolve(params.gid);
      });
    });
    gid = await aria2.call("addUri", [fileUrl], { out: "from-aria2js.bin" });
    assert.match(gid, /^[0-9a-f]{16}$/);
    const done = await Promise.race([completed, once(aria2, "onDownloadComplete", gid)]);
    assert.equal(done, gid);
    assert.ok(started.includes(gid), "onDownloadStart came first");

    const status = await aria2.call("tellStatus", gid, ["gid", "status", "totalLength", "completedLength", "files"]);
    assert.equal(status.gid, gid);
    assert.equal(status.status, "complete");
    assert.equal(status.totalLength, fileSize);
    assert.equal(status.completedLength, fileSize);
    assert.match(status.files[0].path, /from-aria2js\.bin$/);

    const [[version], [stopped]] = await aria2.multicall([["getVersion"], ["tellStopped", -1, 10, ["gid"]]]);
    assert.ok(version.version);
    assert.deepEqual(stopped, [{ gid }]);
    const methods = await aria2.listMethods();
    assert.ok(methods.includes("tellActive"));
  } finally {
    await aria2.close();
  }
});

test("a wrong secret is refused with aria2's Unauthorized", { skip, timeout: 30000 }, async () => {
  const aria2 = new Aria2({ host: "127.0.0.1", port: Number(port), secret: "wrong" });
  await aria2.open();
  try {
    await assert.rejects(aria2.call("tellActive"), (error) => error.code === 1 && error.message === "Unauthorized");
  } finally {
    await aria2.close();
  }
});
