/**
 * SVG chart: monthly cost of both designs against the average write rate (log–log), with the
 * break-even rates and the scenario's own rate marked. Pure string output, deterministic (fixed
 * rounding, no dates), so a chart can be committed and diffed.
 */
import type { BreakEven, SweepPoint } from './cost-model.js';
import { fmtNum, fmtUsd } from './format.js';

/** Options of {@link renderChartSvg}. */
export interface ChartOptions {
  title: string;
  /** The scenario's average rate, marked with a dotted line. */
  scenarioRate: number;
  width?: number;
  height?: number;
}

const COLORS = { pgOnly: '#1f5fa8', tiered: '#d2691e', grid: '#e4e4e4', axis: '#444', breakEven: '#2e8b57', scenario: '#888' };

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function r1(n: number): string {
  return (Math.round(n * 10) / 10).toFixed(1);
}

function decadeTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e += 1) {
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** e;
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(v);
    }
  }
  return out;
}

/** Renders the chart. `sweep` must be sorted by rate (as `sweepWriteRate` returns it). */
export function renderChartSvg(sweep: SweepPoint[], breakEvens: BreakEven[], options: ChartOptions): string {
  const W = options.width ?? 760;
  const H = options.height ?? 440;
  const m = { left: 78, right: 24, top: 58, bottom: 62 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const xs = sweep.map((p) => p.averageCheckpointsPerSec);
  const ys = sweep.flatMap((p) => [p.pgOnlyUsd, p.tieredUsd]).filter((v) => v > 0);
  const xlo = Math.min(...xs);
  const xhi = Math.max(...xs);
  const ylo = 10 ** Math.floor(Math.log10(Math.min(...ys)));
  const yhi = 10 ** Math.ceil(Math.log10(Math.max(...ys)));
  const x = (v: number) => m.left + ((Math.log10(v) - Math.log10(xlo)) / (Math.log10(xhi) - Math.log10(xlo))) * pw;
  const y = (v: number) => m.top + ph - ((Math.log10(Math.max(v, ylo)) - Math.log10(ylo)) / (Math.log10(yhi) - Math.log10(ylo))) * ph;
  // Solid where the design fits the price file, dashed where it does not (its cost is then understated).
  const paths = (key: 'pgOnlyUsd' | 'tieredUsd', ok: 'pgOnlyFeasible' | 'tieredFeasible', color: string): string[] => {
    const out: string[] = [];
    let start = 0;
    for (let i = 1; i <= sweep.length; i += 1) {
      if (i < sweep.length && sweep[i]![ok] === sweep[start]![ok]) continue;
      const run = sweep.slice(start, Math.min(i + 1, sweep.length));
      const d = run.map((p, j) => `${j === 0 ? 'M' : 'L'}${r1(x(p.averageCheckpointsPerSec))},${r1(y(p[key]))}`).join(' ');
      out.push(`<path d="${d}" fill="none" stroke="${color}" stroke-width="2.2"${sweep[start]![ok] ? '' : ' stroke-dasharray="5,4" opacity="0.7"'}/>`);
      start = i;
    }
    return out;
  };
  const anyInfeasible = sweep.some((p) => !p.pgOnlyFeasible || !p.tieredFeasible);

  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  parts.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  parts.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="14" font-weight="bold">${esc(options.title)}</text>`);
  for (const t of decadeTicks(xlo, xhi)) {
    parts.push(`<line x1="${r1(x(t))}" y1="${m.top}" x2="${r1(x(t))}" y2="${m.top + ph}" stroke="${COLORS.grid}"/>`);
    parts.push(`<text x="${r1(x(t))}" y="${m.top + ph + 16}" text-anchor="middle">${esc(fmtNum(t))}</text>`);
  }
  for (const t of decadeTicks(ylo, yhi)) {
    parts.push(`<line x1="${m.left}" y1="${r1(y(t))}" x2="${m.left + pw}" y2="${r1(y(t))}" stroke="${COLORS.grid}"/>`);
    parts.push(`<text x="${m.left - 6}" y="${r1(y(t) + 4)}" text-anchor="end">${esc(fmtUsd(t).replace(/\.00$/, ''))}</text>`);
  }
  parts.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="${COLORS.axis}"/>`);
  parts.push(`<text x="${m.left + pw / 2}" y="${H - 18}" text-anchor="middle">average checkpoints per second (log; peak and peak-hour rates scaled with it)</text>`);
  parts.push(`<text transform="translate(18 ${m.top + ph / 2}) rotate(-90)" text-anchor="middle">USD per month (log)</text>`);

  const sx = options.scenarioRate;
  if (sx >= xlo && sx <= xhi) {
    const label = `scenario ${fmtNum(sx)}/s`;
    const lx = x(sx) + 4;
    parts.push(`<line x1="${r1(x(sx))}" y1="${m.top}" x2="${r1(x(sx))}" y2="${m.top + ph}" stroke="${COLORS.scenario}" stroke-dasharray="2,3"/>`);
    parts.push(`<rect x="${r1(lx - 2)}" y="${m.top + ph - 21}" width="${r1(label.length * 6.6 + 4)}" height="16" fill="#fff" opacity="0.85"/>`);
    parts.push(`<text x="${r1(lx)}" y="${m.top + ph - 9}" fill="${COLORS.scenario}">${esc(label)}</text>`);
  }
  // Break-evens: a numbered dashed line each, explained in a box at the top left (costs rise to
  // the right, so that corner is normally empty).
  breakEvens.forEach((b, i) => {
    const bx = x(b.averageCheckpointsPerSec);
    parts.push(`<line x1="${r1(bx)}" y1="${m.top}" x2="${r1(bx)}" y2="${m.top + ph}" stroke="${COLORS.breakEven}" stroke-dasharray="6,4" stroke-width="1.5"/>`);
    parts.push(`<circle cx="${r1(bx)}" cy="${r1(y(b.monthlyUsd))}" r="4" fill="${COLORS.breakEven}"/>`);
    parts.push(`<text x="${r1(bx + 6)}" y="${r1(y(b.monthlyUsd) - 6)}" fill="${COLORS.breakEven}" font-weight="bold">${i + 1}</text>`);
  });
  if (breakEvens.length > 0) {
    const labels = breakEvens.map(
      (b, i) => `${i + 1}: break-even at ${fmtNum(b.averageCheckpointsPerSec)}/s, ${b.direction === 'tiered-becomes-cheaper' ? 'tiered cheaper above' : 'tiered dearer above'}${b.feasible ? '' : ' (beyond the price file)'}`,
    );
    const width = Math.max(...labels.map((l) => l.length)) * 6.4 + 12;
    parts.push(`<rect x="${m.left + 6}" y="${m.top + 6}" width="${r1(width)}" height="${labels.length * 15 + 8}" fill="#fff" opacity="0.9" stroke="${COLORS.grid}"/>`);
    labels.forEach((l, i) => parts.push(`<text x="${m.left + 12}" y="${m.top + 20 + 15 * i}" fill="${COLORS.breakEven}">${esc(l)}</text>`));
  } else {
    parts.push(`<text x="${m.left + 12}" y="${m.top + 20}" fill="${COLORS.breakEven}">no break-even in this range</text>`);
  }
  parts.push(...paths('pgOnlyUsd', 'pgOnlyFeasible', COLORS.pgOnly));
  parts.push(...paths('tieredUsd', 'tieredFeasible', COLORS.tiered));
  if (anyInfeasible) parts.push(`<text x="${m.left + pw}" y="${H - 4}" text-anchor="end" font-size="11" fill="#666">dashed: needs more than the price file offers (largest class priced; cost understated)</text>`);
  parts.push(`<g transform="translate(${m.left + 8} ${m.top - 22})">`);
  parts.push(`<line x1="0" y1="0" x2="22" y2="0" stroke="${COLORS.pgOnly}" stroke-width="2.2"/><text x="28" y="4">PostgreSQL only (PostgresSaver)</text>`);
  parts.push(`<line x1="240" y1="0" x2="262" y2="0" stroke="${COLORS.tiered}" stroke-width="2.2"/><text x="268" y="4">tiered (Redis hot + PostgreSQL cold)</text>`);
  parts.push(`</g>`);
  parts.push(`</svg>`);
  return `${parts.join('\n')}\n`;
}
