/**
 * `batch-callback`: POSTs a settled batch's summary (the JSON fixed when it settled) to its callback URL, signed
 * with HMAC-SHA256 of the body (`X-Divblur-Signature: sha256=<hex>`, key CALLBACK_SECRET; libs/batch
 * callback-signature.ts). Any answer but 2xx, or none within the timeout, fails the attempt, and BullMQ retries it
 * with exponential backoff (5 s, 10 s, 20 s…, 12 tries: about 5.7 hours in all); every attempt is recorded.
 */
import type { JobsOptions } from 'bullmq';
import { UnrecoverableError } from 'bullmq';
import { CALLBACK_SIGNATURE_HEADER, signCallback } from '@divblur/batch';
import { defineHandler } from '@divblur/queue';
import type { InferenceServices } from '../services.ts';

export const CALLBACK_JOB_OPTIONS: JobsOptions = { attempts: 12, backoff: { type: 'exponential', delay: 5_000 } };
export const CALLBACK_TIMEOUT_MS = 10_000;

export const batchCallbackHandler = (services: InferenceServices) =>
  defineHandler('batch-callback', async (data, job) => deliverCallback(services, data.batchId, job.attemptsMade + 1));

export async function deliverCallback(services: InferenceServices, batchId: string, attempt: number) {
  const { db, config, logger } = services;
  const batch = await db.batches.summary(batchId);
  if (batch?.callbackUrl == null || batch.summary === null) return { skipped: 'no callback or not settled' };
  if (config.callbackSecret === undefined) throw new UnrecoverableError('CALLBACK_SECRET is not configured: callbacks are never sent unsigned');
  const started = performance.now();
  let statusCode: number | null = null;
  let failure: string | null = null;
  try {
    const response = await fetch(batch.callbackUrl, {
      method: 'POST', redirect: 'manual', signal: AbortSignal.timeout(CALLBACK_TIMEOUT_MS), body: batch.summary,
      headers: {
        'content-type': 'application/json', [CALLBACK_SIGNATURE_HEADER]: signCallback(config.callbackSecret, batch.summary),
        'x-divblur-batch': batchId, 'x-divblur-attempt': String(attempt),
      },
    });
    statusCode = response.status;
    await response.body?.cancel();
    if (!response.ok) failure = `the receiver answered HTTP ${response.status}`;
  } catch (error) {
    failure = `no answer: ${(error as Error).message}`;
  }
  await db.batches.recordCallbackAttempt(batchId, { attempt, statusCode, error: failure, durationMs: Math.round(performance.now() - started) });
  if (failure !== null) {
    logger.warn({ batchId, attempt, statusCode, reason: failure }, 'batch callback failed');
    throw new Error(failure);
  }
  logger.info({ batchId, attempt, statusCode }, 'batch callback delivered');
  return { statusCode, attempt };
}
