/// <reference types="vitest/config" />
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import type { Plugin } from 'vite';

const API_TARGET = process.env.VITE_API_PROXY_TARGET ?? 'http://localhost:3000';

/**
 * Writes `build-info.json` next to index.html so `npm start` can tell whether the existing build
 * carries the development login (VITE_DEV_LOGIN) it needs, without rebuilding on every start.
 */
function buildInfo(): Plugin {
  return {
    name: 'metering-build-info',
    apply: 'build',
    generateBundle() {
      this.emitFile({
        type: 'asset',
        fileName: 'build-info.json',
        source: JSON.stringify({ devLogin: process.env.VITE_DEV_LOGIN === 'true', builtAt: new Date().toISOString() }),
      });
    },
  };
}

export default defineConfig({
  plugins: [react(), buildInfo()],
  server: {
    port: 5173,
    // The dev server forwards API calls, so the page and the API share an origin as in production.
    proxy: { '/api': { target: API_TARGET, changeOrigin: false } },
  },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
  test: {
    environment: 'jsdom',
    include: ['test/**/*.test.{ts,tsx}'],
    setupFiles: ['test/setup-tests.ts'],
    restoreMocks: true,
  },
});
