/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';
import { fileURLToPath } from 'node:url';

const serverPort = Number(process.env.PORT ?? 8080);

export default defineConfig({
  root: 'client',
  plugins: [vue()],
  resolve: {
    alias: { '@scenes': fileURLToPath(new URL('./scenes', import.meta.url)) },
  },
  build: {
    outDir: '../client/dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 4000,
  },
  server: {
    proxy: {
      '/api': `http://127.0.0.1:${serverPort}`,
      '/socket.io': { target: `ws://127.0.0.1:${serverPort}`, ws: true },
    },
  },
  test: {
    root: '.',
    exclude: ['node_modules/**', 'client/dist/**'],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // `npm test` (scripts/test.mjs) runs the two projects side by side, one file at a time each
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'scenes/**/*.test.ts',
            'server/**/*.test.ts',
            'mock-devices/**/*.test.ts',
            'client/src/**/*.test.ts',
            'tests/**/*.test.ts',
            'bench/**/*.test.ts',
          ],
          exclude: ['node_modules/**', 'client/dist/**', 'tests/browser/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'browser',
          include: ['tests/browser/**/*.test.ts'],
          // the browser tests need the built client: built once here when sources changed
          globalSetup: ['tests/global-setup.ts'],
        },
      },
    ],
  },
});
