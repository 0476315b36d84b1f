/** Shared by the batch engine's tests: a tiny random model with a Gaussian PSF, exported to ONNX and loaded. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gaussianPsf } from '@divblur/imaging';
import { exportModel, loadModelSessions, releaseModelSessions, type ModelSessions } from '@divblur/onnx';
import { writeRandomModel } from '@divblur/onnx/testing';

export const TINY_CONFIG = { depth: 2, filters: [4, 8], latentChannels: 4, kernelSize: 3, output: 'linear' } as const;

export interface TestModel { dir: string; sessions: ModelSessions; close(): Promise<void> }

export async function tinyPsfModel(): Promise<TestModel> {
  const dir = await mkdtemp(join(tmpdir(), 'divblur-batch-model-'));
  const psf = gaussianPsf({ fwhmPx: 2 });
  await writeRandomModel(join(dir, 'model'), {
    config: { ...TINY_CONFIG, filters: [...TINY_CONFIG.filters] }, seed: 5,
    psf: { height: psf.height, width: psf.width, data: Array.from(psf.data) },
  });
  const exported = await exportModel(join(dir, 'model'), join(dir, 'onnx'));
  const sessions = await loadModelSessions('tiny', exported.dir, { intraOpThreads: 1 });
  return {
    dir, sessions,
    async close() {
      await releaseModelSessions(sessions);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
