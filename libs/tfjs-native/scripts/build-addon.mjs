#!/usr/bin/env node
// npm install hook: builds the oneDNN addon only where its headers and library are installed
// (`apt-get install -y libdnnl-dev`), like canvas or sharp; otherwise prints one line and exits 0 so that
// `npm ci` still succeeds and tfjs falls back to its own kernels. DIVBLUR_NATIVE=off skips the build.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const headers = ['/usr/include/oneapi/dnnl/dnnl.hpp', '/usr/local/include/oneapi/dnnl/dnnl.hpp'];
const libraries = ['/usr/lib/x86_64-linux-gnu/libdnnl.so', '/usr/lib/aarch64-linux-gnu/libdnnl.so', '/usr/lib/libdnnl.so', '/usr/local/lib/libdnnl.so'];

if (process.env.DIVBLUR_NATIVE === 'off') {
  console.log('@divblur/tfjs-native: DIVBLUR_NATIVE=off, addon not built (tfjs kernels will be used)');
  process.exit(0);
}
if (!headers.some(existsSync) || !libraries.some(existsSync)) {
  console.log('@divblur/tfjs-native: oneDNN not found, addon not built (to enable: apt-get install -y libdnnl-dev)');
  process.exit(0);
}
// node-gyp ships with npm; npm sets npm_config_node_gyp for install scripts.
const nodeGyp = process.env.npm_config_node_gyp
  ?? join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
// Use the installed Node headers (Debian's nodejs ships them) so that nothing is downloaded.
const nodeDir = existsSync('/usr/include/node/node_api.h') ? ['--nodedir=/usr'] : [];
const result = spawnSync(process.execPath, [nodeGyp, 'rebuild', '--loglevel=warn', ...nodeDir], { cwd: packageDir, stdio: 'inherit' });
if (result.status !== 0) {
  console.log('@divblur/tfjs-native: addon build failed, tfjs kernels will be used');
}
process.exit(0);
