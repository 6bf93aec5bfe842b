// The extension's view of idmd's jobs, rebuilt from a subscription snapshot
// and kept current by events (docs/protocol.md, Events). Pure: no chrome.*, no socket.

const KEEP = 200; // jobs remembered; the popup shows only the latest few
const FINISHED = new Set(['completed', 'failed', 'cancelled']);

export function isFinished(job) {
  return FINISHED.has(job?.status);
}

function snapshotJobs(snapshot) {
  if (Array.isArray(snapshot)) return snapshot;
  if (snapshot && Array.isArray(snapshot.jobs)) return snapshot.jobs;
  return [];
}

export class JobTable {
  constructor(jobs = [], stats = null) {
    /** @type {Map<string, object>} */
    this.jobs = new Map();
    for (const job of jobs) if (job && typeof job.id === 'string') this.jobs.set(job.id, job);
    this.stats = stats;
    // Events at or below this seq are already in the snapshot.
    this.snapshotSeq = 0;
  }

  /** Take an events.subscribe result. With `reset` (or `replace`) the snapshot is the whole truth. */
  applySubscribe(result, { replace = false } = {}) {
    const jobs = snapshotJobs(result?.snapshot);
    if (replace || result?.reset) this.jobs.clear();
    for (const job of jobs) if (job && typeof job.id === 'string') this.jobs.set(job.id, job);
    if (result?.snapshot && !Array.isArray(result.snapshot) && result.snapshot.stats) {
      this.stats = result.snapshot.stats;
    }
    this.snapshotSeq = Number.isFinite(result?.seq) ? result.seq : 0;
    this.trim();
  }

  /** Apply one event; true when something the popup shows changed. */
  applyEvent(ev) {
    if (!ev || typeof ev.type !== 'string') return false;
    if (ev.type === 'stats') {
      this.stats = ev.data ?? null;
      return true;
    }
    if (typeof ev.job !== 'string') return false;
    if (ev.type === 'job.removed') return this.jobs.delete(ev.job);
    // Replayed events older than the snapshot would roll fresh state back.
    if (ev.seq <= this.snapshotSeq) return false;
    const data = ev.data && typeof ev.data === 'object' ? ev.data : {};
    const current = this.jobs.get(ev.job);
    switch (ev.type) {
      case 'job.added':
        this.jobs.set(ev.job, { ...data, id: ev.job });
        this.trim();
        return true;
      case 'job.updated':
      case 'job.status':
      case 'job.progress':
        if (!current) return false; // unknown job: the next snapshot brings it
        this.jobs.set(ev.job, { ...current, ...data });
        return true;
      default:
        return false;
    }
  }

  get(id) {
    return this.jobs.get(id);
  }

  /** The newest jobs first. */
  latest(n = 8) {
    return [...this.jobs.values()]
      .sort((a, b) => String(b.created_at ?? '').localeCompare(String(a.created_at ?? '')))
      .slice(0, n);
  }

  activeCount() {
    let n = 0;
    for (const job of this.jobs.values()) if (job.status === 'downloading') n += 1;
    return n;
  }

  trim() {
    if (this.jobs.size <= KEEP) return;
    const finished = [...this.jobs.values()]
      .filter(isFinished)
      .sort((a, b) => String(a.created_at ?? '').localeCompare(String(b.created_at ?? '')));
    for (const job of finished) {
      if (this.jobs.size <= KEEP) break;
      this.jobs.delete(job.id);
    }
  }

  toJSON() {
    return { jobs: this.latest(KEEP), stats: this.stats };
  }
}
