/**
 * A batch's manifest: per page, where its result is, the samples it used, its Monte-Carlo standard error, its
 * GT-free quality (discrepancy ‖A x̂ − y‖²/(Nσ²) and mean posterior std) and its time; and per input, its status.
 * A tiled page's figures combine its tiles exactly: samples and mean std weighted by core pixels, the standard
 * error as √(Σ n_t se_t² / Σ n_t), the discrepancy weighted by each tile's valid pixels, times summed. The same rows
 * for GET /v1/deconvolutions/:id/manifest (JSON and CSV), the manifest files beside the outputs, and the CLI.
 * ONNX-free (`@divblur/batch/manifest`).
 */
import { toCsv } from '@divblur/terminal';

export type TaskStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface ManifestInputRecord {
  readonly ordinal: number;
  readonly name: string;
  readonly status: TaskStatus;
  readonly error: string | null;
  readonly pageCount: number | null;
  readonly outputKey: string | null;
  readonly stdKey: string | null;
}

export interface ManifestTaskRecord {
  readonly inputOrdinal: number;
  readonly page: number;
  readonly tile: number;
  readonly core: { readonly height: number; readonly width: number };
  readonly status: TaskStatus;
  readonly error: string | null;
  readonly resultKey: string;
  readonly samplesUsed: number | null;
  readonly standardError: number | null;
  readonly discrepancy: number | null;
  readonly discrepancyPixels: number | null;
  readonly meanStd: number | null;
  readonly durationMs: number | null;
}

export interface ManifestPage {
  readonly input: string;
  readonly page: number;
  readonly status: TaskStatus;
  /** The input's MMSE stack (this page is page `page` of it), once assembled. */
  readonly outputKey: string | null;
  /** The page's result blobs (`<key>.tif`, one per tile). */
  readonly resultKeys: string[];
  readonly tiles: number;
  readonly samplesUsed: number | null;
  readonly standardError: number | null;
  readonly discrepancy: number | null;
  readonly meanStd: number | null;
  readonly seconds: number | null;
  readonly error: string | null;
}

export interface Manifest {
  readonly inputs: readonly ManifestInputRecord[];
  readonly pages: readonly ManifestPage[];
}

/** The status of a page from its tiles': any failure fails it; it succeeded only when every tile did. */
export function pageStatus(statuses: readonly TaskStatus[]): TaskStatus {
  for (const status of ['failed', 'running', 'cancelled', 'queued'] as const) if (statuses.includes(status)) return status;
  return 'succeeded';
}

const weighted = (parts: { weight: number; value: number | null }[]): number | null => {
  const known = parts.filter((part) => part.value !== null && Number.isFinite(part.value) && part.weight > 0);
  const total = known.reduce((sum, part) => sum + part.weight, 0);
  return total === 0 ? null : known.reduce((sum, part) => sum + part.weight * (part.value as number), 0) / total;
};

export function manifestOf(inputs: readonly ManifestInputRecord[], tasks: readonly ManifestTaskRecord[]): Manifest {
  const sortedInputs = [...inputs].sort((a, b) => a.ordinal - b.ordinal);
  const byPage = new Map<string, ManifestTaskRecord[]>();
  for (const task of tasks) {
    const key = `${task.inputOrdinal}:${task.page}`;
    byPage.set(key, [...(byPage.get(key) ?? []), task]);
  }
  const pages: ManifestPage[] = [];
  for (const input of sortedInputs) {
    const pageNumbers = [...new Set(tasks.filter((t) => t.inputOrdinal === input.ordinal).map((t) => t.page))].sort((a, b) => a - b);
    for (const page of pageNumbers) {
      const tiles = byPage.get(`${input.ordinal}:${page}`)!.sort((a, b) => a.tile - b.tile);
      const status = pageStatus(tiles.map((t) => t.status));
      const done = status === 'succeeded';
      const pixels = (t: ManifestTaskRecord) => t.core.height * t.core.width;
      const variance = weighted(tiles.map((t) => ({ weight: pixels(t), value: t.standardError === null ? null : t.standardError ** 2 })));
      pages.push({
        input: input.name, page, status, outputKey: done ? input.outputKey : null,
        resultKeys: tiles.map((t) => `${t.resultKey}.tif`), tiles: tiles.length,
        samplesUsed: done ? weighted(tiles.map((t) => ({ weight: pixels(t), value: t.samplesUsed }))) : null,
        standardError: done && variance !== null ? Math.sqrt(variance) : null,
        discrepancy: done ? weighted(tiles.map((t) => ({ weight: t.discrepancyPixels ?? 0, value: t.discrepancy }))) : null,
        meanStd: done ? weighted(tiles.map((t) => ({ weight: pixels(t), value: t.meanStd }))) : null,
        seconds: done ? tiles.reduce((sum, t) => sum + (t.durationMs ?? 0), 0) / 1000 : null,
        error: tiles.map((t) => t.error).find((e) => e !== null) ?? null,
      });
    }
  }
  return { inputs: sortedInputs, pages };
}

export const MANIFEST_COLUMNS = ['input', 'page', 'status', 'output_key', 'tiles', 'samples_used', 'standard_error', 'discrepancy', 'mean_std', 'seconds', 'error'] as const;

/** One line per page, and one per input that failed before it had pages (page empty, its reason in `error`). */
export function manifestCsv(manifest: Manifest): string {
  const rows: Record<(typeof MANIFEST_COLUMNS)[number], unknown>[] = manifest.pages.map((p) => ({
    input: p.input, page: p.page, status: p.status, output_key: p.outputKey, tiles: p.tiles, samples_used: p.samplesUsed,
    standard_error: p.standardError, discrepancy: p.discrepancy, mean_std: p.meanStd, seconds: p.seconds, error: p.error,
  }));
  for (const input of manifest.inputs) {
    if (manifest.pages.some((p) => p.input === input.name)) continue;
    rows.push({ input: input.name, page: null, status: input.status, output_key: null, tiles: 0, samples_used: null, standard_error: null, discrepancy: null, mean_std: null, seconds: null, error: input.error });
  }
  return toCsv(MANIFEST_COLUMNS, rows);
}
