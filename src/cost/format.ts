/**
 * Number formatting shared by the Markdown report, the chart and the console summary.
 * Deterministic (no locale): the same input always prints the same text, which keeps the
 * report snapshot stable across machines.
 */
export { fmtBytes } from './sizing-model.js';

function group(intPart: string): string {
  return intPart.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** `$3,680`, `$126`, `$12.34`, `$0.42`: whole dollars from $1,000, cents below. */
export function fmtUsd(usd: number): string {
  const sign = usd < 0 ? '−' : '';
  const v = Math.abs(usd);
  if (v >= 1000) return `${sign}$${group(Math.round(v).toString())}`;
  const [i, d] = v.toFixed(2).split('.');
  return `${sign}$${group(i!)}.${d}`;
}

/** Three significant digits, thousands grouped: `1,234`, `12.3`, `0.0123`. */
export function fmtNum(n: number, digits = 3): string {
  if (!Number.isFinite(n)) return String(n);
  if (n === 0) return '0';
  const sign = n < 0 ? '−' : '';
  const v = Math.abs(n);
  if (v >= 10 ** digits) return sign + group(Math.round(v).toString());
  const s = Number(v.toPrecision(digits)).toString();
  if (s.includes('e')) return sign + v.toExponential(digits - 1);
  const [i, d] = s.split('.');
  return sign + group(i!) + (d ? `.${d}` : '');
}

/** `42 %`, `-12.5 %`. */
export function fmtPct(fraction: number): string {
  return `${fmtNum(fraction * 100, 3)} %`;
}

/** `1.2 GB` (decimal, as storage is billed). */
export function fmtGB(bytes: number): string {
  return `${fmtNum(bytes / 1e9)} GB`;
}
