/**
 * The cost model, usable without the measurement tool: price sheet, scenario, sizing, cost and
 * report rendering, and {@link estimateFromLive} for a service that wants a live estimate.
 * Pure code with no runtime dependencies. (Not re-exported from `src/index.ts` yet.)
 */
export * from './price-sheet.js';
export * from './measurement.js';
export * from './scenario.js';
export * from './sizing-model.js';
export * from './cost-model.js';
export * from './levers.js';
export * from './chart-svg.js';
export * from './report-markdown.js';
export { fmtGB, fmtNum, fmtPct, fmtUsd } from './format.js';
