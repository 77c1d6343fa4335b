import { expect, Page } from '@playwright/test';

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
