// Builds the web app (web/: agent workspace first; supervisor wallboard and admin console later)
// into dist/web/, served by Switchboard under /app/ (src/server/http/routes/app-static-routes.ts).
// `npm run build` runs it; `npm run typecheck` checks web/ with `tsc -p web/tsconfig.json`.
import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('./web', import.meta.url)),
  base: '/app/',
  publicDir: false,
  logLevel: 'warn',
  plugins: [react()],
  build: {
    outDir: fileURLToPath(new URL('./dist/web', import.meta.url)),
    emptyOutDir: true,
    // Same browsers as the widget: no polyfills are bundled.
    target: 'es2022',
    minify: 'esbuild',
    sourcemap: false,
    reportCompressedSize: false,
    // Hashed file names under assets/: the server caches them for a year (immutable).
    assetsDir: 'assets',
  },
});
