/**
 * The `divblur` command line: a thin shell over the libs. Each command lives in commands/<name>.ts;
 * errors of the libs (typed, with a message saying what is wrong) end the process with exit code 2.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { ImagingError } from '@divblur/imaging';
import { ConfigError } from '@divblur/config';
import { ApiKeyRequestError } from '@divblur/http/api-key';
import { simulateCommand } from './commands/simulate.ts';
import { baselineCommand } from './commands/baseline.ts';
import { scoreCommand } from './commands/score.ts';
import { trainCommand } from './commands/train.ts';
import { deconvolveCommand } from './commands/deconvolve.ts';
import { exportCommand } from './commands/export.ts';
import { KeysCommandError, keysCreateCommand, keysListCommand, keysRevokeCommand } from './commands/keys.ts';
import { DEFAULT_TRAIN_STEPS, DivblurError } from '@divblur/divblurring';
import { DEFAULT_MEMORY_BUDGET_BYTES, DEFAULT_SAMPLES, DEFAULT_SEED, DEFAULT_TOLERANCE_RANGE, OnnxError } from '@divblur/onnx';
import { nonNegativeInteger, nonNegativeNumber, positiveInteger, positiveNumber } from '@divblur/terminal';
import { DEFAULT_CHECKPOINT_EVERY_STEPS, QueueError } from '@divblur/queue';

/** --tolerance: a number > 0 (data units), "default" or "none" (libs/batch's BatchOptions.tolerance). */
function batchTolerance(value: string): number | 'default' | 'none' {
  if (value === 'default' || value === 'none') return value;
  try {
    return positiveNumber(value);
  } catch {
    throw new InvalidArgumentError(`expected a number > 0, "default" or "none", got '${value}'`);
  }
}

const program = new Command('divblur')
  .description('DivBlurring deconvolution of fluorescence microscopy images: simulate, baselines, scores, training, MMSE')
  .showHelpAfterError();

program.command('simulate')
  .description("simulate the report's filament data (noisy stack, ground truth, PSF) to TIFF")
  .requiredOption('--out <dir>', 'output folder (noisy.tif, gt.tif, psf.tif, meta.json)')
  .option('--preset <name>', 'dataset1 (low noise, FWHM 3.8 px), dataset2 (high noise, FWHM 3.0 px) or camera (uint16 ADU, Poisson–Gaussian)', 'dataset1')
  .option('--count <n>', 'number of images', positiveInteger, 20)
  .option('--size <px>', 'image side in pixels', positiveInteger, 128)
  .option('--seed <n>', 'random seed (same seed, same bytes)', nonNegativeInteger, 1)
  .option('--sigma <value>', "noise standard deviation (default: the preset's)", positiveNumber)
  .action(simulateCommand);

program.command('baseline')
  .description('classical deconvolution of a TIFF stack: Richardson–Lucy or Wiener')
  .requiredOption('--in <file>', 'noisy image or stack (.tif/.npy)')
  .requiredOption('--psf <file>', 'point-spread function (.tif/.npy, odd sides; normalised to sum 1)')
  .requiredOption('--out <file>', 'estimate, float32 TIFF of the input shape')
  .option('--method <name>', 'rl or wiener', 'rl')
  .option('--iterations <n>', 'RL iterations (default: chosen by the discrepancy principle)', positiveInteger)
  .option('--balance <value>', 'Wiener balance (default: chosen by the discrepancy principle)', positiveNumber)
  .option('--sigma <value>', 'noise σ for the discrepancy principle (default: estimated from the data)', positiveNumber)
  .option('--negatives <how>', 'RL: shift or clip negative values', 'shift')
  .action(baselineCommand);

program.command('score')
  .description('PSNR and SSIM of an estimate against ground truth, per image and mean')
  .requiredOption('--gt <file>', 'ground truth (.tif/.npy)')
  .requiredOption('--est <file>', 'estimate of the same shape (.tif/.npy)')
  .option('--json <file>', 'also write the scores as JSON to this file')
  .option('--format <kind>', 'table or json on stdout', 'table')
  .action(scoreCommand);

program.command('train')
  .description('train a DivBlurring (or DivNoising) model on a noisy stack')
  .requiredOption('--data <file>', 'noisy training images (.tif/.npy), data units')
  .requiredOption('--out <dir>', 'model folder: model.json, weights.bin, checkpoint/, loss.csv')
  .option('--psf <file>', 'point-spread function (required for divblurring)')
  .option('--sigma <value>', 'noise σ in data units (default: estimated from the data)', positiveNumber)
  .option('--noise <kind>', 'noise model: gaussian or poisson_gaussian (default: poisson_gaussian for integer camera data, e.g. uint16 ADU, or with --gain/--read-noise; gaussian otherwise)')
  .option('--gain <value>', 'camera gain α, ADU per electron (default: estimated from the data)', positiveNumber)
  .option('--read-noise <value>', 'camera read noise σ_r, ADU (default: estimated from the data)', positiveNumber)
  .option('--offset <value>', 'camera offset, ADU: what an unlit pixel reads (default: estimated; 0 for gaussian)', nonNegativeNumber)
  .option('--method <name>', 'divblurring or divnoising', 'divblurring')
  .option('--penalty <name>', 'none, l1, l2, positivity or positivity_l1', 'none')
  .option('--lambda <value>', 'penalty weight λ', nonNegativeNumber, 0)
  .option('--kappa <value>', 'positivity weight κ of positivity_l1', nonNegativeNumber, 0)
  .option('--steps <n>', `budget in training steps (default ${DEFAULT_TRAIN_STEPS})`, positiveInteger)
  .option('--minutes <m>', 'budget in wall-clock minutes', positiveNumber)
  .option('--seed <n>', 'random seed', nonNegativeInteger, 0)
  .option('--batch-size <n>', 'patches per step (default 32)', positiveInteger)
  .option('--patch-size <px>', 'patch side (default 64)', positiveInteger)
  .option('--output <kind>', 'decoder output: linear (the report) or softplus (positive by construction)')
  .addOption(new Option('--augment <which>', 'turns and mirrors that augment the patches: psf (those the PSF is symmetric under), all (a PSF known to be symmetric, measured with noise), none').choices(['psf', 'all', 'none']).default('psf'))
  .option('--checkpoint-every <n>', `steps between checkpoints (default ${DEFAULT_CHECKPOINT_EVERY_STEPS})`, positiveInteger)
  .option('--resume', 'continue from <out>/checkpoint when it exists', false)
  .option('--backend <name>', 'auto, tensorflow, native, wasm or cpu', 'auto')
  .option('--conv-precision <p>', 'native engine convolutions: auto, f32, bf16 or bf16-backward', 'auto')
  .option('--shards <n>', "data-parallel threads of the native engine: auto (one per core) or an integer", 'auto')
  .action(trainCommand);

