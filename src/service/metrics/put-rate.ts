/**
 * Checkpoint write rate as this process observed it, for the live cost estimate: the average
 * since start, the busiest second and the busiest hour of the last day (per-second counts kept
 * in a ring of one day, 86 400 small numbers).
 */
export class PutRateWindow {
  private readonly perSecond = new Uint32Array(86_400);
  private readonly startedAt: number;
  private lastSecond: number;
  private total = 0;

  constructor(private readonly now: () => number = () => Date.now()) {
    this.startedAt = now();
    this.lastSecond = Math.floor(this.startedAt / 1000);
  }

  /** Counts one checkpoint written now. */
  record(): void {
    this.advance();
    this.perSecond[this.lastSecond % this.perSecond.length] += 1;
    this.total += 1;
  }

  /** Checkpoints/s: average since start, busiest second, busiest hour (of the last 24 h). */
  rates(): { averageCheckpointsPerSec: number; peakCheckpointsPerSec: number; peakHourCheckpointsPerSec: number } {
    this.advance();
    const elapsed = Math.max(1, (this.now() - this.startedAt) / 1000);
    let peak = 0;
    let hour = 0;
    let peakHour = 0;
    const n = this.perSecond.length;
    for (let i = 0; i < n; i += 1) {
      const v = this.perSecond[i];
      peak = Math.max(peak, v);
      hour += v - (i >= 3600 ? this.perSecond[i - 3600] : 0);
      peakHour = Math.max(peakHour, hour);
    }
    return { averageCheckpointsPerSec: this.total / elapsed, peakCheckpointsPerSec: peak, peakHourCheckpointsPerSec: peakHour / Math.min(3600, elapsed) };
  }

  /** Zeroes the seconds that passed without writes (the ring holds one day). */
  private advance(): void {
    const second = Math.floor(this.now() / 1000);
    for (let s = this.lastSecond + 1; s <= second && s <= this.lastSecond + this.perSecond.length; s += 1) this.perSecond[s % this.perSecond.length] = 0;
    this.lastSecond = Math.max(this.lastSecond, second);
  }
}
