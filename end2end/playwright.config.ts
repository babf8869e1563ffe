import { defineConfig, devices } from "@playwright/test";

// Debian's chromium package; Playwright's own browser download is never used.
const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const addr = process.env.LEPTOS_SITE_ADDR ?? "127.0.0.1:3000";

export default defineConfig({
  testDir: "./tests",
  globalSetup: "./global-setup.ts",
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  // "html" starts a report server on failure and blocks a CI run
  reporter: "list",
  use: {
    baseURL: `http://${addr}`,
    trace: "retain-on-failure",
  },
  projects: [
    {
      name: "chromium",
      use: {
        ...devices["Desktop Chrome"],
        viewport: { width: 1280, height: 800 },
        launchOptions: {
          executablePath,
          // Playwright adds --headless and its own fresh --user-data-dir
          args: [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
          ],
        },
      },
    },
  ],
});
