/**
 * Progress on stderr while the tool measures: one updating line on a terminal, a line per 20 %
 * otherwise (CI logs stay short). `--quiet` silences it.
 */
export interface Progress {
  info(message: string): void;
  step(label: string, done: number, total: number, unit: string): void;
  done(message: string): void;
}

export function createProgress({ quiet = false, stream = process.stderr }: { quiet?: boolean; stream?: NodeJS.WriteStream } = {}): Progress {
  const started = performance.now();
  const tty = stream.isTTY === true;
  let open = false;
  let lastBucket = new Map<string, number>();
  const stamp = () => `[cost ${((performance.now() - started) / 1000).toFixed(1).padStart(5)} s]`;
  const line = (text: string) => {
    if (quiet) return;
    if (open && tty) stream.write('\r\x1b[2K');
    open = false;
    stream.write(`${stamp()} ${text}\n`);
  };
  return {
    info: line,
    done: line,
    step(label, done, total, unit) {
      if (quiet) return;
      const pct = total > 0 ? Math.min(100, Math.floor((100 * done) / total)) : 100;
      const text = `${stamp()}   ${label}: ${done}/${total} ${unit} (${pct} %)`;
      if (tty) {
        stream.write(`\r\x1b[2K${text}`);
        open = true;
        return;
      }
      const bucket = Math.floor(pct / 20);
      if ((lastBucket.get(label) ?? -1) < bucket) {
        lastBucket.set(label, bucket);
        stream.write(`${text}\n`);
      }
      if (done >= total) lastBucket = new Map([...lastBucket].filter(([k]) => k !== label));
    },
  };
}
