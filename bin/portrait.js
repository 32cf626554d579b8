#!/usr/bin/env node
// The `portrait` command. In a source checkout with dev dependencies it runs the TypeScript
// sources through tsx (always current); an install without tsx (e.g. the Docker image) runs the
// compiled dist/. PORTRAIT_USE_DIST=1 forces dist/.
import { existsSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const src = new URL('src/cli/main.ts', root);
const dist = new URL('dist/src/cli/main.js', root);

async function tsxRegister() {
  try {
    const api = await import('tsx/esm/api');
    api.register();
    return true;
  } catch {
    return false;
  }
}

if (process.env.PORTRAIT_USE_DIST !== '1' && existsSync(src) && (await tsxRegister())) {
  await import(src.href);
} else if (existsSync(dist)) {
  await import(dist.href);
} else {
  console.error('portrait: dist/ is missing; run `npm run build` first (or `npm ci` for a source checkout).');
  process.exit(1);
}
