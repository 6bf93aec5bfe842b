// Reconnection delays: exponential with "equal jitter", so a restarted daemon
// is not hit by every browser at the same instant, and never slower than `max`.

/**
 * Milliseconds to wait before reconnection attempt number `attempt` (0-based).
 * @param {number} attempt
 * @param {{base?: number, max?: number, random?: () => number}} [options]
 */
export function backoffDelay(attempt, { base = 500, max = 30_000, random = Math.random } = {}) {
  const n = Math.max(0, Math.min(Math.floor(attempt) || 0, 30));
  const ceiling = Math.min(max, base * 2 ** n);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
