#!/usr/bin/env node
/**
 * Peak memory of one run of a packaged MMSE graph (libs/onnx mmse-graph.ts) in ONNX Runtime, in a process that loads
 * nothing else (plain JavaScript, onnxruntime-node with its default session options, as a consumer would):
 *   node bench/mmse-graph-rss.mjs mmse.onnx 512   → JSON: peak RSS (getrusage ru_maxrss), RSS after loading, seconds
 * bench/mmse-graph.ts runs it once per graph.
 */
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';

const [path, sideArg] = process.argv.slice(2);
const side = Number(sideArg);
const session = await ort.InferenceSession.create(await readFile(path));
const loadedMiB = process.memoryUsage().rss / 2 ** 20;
const image = Float32Array.from({ length: side * side }, (_, i) => 0.3 + 0.3 * Math.sin((i % side) / 5) * Math.cos(Math.floor(i / side) / 7));
const started = performance.now();
const out = await session.run({ raw: new ort.Tensor('float32', image, [1, 1, side, side]) });
const seconds = (performance.now() - started) / 1000;
if (!(out.mmse.data.length === side * side && Number.isFinite(out.mmse.data[0]))) throw new Error('the graph gave no estimate');
process.stdout.write(JSON.stringify({ side, peakRssMiB: process.resourceUsage().maxRSS / 1024, rssAfterLoadMiB: loadedMiB, seconds }) + '\n');
