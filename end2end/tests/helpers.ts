import { expect, Page, TestInfo } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** Clicks before hydration do nothing: wait for the app's own mark. */
export async function waitForHydration(page: Page) {
  // Debug WASM is large: under load, compiling it can take a while.
  await expect(page.locator('body[data-hydrated="true"]')).toBeAttached({ timeout: 30_000 });
}

/**
 * Collects console errors, uncaught exceptions and Content-Security-Policy
 * violations for the test to assert on.
 */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  // Injected by the browser driver, so the page's CSP does not apply to it.
  page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return errors;
}

export const PASSWORD = 'violet ferry lantern quietly';

/** Registers a new, unique person through the form and waits for their account page. */
export async function signUp(page: Page, prefix = 'user'): Promise<string> {
  const username = `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  await page.goto('/register');
  await waitForHydration(page);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Email').fill(`${username}@example.com`);
  await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
  await page.getByLabel('Confirm password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page).toHaveURL(/\/account$/);
  return username;
}

/** The database of the server this project runs against (see playwright.config.ts). */
function databaseUrl(info: TestInfo): string {
  if (info.project.name === 'postgres') return process.env.MOTTO_E2E_PG_URL!;
  const scratch = process.env.MOTTO_E2E_DIR ?? path.resolve(__dirname, '../test-results/scratch');
  return `sqlite://${path.join(scratch, 'sqlite')}/motto.db`;
}

/** An administrator made with `motto create-admin`, as an operator would. */
export function createAdmin(info: TestInfo): string {
  const bin = process.env.MOTTO_BIN ?? path.resolve(__dirname, '../../target/debug/motto');
  const username = `admin${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  execFileSync(bin, ['create-admin', '--username', username, '--email', `${username}@example.com`], {
    cwd: fs.mkdtempSync(path.join(os.tmpdir(), 'motto-admin-')),
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: databaseUrl(info),
      SECRET_KEY: 'e2e-5f3a9c1d7b2e8f4a6c0d9b7e5a3f1c8d2b4e6f8a',
      LOG_LEVEL: 'warn',
    },
    input: `${PASSWORD}\n${PASSWORD}\n`,
  });
  return username;
}

export async function logIn(page: Page, username: string) {
  await page.goto('/login');
  await waitForHydration(page);
  await page.getByLabel('Username or email').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('button', { name: 'Log out' })).toBeVisible();
}
