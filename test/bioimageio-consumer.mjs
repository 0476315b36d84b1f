#!/usr/bin/env node
/**
 * What a consumer of a bioimage.io model zip checks, written without divblur: plain JavaScript (no TypeScript
 * loader, so no divblur module can load), onnxruntime-node, fflate (unzip), yaml (YAML 1.2) and node:crypto only.
 *   node test/bioimageio-consumer.mjs package.zip   → JSON report on stdout, exit 1 when a check fails
 * The fields and their types are those of the bioimage.io model description format 0.5.7 (bioimageio.spec 0.5.7.2,
 * github.com/bioimage-io/spec-bioimage-io: src/bioimageio/spec/model/v0_5.py ModelDescr, InputTensorDescr,
 * OutputTensorDescr, the axes, OnnxWeightsDescr; generic/v0_3.py GenericModelDescrBase, Author, CiteEntry;
 * _internal/io.py FileDescr). "required": a description without it fails validation. "FAIR": bioimageio.spec only
 * alerts without it (FAIR[...] fields), but a package meant for others must have it.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { unzipSync } from 'fflate';
import { parse } from 'yaml';
import * as ort from 'onnxruntime-node';

export const SPEC = 'bioimage.io model description format 0.5.7 (bioimageio.spec 0.5.7.2)';

const isString = (v) => typeof v === 'string';
const isInt = (v) => Number.isInteger(v);
const nonEmptyList = (v) => Array.isArray(v) && v.length > 0;
const identifier = (v) => isString(v) && /^[A-Za-z_][A-Za-z0-9_]*$/.test(v);
const lowerIdentifier = (v) => identifier(v) && v === v.toLowerCase() && v.length <= 32;
const sha256Hex = (v) => isString(v) && /^[0-9a-fA-F]{64}$/.test(v);
const fileDescr = (v) => v !== null && typeof v === 'object' && isString(v.source) && (v.sha256 === undefined || sha256Hex(v.sha256));

/** Top-level fields: [name, required | FAIR, type check]. */
export const MODEL_FIELDS = [
  ['format_version', 'required', (v) => isString(v) && /^0\.5\.\d+$/.test(v)],
  ['type', 'required', (v) => v === 'model'],
  ['name', 'required', (v) => isString(v) && v.length >= 5 && v.length <= 128 && /^[A-Za-z0-9_+\- ()]+$/.test(v)],
  ['inputs', 'required', nonEmptyList],
  ['outputs', 'required', nonEmptyList],
  ['weights', 'required', (v) => v !== null && typeof v === 'object' && Object.keys(v).length > 0],
  ['description', 'FAIR', (v) => isString(v) && v.length > 0 && v.length <= 1024],
  ['authors', 'FAIR', (v) => nonEmptyList(v) && v.every((a) => isString(a?.name) && a.name.length > 0 && !a.name.includes('/'))],
  ['cite', 'FAIR', (v) => nonEmptyList(v) && v.every((c) => isString(c?.text) && (isString(c.doi) || isString(c.url)))],
  ['license', 'FAIR', (v) => isString(v) && /^[A-Za-z0-9.+-]+$/.test(v)],
  ['documentation', 'FAIR', (v) => isString(v) && v.endsWith('.md')],
  ['tags', 'FAIR', (v) => nonEmptyList(v) && v.every(isString)],
];

const AXIS_TYPES = ['batch', 'channel', 'index', 'time', 'space'];
const DTYPES = ['float32', 'float64', 'uint8', 'int8', 'uint16', 'int16', 'uint32', 'int32', 'uint64', 'int64', 'bool'];
const DEFAULT_AXIS_IDS = { batch: 'batch', channel: 'channel', index: 'index', time: 'time', space: 'x' };
const axisId = (axis) => axis.id ?? DEFAULT_AXIS_IDS[axis.type];

function parseNpy(bytes) {
  if (!(bytes[0] === 0x93 && new TextDecoder().decode(bytes.subarray(1, 6)) === 'NUMPY')) throw new Error('not a .npy file');
  const headerLength = bytes[6] === 1 ? new DataView(bytes.buffer, bytes.byteOffset).getUint16(8, true) : new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  const start = bytes[6] === 1 ? 10 : 12;
  const header = new TextDecoder().decode(bytes.subarray(start, start + headerLength));
  if (!/'descr': '<f4'/.test(header) || /'fortran_order': True/.test(header)) throw new Error(`unsupported .npy header ${header.trim()}`);
  const shape = header.match(/'shape': \(([^)]*)\)/)[1].split(',').filter((s) => s.trim()).map(Number);
  return { shape, data: new Float32Array(bytes.slice(start + headerLength).buffer) };
}

/** Every object with a `source` (a FileDescr or a weights entry) anywhere in the description. */
function* fileDescriptions(value, path = '') {
  if (Array.isArray(value)) for (const [i, v] of value.entries()) yield* fileDescriptions(v, `${path}[${i}]`);
  else if (value !== null && typeof value === 'object') {
    if (isString(value.source)) yield [path, value];
    for (const [k, v] of Object.entries(value)) if (k !== 'source') yield* fileDescriptions(v, path ? `${path}.${k}` : k);
  }
}

