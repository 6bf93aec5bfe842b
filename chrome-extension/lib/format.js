// Human-readable sizes, speeds and times for the popup. Pure.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(n) {
  if (!Number.isFinite(n) || n < 0) return '?';
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 1 : 0)} ${UNITS[unit]}`;
}

export function formatSpeed(bytesPerSecond) {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) return '';
  return `${formatBytes(bytesPerSecond)}/s`;
}

export function formatEta(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** 0..1, or null while the size is unknown. */
export function progressFraction(job) {
  if (job?.status === 'completed') return 1;
  const size = Number(job?.size);
  const done = Number(job?.done);
  if (!Number.isFinite(size) || size <= 0 || !Number.isFinite(done)) return null;
  return Math.max(0, Math.min(1, done / size));
}

/** One line under a job's bar: "1.2 MiB / 4.0 MiB · 512 KiB/s · 0:06". */
export function jobSummary(job) {
  const parts = [];
  const done = Number(job?.done);
  const size = job?.size == null ? NaN : Number(job.size);
  if (Number.isFinite(done)) parts.push(Number.isFinite(size) ? `${formatBytes(done)} / ${formatBytes(size)}` : formatBytes(done));
  if (job?.category) parts.push(String(job.category)); // the daemon's category folder: Compressed, Video…
  if (job?.status === 'downloading') {
    const speed = formatSpeed(Number(job.speed));
    const eta = formatEta(job.eta == null ? NaN : Number(job.eta));
    if (speed) parts.push(speed);
    if (eta) parts.push(eta);
  }
  if (job?.error?.message) parts.push(String(job.error.message));
  return parts.join(' · ');
}
