// The verbs of runtime messages and who may send them. Content scripts run in
// web pages, so they may only report media URLs; everything else (which can
// start downloads or touch the token) is for the extension's own pages.

export const CONTENT_VERBS = new Set(['media.found']);
export const PAGE_VERBS = new Set([
  'state.get', // {tabId} -> popup state
  'media.probe', // {url, tabId} -> jobs.probe result
  'media.download', // {url, tabId, quality?} -> Job
  'job.pause', // {id}
  'job.resume', // {id}
  'job.cancel', // {id}
  'capture.set', // {enabled}
  'pair.start', // -> starts pairing, the code arrives with the state
  'settings.get', // -> {settings, hasToken}
  'settings.save', // {settings} -> normalised settings
  'token.set', // {token}
  'connection.retry',
]);

/**
 * The verb of `msg` if `sender` may send it, else throws.
 * @param {{type?: string}} msg
 * @param {{id?: string, url?: string, tab?: object}} sender
 * @param {string} extensionId
 */
export function authorize(msg, sender, extensionId) {
  if (!msg || typeof msg !== 'object' || typeof msg.type !== 'string') {
    throw new Error('a message needs a type');
  }
  if (!sender || sender.id !== extensionId) throw new Error('message from another extension');
  const ownPage = typeof sender.url === 'string' && sender.url.startsWith(`chrome-extension://${extensionId}/`);
  if (ownPage && PAGE_VERBS.has(msg.type)) return msg.type;
  if (!ownPage && sender.tab && CONTENT_VERBS.has(msg.type)) return msg.type;
  throw new Error(`${msg.type} is not allowed from ${ownPage ? 'an extension page' : 'a web page'}`);
}

/** Job ids in a pause/resume/cancel message, checked. */
export function jobIds(msg) {
  const id = msg?.id;
  if (typeof id !== 'string' || id === '' || id.length > 200) throw new Error('a job id is needed');
  return [id];
}
