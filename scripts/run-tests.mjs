#!/usr/bin/env node
// Runs every *.test.ts under the given folders (default: libs, apps, test), or the test files named with node's test runner.
// Node 20's --test takes no globs, so the files are listed here.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const roots = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const passThrough = process.argv.slice(2).filter((a) => a.startsWith('-'));
const skip = new Set(['node_modules', '.git', 'build', 'dist']);

function collect(dir, out) {
  if (dir.endsWith('.test.ts')) return [...out, dir]; // a file named directly
  let entries;
  try { entries = readdirSync(dir); } catch { return out; }
  for (const name of entries) {
    if (skip.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const files = (roots.length ? roots : ['libs', 'apps', 'test']).flatMap((r) => collect(r, [])).sort();
if (files.length === 0) { console.error('no test files found'); process.exit(1); }
const result = spawnSync(process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', ...passThrough, ...files],
  { stdio: 'inherit', env: process.env });
process.exit(result.status ?? 1);
