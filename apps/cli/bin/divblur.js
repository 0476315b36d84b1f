#!/usr/bin/env node
// Launcher: the CLI is TypeScript run through tsx (no build step).
import { register } from 'tsx/esm/api';
register();
await import('../src/main.ts');