function checkAxes(tensor, where, inputIds, problems) {
  if (!nonEmptyList(tensor.axes)) return void problems.push(`${where}.axes must be a non-empty list`);
  const ids = tensor.axes.map(axisId);
  if (new Set(ids).size !== ids.length) problems.push(`${where}: duplicate axis ids ${ids}`);
  for (const [a, axis] of tensor.axes.entries()) {
    const at = `${where}.axes[${a}]`;
    if (!AXIS_TYPES.includes(axis.type)) { problems.push(`${at}.type ${axis.type} is not one of ${AXIS_TYPES}`); continue; }
    if (axis.type === 'batch') { if (axis.size !== undefined && axis.size !== 1) problems.push(`${at}: a batch size may only be 1`); continue; }
    if (axis.type === 'channel') { if (!nonEmptyList(axis.channel_names) || !axis.channel_names.every(identifier)) problems.push(`${at}.channel_names must be identifiers`); continue; }
    const size = axis.size;
    const reference = size !== null && typeof size === 'object' && 'tensor_id' in size;
    if (reference && !(inputIds.has(size.tensor_id) && isString(size.axis_id) && (size.offset === undefined || isInt(size.offset)))) problems.push(`${at}.size references an unknown tensor axis`);
    if (axis.halo !== undefined && !(isInt(axis.halo) && axis.halo >= 1 && reference)) problems.push(`${at}.halo must be an integer ≥ 1 with a size reference`);
    if (!reference && !(isInt(size) && size > 0) && !(size !== null && typeof size === 'object' && isInt(size.min) && size.min > 0 && isInt(size.step) && size.step > 0)) {
      problems.push(`${at}.size must be an integer, {min, step} or a reference`);
    }
  }
}

/** Size of an axis at the smallest input (for the halo check), or null. */
function minimumSize(axis, inputsById) {
  const size = axis.size;
  if (isInt(size)) return size;
  if (size && 'min' in size) return size.min;
  if (size && 'tensor_id' in size) {
    const target = inputsById.get(size.tensor_id)?.axes.find((a) => axisId(a) === size.axis_id);
    return target ? minimumSize(target, inputsById) + (size.offset ?? 0) : null;
  }
  return null;
}

function sizeFits(axis, actual, sizes) {
  const size = axis.size;
  if (axis.type === 'batch') return axis.size === undefined || actual === 1;
  if (axis.type === 'channel') return actual === axis.channel_names.length;
  if (isInt(size)) return actual === size;
  if ('min' in size) return actual >= size.min && (actual - size.min) % size.step === 0;
  return actual === sizes.get(`${size.tensor_id}.${size.axis_id}`) + (size.offset ?? 0);
}

