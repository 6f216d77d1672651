import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vite'

// The staff console: built into console/dist and served by Linli itself at /console/.
export default defineConfig({
  root: import.meta.dirname,
  base: '/console/',
  plugins: [vue()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
  },
})
