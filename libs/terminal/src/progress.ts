import cliProgress from 'cli-progress';

/**
 * A progress bar on stderr (stdout stays clean for JSON): redrawn in place on a terminal, one line every 5 s and at the
 * end when stderr is not a terminal (a log file, a pipe).
 */
export interface Progress {
  update(done: number, fields?: Record<string, string | number>): void;
  /** A total learnt on the way (the pages of a folder, as its files are read). */
  setTotal(total: number): void;
  stop(): void;
}

/** What a field of `fieldsFormat` shows until the first update gives it a value. */
const PENDING_FIELD = '–';

/** The `{name}` tokens of a cli-progress format, in order. */
function formatFields(format: string): string[] {
  return [...format.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
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
  // start() draws the first frame before any update brings the fields, and cli-progress prints a token it has no value
  // for as it is ("loss {loss}"): each field starts as PENDING_FIELD.
  bar.start(total, 0, Object.fromEntries(formatFields(fieldsFormat).map((name) => [name, PENDING_FIELD])));
  return {
    update: (done, fields) => bar.update(done, fields),
    setTotal: (newTotal) => bar.setTotal(newTotal),
    stop: () => bar.stop(),
  };
}
