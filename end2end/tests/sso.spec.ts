import { test, expect } from './fixtures';
import { waitForHydration } from './helpers';

// The OpenID Provider started beside the servers (playwright.config.ts).
const issuer = `http://127.0.0.1:${process.env.MOTTO_E2E_OIDC_PORT ?? 3903}`;

async function personAtProvider(request: import('@playwright/test').APIRequestContext, groups: string[] = []) {
  const sub = `sso${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  const res = await request.post(`${issuer}/__test/accounts`, {
    data: { sub, email: `${sub}@acme.example`, email_verified: true, name: sub, preferred_username: sub, groups },
  });
  expect(res.status()).toBe(204);
  return sub;
}

test('sign in with the identity provider, see it on the account page, sign out of both', async ({ page, request }) => {
  const sub = await personAtProvider(request);
  await page.goto('/login');
  await waitForHydration(page);
  await page.getByRole('link', { name: 'Sign in with Acme' }).click();

  // The provider's own page.
  await expect(page.getByRole('heading', { name: 'Test Identity Provider' })).toBeVisible();
  await page.getByLabel('Username').fill(sub);
  await page.getByRole('button', { name: 'Continue' }).click();

  // Back in Motto, signed in as a new account named after the provider's username.
  await expect(page.getByRole('link', { name: `Account: ${sub}` })).toBeVisible();
  await page.goto('/account');
  await waitForHydration(page);
  await expect(page.getByRole('heading', { name: 'Sign-in with Acme' })).toBeVisible();
  await expect(page.getByText('Your Acme account is linked')).toBeVisible();

  // Logging out offers to sign out at the provider too.
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page.getByRole('link', { name: 'Also sign out of Acme' })).toBeVisible();
});

test('a refusal at the provider is explained next to the button, with a way to try again', async ({ page }) => {
  await page.goto('/login');
  await waitForHydration(page);
  await page.getByRole('link', { name: 'Sign in with Acme' }).click();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expect(page).toHaveURL(/\/login\?sso_error=access_denied/);
  await expect(page.locator('#sso-error')).toContainText('consent was refused');
  await expect(page.getByRole('link', { name: 'Sign in with Acme' })).toBeVisible();
});
