/**
 * A batch's progress from its rows: pages done, failed and in all (a page counts once, whatever its tiles), pages per
 * hour from the first page's start to the last page's end, and the ETA of the pages left at that rate; per input, its status and page counts.
 * ONNX-free (`@divblur/batch/progress`), for GET /v1/deconvolutions/:id.
 */
import { pageStatus, type TaskStatus } from './manifest.ts';

export interface ProgressTask {
  readonly inputId: string;
  readonly page: number;
  readonly status: TaskStatus;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
}

export interface ProgressInput {
  readonly id: string;
  readonly name: string;
  readonly status: TaskStatus;
  readonly error: string | null;
  readonly pageCount: number | null;
  readonly outputKey: string | null;
}

export interface PageCounts { done: number; failed: number; total: number }

export interface BatchProgress {
  readonly pages: PageCounts;
  readonly pagesPerHour: number | null;
  readonly etaSeconds: number | null;
  readonly inputs: (Omit<ProgressInput, 'id'> & { pages: PageCounts })[];
}

export function batchProgress(inputs: readonly ProgressInput[], tasks: readonly ProgressTask[]): BatchProgress {
  const pages = new Map<string, { inputId: string; statuses: TaskStatus[]; finishedAt: number }>();
  let firstStart = Infinity;
  for (const task of tasks) {
    const key = `${task.inputId}:${task.page}`;
    const page = pages.get(key) ?? { inputId: task.inputId, statuses: [], finishedAt: 0 };
    page.statuses.push(task.status);
    if (task.finishedAt !== null) page.finishedAt = Math.max(page.finishedAt, Date.parse(task.finishedAt));
    pages.set(key, page);
    if (task.startedAt !== null) firstStart = Math.min(firstStart, Date.parse(task.startedAt));
  }
  const countsOf = (inputId?: string): PageCounts => {
    const counts = { done: 0, failed: 0, total: 0 };
    for (const page of pages.values()) {
      if (inputId !== undefined && page.inputId !== inputId) continue;
      const status = pageStatus(page.statuses);
      counts.total += 1;
      if (status === 'succeeded') counts.done += 1;
      else if (status === 'failed') counts.failed += 1;
    }
    return counts;
  };
  const all = countsOf();
  const doneTimes = [...pages.values()].filter((p) => pageStatus(p.statuses) === 'succeeded').map((p) => p.finishedAt);
  const lastDone = doneTimes.length > 0 ? Math.max(...doneTimes) : 0;
  const hours = (lastDone - firstStart) / 3.6e6;
  const pagesPerHour = all.done > 0 && hours > 0 ? all.done / hours : null;
  const open = [...pages.values()].filter((p) => ['queued', 'running'].includes(pageStatus(p.statuses))).length;
  return {
    pages: all,
    pagesPerHour,
    etaSeconds: pagesPerHour === null ? null : (open / pagesPerHour) * 3600,
    inputs: inputs.map(({ id, ...input }) => ({ ...input, pages: countsOf(id) })),
  };
}
