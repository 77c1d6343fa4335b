import { test, expect } from './fixtures';
import { collectErrors, signUp, waitForHydration } from './helpers';

test('asvs_3_4_3 no CSP violation while pages hydrate and are used', async ({ page }) => {
  const errors = collectErrors(page);
  for (const path of ['/', '/login', '/register', '/setup']) {
    const res = await page.goto(path);
    const csp = res?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("'nonce-");
    expect(csp).not.toContain('unsafe-inline');
    await waitForHydration(page);
  }
  // Use the app: register, change theme, log out.
  await signUp(page, 'csp');
  await page.getByRole('button', { name: /^Theme:/ }).click();
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page.getByRole('link', { name: 'Log in' })).toBeVisible();
  expect(errors).toEqual([]);
});

test('asvs_3_4_6 the app cannot be framed', async ({ page, baseURL }) => {
  const res = await page.request.get('/');
  expect(res.headers()['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(res.headers()['x-frame-options']).toBe('DENY');
  // A page that tries to frame Motto gets an empty frame.
  await page.setContent(`<iframe id="f" src="${baseURL}/"></iframe>`);
  const frame = page.frameLocator('#f');
  await expect(frame.getByRole('heading', { name: /Your documents/ })).toHaveCount(0);
});
