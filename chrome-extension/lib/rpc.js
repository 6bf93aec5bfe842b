// JSON-RPC 2.0 frames for idmd's protocol (docs/protocol.md): building
// requests and sorting incoming frames into responses and events. No sockets.

export const SUBPROTOCOL = 'idm.v1.json';

export const ERROR = Object.freeze({
  PARSE: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL: -32603,
  UNAUTHORIZED: -32001,
  NO_SUCH_JOB: -32004,
  NOT_ALLOWED: -32009,
  URL_NOT_SUPPORTED: -32010,
  LIMIT_REACHED: -32011,
});

// WebSocket close codes the daemon uses.
export const CLOSE = Object.freeze({ UNAUTHORIZED: 4401, TOO_SLOW: 4408, TOO_BIG: 1009 });

export class RpcError extends Error {
  constructor(code, message, data = null) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
    this.data = data;
  }
}

export function encodeRequest(id, method, params) {
  return JSON.stringify({ jsonrpc: '2.0', id, method, params: params ?? {} });
}

/**
 * Sort one text frame into messages:
 *   {kind: 'response', id, result} | {kind: 'response', id, error: RpcError}
 *   {kind: 'event', event}          (the daemon's "event" notification)
 *   {kind: 'notification', method, params}
 *   {kind: 'invalid', reason}
 * A batch gives one message per element.
 */
export function parseFrame(text) {
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    return [{ kind: 'invalid', reason: 'not JSON' }];
  }
  const items = Array.isArray(data) ? data : [data];
  return items.map(classify);
}

function classify(msg) {
  if (!msg || typeof msg !== 'object' || msg.jsonrpc !== '2.0') {
    return { kind: 'invalid', reason: 'not JSON-RPC 2.0' };
  }
  if (typeof msg.method === 'string') {
    if (msg.method === 'event' && msg.params && typeof msg.params === 'object') {
      const ev = msg.params;
      if (typeof ev.type === 'string' && Number.isFinite(ev.seq)) return { kind: 'event', event: ev };
      return { kind: 'invalid', reason: 'malformed event' };
    }
    return { kind: 'notification', method: msg.method, params: msg.params ?? null };
  }
  if ('id' in msg && ('result' in msg || 'error' in msg)) {
    if (msg.error) {
      const e = msg.error;
      const error = new RpcError(Number(e.code) || ERROR.INTERNAL, String(e.message ?? 'error'), e.data ?? null);
      return { kind: 'response', id: msg.id, error };
    }
    return { kind: 'response', id: msg.id, result: msg.result };
  }
  return { kind: 'invalid', reason: 'neither a response nor a notification' };
}
