import { defineConfig, devices } from '@playwright/test';

// scripts/fresh-clone-test.sh runs this against Motto started by the README's run
// command in a fresh clone: MOTTO_FRESH_URL is the URL that command printed.
const url = process.env.MOTTO_FRESH_URL;
if (!url) throw new Error('MOTTO_FRESH_URL is not set (run scripts/fresh-clone-test.sh)');

export default defineConfig({
  testDir: './fresh-clone',
  timeout: 90_000,
  expect: { timeout: 10_000 },
  workers: 1,
  retries: 0,
  reporter: [['list']],
  projects: [
    {
      name: 'fresh-clone',
      use: {
        ...devices['Desktop Chrome'],
        baseURL: url,
        launchOptions: {
          executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
          args: [
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--disable-quic',
            '--no-first-run',
            '--disable-background-networking',
            '--disable-component-update',
            '--disable-sync',
          ],
        },
      },
    },
  ],
});
