import cliProgress from 'cli-progress';

/** A progress bar on stderr (stdout stays clean for JSON); silent when stderr is not a terminal unless forced. */
export interface Progress {
  update(done: number, fields?: Record<string, string | number>): void;
  stop(): void;
}

export function createProgress(label: string, total: number, fieldsFormat = ''): Progress {
  const bar = new cliProgress.SingleBar({
    format: `${label} [{bar}] {value}/{total} {percentage}% | ETA {eta_formatted}${fieldsFormat ? ' | ' + fieldsFormat : ''}`,
    stream: process.stderr,
    hideCursor: true,
    etaBuffer: 20,
    noTTYOutput: true,
    notTTYSchedule: 5000,
  }, cliProgress.Presets.shades_classic);
  bar.start(total, 0);
  return {
    update: (done, fields) => bar.update(done, fields),
    stop: () => bar.stop(),
  };
}
