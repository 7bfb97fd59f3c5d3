// Numbers as the page shows them: addresses in hex, sizes in bytes with binary units.

/** An address: `0x14fe0`. */
export function hex(n) {
  return '0x' + (n >>> 0).toString(16);
}

/** A size: `112 B`, `19.9 KiB`, `15.2 MiB`. */
export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${trim(n / 1024)} KiB`;
  if (n < 1024 ** 3) return `${trim(n / 1024 ** 2)} MiB`;
  return `${trim(n / 1024 ** 3)} GiB`;
}

function trim(x) {
  return x >= 100 ? x.toFixed(0) : x.toFixed(1).replace(/\.0$/, '');
}

/** A size to the byte: `27,920 B`. */
export function exact(n) {
  return `${count(n)} B`;
}

/** A fraction as a percentage: `57.1%`; '—' when there is nothing to divide. */
export function percent(x) {
  return Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : '—';
}

/** A count with thousands separators: `1,340,004` (toLocaleString is slow in a replay loop). */
export function count(n) {
  return String(Math.round(n)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Reads an address or size the way a person types it: `0x14fe0` or `86016`; NaN otherwise. */
export function parseNumber(text) {
  const s = String(text).trim().toLowerCase();
  if (/^0x[0-9a-f]+$/.test(s)) return parseInt(s.slice(2), 16);
  if (/^\d+$/.test(s)) return Number(s);
  return NaN;
}
