/**
 * Ratios, targets and the printed summary. Every target is a ratio between two savers measured
 * in the same run (interleaved), never an absolute number.
 */
import { round } from './measure.mjs';

export const fmt = (x, d = 2) => (x === undefined || x === null || Number.isNaN(x) ? '–' : typeof x === 'number' ? x.toFixed(d) : String(x));
const pad = (s, n) => (s.length >= n ? s : s + ' '.repeat(n - s.length));
const lpad = (s, n) => (s.length >= n ? s : ' '.repeat(n - s.length) + s);

export function table(headers, rows) {
  const cells = [headers, ...rows].map((r) => r.map((c) => (c === undefined ? '–' : String(c))));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? pad(c, widths[i]) : lpad(c, widths[i]))).join('  ');
  return [line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/**
 * A target: `value` compared with `bound` by `op` ('>=', '<=', '<').
 * Returns { id, description, value, bound, op, pass, margin } where margin > 0 is headroom and
 * margin < 0 is how much it misses by, both relative to the bound.
 */
export function target(id, description, value, op, bound, detail) {
  let pass;
  let margin;
  if (!Number.isFinite(value)) {
    return { id, description, value, op, bound, pass: false, margin: NaN, detail, missingData: true };
  }
  if (op === '>=') {
    pass = value >= bound;
    margin = value / bound - 1;
  } else {
    pass = op === '<' ? value < bound : value <= bound;
    margin = bound / value - 1;
  }
  return { id, description, value: round(value, 4), op, bound, pass, margin: round(margin, 4), detail };
}

export function targetLine(t) {
  const verdict = t.missingData ? 'MISS (no data)' : t.pass ? 'PASS' : 'MISS';
  const how = t.missingData
    ? ''
    : t.pass
      ? `headroom ${(t.margin * 100).toFixed(0)}%`
      : `misses by ${(Math.abs(t.margin) * 100).toFixed(0)}%`;
  return `${pad(verdict, 5)} ${t.description}: ${fmt(t.value, 3)} (target ${t.op} ${t.bound}) ${how}${t.detail ? ` — ${t.detail}` : ''}`;
}