/** All checks of one zip; `problems` is empty when it passes. */
export async function checkPackage(zipBytes) {
  const problems = [];
  const files = unzipSync(zipBytes);
  if (!files['rdf.yaml']) return { problems: ['no rdf.yaml at the top of the zip'] };
  const rdf = parse(new TextDecoder().decode(files['rdf.yaml']), { version: '1.2' });
  for (const [name, kind, valid] of MODEL_FIELDS) {
    if (rdf[name] === undefined) problems.push(`${kind} field ${name} is missing`);
    else if (!valid(rdf[name])) problems.push(`${kind} field ${name} is not well-typed: ${JSON.stringify(rdf[name]).slice(0, 120)}`);
  }
  if (rdf.documentation && !files[rdf.documentation]) problems.push(`documentation ${rdf.documentation} is not in the zip`);
  else if (rdf.documentation && !/#.*[vV]alidation/.test(new TextDecoder().decode(files[rdf.documentation]))) problems.push('the documentation has no Validation section');
  for (const cover of rdf.covers ?? []) if (!files[cover] || !/\.(png|jpe?g|gif)$/i.test(cover)) problems.push(`cover ${cover} is missing or not an image`);
  const inputs = Array.isArray(rdf.inputs) ? rdf.inputs : [];
  const outputs = Array.isArray(rdf.outputs) ? rdf.outputs : [];
  const inputsById = new Map(inputs.map((t) => [t.id, t]));
  const ids = [...inputs, ...outputs].map((t) => t.id);
  if (new Set(ids).size !== ids.length) problems.push(`duplicate tensor ids ${ids}`);
  for (const [io, list] of [['inputs', inputs], ['outputs', outputs]]) {
    for (const [i, tensor] of list.entries()) {
      const where = `${io}[${i}]`;
      if (!lowerIdentifier(tensor.id)) problems.push(`${where}.id ${tensor.id} must be a lower-case identifier (≤ 32 characters)`);
      checkAxes(tensor, where, new Set(inputs.map((t) => t.id)), problems);
      if (!DTYPES.includes(tensor.data?.type ?? 'float32')) problems.push(`${where}.data.type ${tensor.data?.type} is not a bioimage.io dtype`);
      if (!fileDescr(tensor.test_tensor) || !tensor.test_tensor.source.endsWith('.npy')) problems.push(`FAIR field ${where}.test_tensor must be a .npy file description`);
      for (const axis of tensor.axes ?? []) {
        if (axis.halo === undefined) continue;
        const minimum = minimumSize(axis, inputsById);
        if (minimum === null || minimum - 2 * axis.halo < 1) problems.push(`${where}: axis ${axisId(axis)} with minimum size ${minimum} is too small for halo ${axis.halo}`);
      }
    }
  }
  const onnxWeights = rdf.weights?.onnx;
  if (onnxWeights && !(isString(onnxWeights.source) && sha256Hex(onnxWeights.sha256) && isInt(onnxWeights.opset_version) && onnxWeights.opset_version >= 7)) {
    problems.push('weights.onnx needs source, sha256 and an integer opset_version ≥ 7');
  }
  const hashes = [];
  for (const [path, descr] of fileDescriptions(rdf)) {
    const bytes = files[descr.source];
    if (!bytes) { problems.push(`${path}.source ${descr.source} is not in the zip`); continue; }
    if (descr.sha256 === undefined) continue;
    const actual = createHash('sha256').update(bytes).digest('hex');
    hashes.push(descr.source);
    if (actual !== descr.sha256.toLowerCase()) problems.push(`${path}: sha256 of ${descr.source} is ${actual}, rdf.yaml says ${descr.sha256}`);
  }
  if (problems.length > 0 || !onnxWeights) return { rdf, problems: onnxWeights ? problems : [...problems, 'no onnx weights to run'], hashes };

  // The test tensors: shapes that fit the axes, then the weights run on the inputs in ONNX Runtime.
  const arrays = new Map();
  const sizes = new Map();
  for (const tensor of [...inputs, ...outputs]) {
    const array = parseNpy(files[tensor.test_tensor.source]);
    arrays.set(tensor.id, array);
    if (array.shape.length !== tensor.axes.length) problems.push(`${tensor.id}: test tensor shape [${array.shape}] for ${tensor.axes.length} axes`);
    tensor.axes.forEach((axis, a) => sizes.set(`${tensor.id}.${axisId(axis)}`, array.shape[a]));
  }
  for (const tensor of [...inputs, ...outputs]) {
    tensor.axes.forEach((axis, a) => { if (!sizeFits(axis, arrays.get(tensor.id).shape[a], sizes)) problems.push(`${tensor.id}: test tensor axis ${axisId(axis)} of size ${arrays.get(tensor.id).shape[a]} does not fit its description`); });
    if (arrays.get(tensor.id).data.every((v) => Math.abs(v) < 1e-4)) problems.push(`${tensor.id}: test tensor values are too small for testing`);
  }
  const session = await ort.InferenceSession.create(files[onnxWeights.source]);
  const missing = inputs.map((t) => t.id).filter((id) => !session.inputNames.includes(id));
  if (missing.length) problems.push(`the ONNX model has no inputs named ${missing} (it has ${session.inputNames})`);
  const feeds = Object.fromEntries(inputs.map((t) => [t.id, new ort.Tensor('float32', arrays.get(t.id).data, arrays.get(t.id).shape)]));
  const results = await session.run(feeds);
  await session.release();
  const tolerances = rdf.config?.bioimageio?.reproducibility_tolerance ?? [];
  const reproduced = {};
  for (const tensor of outputs) {
    const expected = arrays.get(tensor.id).data;
    const actual = results[tensor.id]?.data;
    if (!actual || actual.length !== expected.length) { problems.push(`output ${tensor.id} missing or of another size`); continue; }
    const rule = tolerances.find((t) => !t.output_ids?.length || t.output_ids.includes(tensor.id)) ?? {};
    const [rtol, atol, perMillion] = [rule.relative_tolerance ?? 1e-3, rule.absolute_tolerance ?? 1e-3, rule.mismatched_elements_per_million ?? 100];
    let mismatched = 0;
    let maxError = 0;
    let peak = 0;
    for (let i = 0; i < expected.length; i++) {
      const error = Math.abs(actual[i] - expected[i]);
      if (error > atol + rtol * Math.abs(expected[i])) mismatched++;
      maxError = Math.max(maxError, error);
      peak = Math.max(peak, Math.abs(expected[i]));
    }
    reproduced[tensor.id] = { maxError, peak, mismatched };
    if ((mismatched * 1e6) / expected.length > perMillion) problems.push(`output ${tensor.id}: ${mismatched} elements beyond the stated tolerance`);
  }
  return { rdf, problems, hashes, reproduced };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const report = await checkPackage(await readFile(process.argv[2]));
  process.stdout.write(JSON.stringify({ spec: SPEC, problems: report.problems, hashes: report.hashes, reproduced: report.reproduced }) + '\n');
  process.exit(report.problems.length === 0 ? 0 : 1);
}
