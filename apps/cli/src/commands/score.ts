import { writeFile } from 'node:fs/promises';
import { ImageValueError, psnrPerImage, ssimPerImage, ParameterError } from '@divblur/imaging';
import { readStack } from '../files.ts';
import { formatTable } from '@divblur/terminal';

export interface ScoreArgs { gt: string; est: string; json?: string; format: string }

/** Per-image and mean PSNR (the report's definition) and SSIM of an estimate against ground truth. */
export async function scoreCommand(args: ScoreArgs): Promise<void> {
  if (args.format !== 'table' && args.format !== 'json') {
    throw new ParameterError('UNKNOWN_FORMAT', `--format must be table or json, got '${args.format}'`);
  }
  const [gt, est] = await Promise.all([readStack(args.gt), readStack(args.est)]);
  if (gt.stack.count !== est.stack.count || gt.stack.height !== est.stack.height || gt.stack.width !== est.stack.width) {
    throw new ImageValueError('SHAPE_MISMATCH',
      `the estimate is ${est.stack.count}×${est.stack.height}×${est.stack.width} but the ground truth is ` +
      `${gt.stack.count}×${gt.stack.height}×${gt.stack.width}: score images of the same shape`);
  }
  const psnr = psnrPerImage(gt.stack, est.stack);
  const ssim = ssimPerImage(gt.stack, est.stack);
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  const report = {
    images: psnr.map((value, index) => ({ index, psnr: value, ssim: ssim[index] })),
    mean: { psnr: mean(psnr), ssim: mean(ssim) },
  };
  if (args.json) await writeFile(args.json, JSON.stringify(report, null, 2) + '\n');
  if (args.format === 'json') {
    process.stdout.write(JSON.stringify(report, null, 2) + '\n');
    return;
  }
  const rows = report.images.map((r) => [String(r.index), r.psnr, r.ssim]);
  rows.push(['mean', report.mean.psnr, report.mean.ssim]);
  process.stdout.write(formatTable(['image', 'PSNR (dB)', 'SSIM'], rows, [0, 2, 4]) + '\n');
}
