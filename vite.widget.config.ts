// Bundles the embeddable web chat widget (src/widget) into one self-contained script,
// dist/widget/widget.js, served by Switchboard at GET /webchat/widget.js. `npm run build` runs it.
import { defineConfig } from 'vite';

export default defineConfig({
  publicDir: false,
  logLevel: 'warn',
  build: {
    outDir: 'dist/widget',
    emptyOutDir: true,
    // Browsers since 2021 (class private fields, which the minifier shortens); no polyfills are bundled.
    target: 'es2022',
    minify: 'esbuild',
    sourcemap: false,
    reportCompressedSize: false,
    lib: {
      entry: 'src/widget/main.ts',
      name: 'SwitchboardWebChat',
      formats: ['iife'],
      fileName: () => 'widget.js',
    },
  },
});