program.command('deconvolve')
  .description('MMSE deconvolution with a trained model (mean of N posterior samples), optionally the std map; of a folder of TIFFs '
    + 'as a batch (resumable: pages already written are skipped; <out>/<name>.mmse.tif and manifest.json/.csv)')
  .requiredOption('--model <dir>', 'model folder written by divblur train')
  .requiredOption('--in <file|folder>', 'noisy image or stack (.tif/.npy), or a folder: every .tif/.tiff in it')
  .requiredOption('--out <file|folder>', 'MMSE estimate in the input\'s units (offset kept), of the input shape; a folder for a folder')
  .addOption(new Option('--dtype <type>', 'sample type of the estimate: float32, or input (the input\'s, e.g. uint16; rounded and clamped), uint16, uint8').choices(['float32', 'input', 'uint16', 'uint8']).default('float32'))
  .option('--std <file>', 'also write the per-pixel posterior std (float32)')
  .option('--samples <n>', 'posterior samples', positiveInteger, DEFAULT_SAMPLES)
  .option('--seed <n>', 'random seed', nonNegativeInteger, DEFAULT_SEED)
  .option('--no-dihedral', 'no test-time averaging over the turns and mirrors the PSF is symmetric under (on by default: the samples are split over them)')
  .option('--memory-mb <n>', 'memory budget of ONNX Runtime, MiB (images that do not fit are tiled)', positiveInteger, DEFAULT_MEMORY_BUDGET_BYTES / 2 ** 20)
  .option('--tolerance <value>', `folder: stop a page once its MMSE's Monte-Carlo standard error is below this (data units); default: ${DEFAULT_TOLERANCE_RANGE} × the page's intensity range; none: every sample`, batchTolerance, 'default')
  .option('--with-std', 'folder: also write each stack\'s posterior std (<name>.std.tif)', false)
  .action(deconvolveCommand);

program.command('export')
  .description('the model as a bioimage.io 0.5 package: the MMSE and its std in one ONNX graph, for Fiji (deepImageJ) and napari (bioimageio.core)')
  .requiredOption('--model <dir>', 'model folder written by divblur train')
  .requiredOption('--bioimageio <file>', 'the package zip to write')
  .option('--name <text>', "the model's name in the package (letters, digits, _+- ())")
  .option('--author <name...>', 'author names (default: divblur)')
  .option('--samples <n>', 'posterior samples, fixed in the graph', positiveInteger, DEFAULT_SAMPLES)
  .option('--seed <n>', "the graph's noise seed", nonNegativeInteger, DEFAULT_SEED)
  .option('--no-dihedral', 'no test-time averaging over the turns and mirrors the PSF is symmetric under (on by default, as the service)')
  .action(exportCommand);

const keys = program.command('keys')
  .description('API keys of the services (in the database of DATABASE_URL): every /v1 route needs one, sent as Authorization: Bearer <key>');
keys.command('create')
  .description('create a key and print it once (it is stored only hashed)')
  .requiredOption('--name <text>', 'who or what uses it, e.g. lims')
  .requiredOption('--scopes <list>', 'comma-separated: read (GET), write (create datasets, experiments, deconvolutions; cancel), admin (everything)')
  .option('--project <name>', "limit it to this project's datasets and what is made from them (created if new)")
  .action(keysCreateCommand);
keys.command('list')
  .description('the keys: id, name, public part, scopes, project, created, last used')
  .option('--all', 'include revoked keys', false)
  .action(keysListCommand);
keys.command('revoke')
  .description('revoke a key: refused from its next request on')
  .argument('<id>', 'the key id (divblur keys list)')
  .action(keysRevokeCommand);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof ImagingError || error instanceof DivblurError || error instanceof OnnxError || error instanceof QueueError
    || error instanceof KeysCommandError || error instanceof ApiKeyRequestError || error instanceof ConfigError) {
    process.stderr.write(`divblur: ${error.message}${'code' in error ? ` [${String(error.code)}]` : ''}\n`);
    process.exit(2);
  }
  // A path that cannot be read or written (missing, a folder, no permission) is the user's input too.
  const systemError = error as NodeJS.ErrnoException;
  if (typeof systemError?.code === 'string' && typeof systemError.path === 'string' && /^E[A-Z]+$/.test(systemError.code)) {
    process.stderr.write(`divblur: ${systemError.path}: ${systemError.code === 'ENOENT' ? 'no such file or folder' : systemError.message} [${systemError.code}]\n`);
    process.exit(2);
  }
  throw error;
}
