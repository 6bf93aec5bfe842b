// Content script: reports the <video> and <audio> sources of the page to the
// service worker. URLs only: it reads nothing else and never sees the token.
(() => {
  const seen = new Set();
  let timer = 0;

  function sourcesOf(el) {
    const kind = el.tagName === 'AUDIO' ? 'audio' : 'video';
    const urls = [el.currentSrc, el.src, ...[...el.querySelectorAll('source')].map((s) => s.src)];
    return urls.filter((u) => typeof u === 'string' && /^https?:/i.test(u)).map((url) => ({ url, kind }));
  }

  function scan() {
    timer = 0;
    const fresh = [];
    for (const el of document.querySelectorAll('video, audio')) {
      for (const item of sourcesOf(el)) {
        if (!seen.has(item.url)) {
          seen.add(item.url);
          fresh.push(item);
        }
      }
    }
    if (fresh.length === 0) return;
    try {
      chrome.runtime.sendMessage({ type: 'media.found', items: fresh }).catch(() => undefined);
    } catch {
      // the extension was reloaded: this old script has nothing to talk to
    }
  }

  // Batch bursts of DOM changes into one scan.
  function scanSoon() {
    if (!timer) timer = setTimeout(scan, 300);
  }

  scan();
  new MutationObserver(scanSoon).observe(document.documentElement, {
    childList: true,
    subtree: true,
    attributes: true,
    attributeFilter: ['src'],
  });
  // A player that sets its source from script fires loadstart on the element.
  document.addEventListener('loadstart', scanSoon, true);
})();
