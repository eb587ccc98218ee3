// Human-readable sizes, times and durations.

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** Local time as YYYY-MM-DD HH:MM:SS, from epoch milliseconds or an ISO string. */
export function formatTime(time: number | string | null | undefined): string {
  if (time === null || time === undefined) return '';
  const date = new Date(time);
  if (Number.isNaN(date.getTime())) return String(time);
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`
  );
}

export function formatSeconds(seconds: number): string {
  return `${seconds.toFixed(1)} s`;
}
