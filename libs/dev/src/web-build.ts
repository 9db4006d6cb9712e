/**
 * Makes sure `apps/web/dist` (the billing page the API serves) exists and fits this run: built at
 * all, not older than the web sources, and with the one-click demo login exactly when it is wanted
 * (development yes, production never). Used by `npm start`; CI and images run `npm run build:web`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';

interface BuildInfo {
  devLogin?: boolean;
  builtAt?: string;
}

function newestMtime(target: string): number {
  const stat = statSync(target);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return readdirSync(target).reduce((newest, entry) => Math.max(newest, newestMtime(path.join(target, entry))), stat.mtimeMs);
}

/**
 * Why the web app must be (re)built, or null when the existing build fits. `devLogin` undefined:
 * either kind of build will do (the end-to-end test signs in with its own token).
 */
export function webBuildReason(webDir: string, devLogin?: boolean): string | null {
  const infoFile = path.join(webDir, 'dist', 'build-info.json');
  if (!existsSync(path.join(webDir, 'dist', 'index.html')) || !existsSync(infoFile)) return 'not built yet';
  const info = JSON.parse(readFileSync(infoFile, 'utf8')) as BuildInfo;
  if (devLogin !== undefined && Boolean(info.devLogin) !== devLogin) return devLogin ? 'adding the demo login' : 'removing the demo login';
  const sources = ['src', 'index.html', 'vite.config.ts'].map((entry) => path.join(webDir, entry)).filter(existsSync);
  const builtAt = Date.parse(info.builtAt ?? '');
  if (Number.isNaN(builtAt) || sources.some((source) => newestMtime(source) > builtAt)) return 'sources changed';
  return null;
}

/**
 * Builds the web app when needed. Returns false (and says why) when it cannot, e.g. in an image
 * without the dev toolchain: the API then runs without the page.
 */
export function ensureWebBuild(root: string, devLogin: boolean, log: (message: string) => void): boolean {
  const webDir = path.join(root, 'apps', 'web');
  const reason = webBuildReason(webDir, devLogin);
  if (!reason) return true;
  if (!existsSync(path.join(root, 'node_modules', 'vite'))) {
    log(`billing page not built (${reason}) and vite is not installed: run npm ci && npm run build:web`);
    return existsSync(path.join(webDir, 'dist', 'index.html'));
  }
  log(`building the billing page (${reason})...`);
  const result = spawnSync('npm', ['run', '-s', 'build:web'], {
    cwd: root,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, VITE_DEV_LOGIN: devLogin ? 'true' : 'false' },
  });
  if (result.status !== 0) {
    log('building the billing page failed (see above); the API runs without it');
    return false;
  }
  return true;
}
