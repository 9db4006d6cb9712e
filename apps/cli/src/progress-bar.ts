/** Draws `label [#####-----] 50% 5/10` on one terminal line; draws nothing when not interactive. */
export interface ProgressBar {
  update(done: number, total: number): void;
  /** Ends the line so the summary starts on a fresh one. */
  finish(): void;
}

const WIDTH = 30;

export function createProgressBar(label: string, interactive: boolean, stream: NodeJS.WriteStream = process.stderr): ProgressBar {
  let drawn = false;
  return {
    update(done, total) {
      if (!interactive) return;
      const ratio = total > 0 ? Math.min(1, done / total) : 1;
      const filled = Math.round(ratio * WIDTH);
      const bar = `${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}`;
      stream.write(`\r${label} [${bar}] ${String(Math.floor(ratio * 100)).padStart(3)}% ${done}/${total}`);
      drawn = true;
    },
    finish() {
      if (drawn) stream.write('\n');
      drawn = false;
    },
  };
}
