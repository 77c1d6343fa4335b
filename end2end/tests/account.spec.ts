import { test, expect } from './fixtures';
import { createHmac } from 'node:crypto';
import { collectErrors, PASSWORD, signUp, waitForHydration } from './helpers';

const NEW_PASSWORD = 'copper meadow ribbon slowly';

test('rename yourself, see your sessions, sign another one out, change the password', async ({ page, browser }) => {
  const username = await signUp(page, 'self');
  await waitForHydration(page);

  // A second browser signs in as the same person.
  const other = await browser.newContext();
  const phone = await other.newPage();
  await phone.goto('/login');
  await waitForHydration(phone);
  await phone.getByLabel('Username or email').fill(username);
  await phone.getByLabel('Password').fill(PASSWORD);
  await phone.getByRole('button', { name: 'Log in' }).click();
  await expect(phone.getByRole('link', { name: `Account: ${username}` })).toBeVisible();

  // Rename: the wrong password is refused beside its field.
  const renamed = `${username}x`;
  await page.getByLabel('Username', { exact: true }).fill(renamed);
  await page.getByLabel('Your password, to confirm').fill('not my password at all');
  await page.getByRole('button', { name: 'Save username and email' }).click();
  await expect(page.locator('#field-password-error')).toHaveText('That is not your current password.');
  const errors = collectErrors(page);
  await page.getByLabel('Your password, to confirm').fill(PASSWORD);
  await page.getByRole('button', { name: 'Save username and email' }).click();
  await expect(page.getByRole('status')).toHaveText('Saved.');
  await expect(page.getByRole('link', { name: `Account: ${renamed}` })).toBeVisible();

  // Both sessions are listed, this one marked; sign the other one out.
  await page.reload();
  await waitForHydration(page);
  const sessions = page.getByRole('region', { name: "Where you're signed in" });
  await expect(sessions.getByRole('listitem')).toHaveCount(2);
  await expect(sessions.getByRole('listitem', { name: /\(this browser\)$/ })).toContainText('Chrome');
  await sessions.getByRole('button', { name: /^Sign out Chrome/ }).click();
  await expect(sessions.getByRole('listitem')).toHaveCount(1);
  await phone.reload();
  await expect(phone.getByRole('link', { name: 'Log in' })).toBeVisible();

  // Change the password; this browser stays signed in and the new one works.
  await page.getByLabel('Current password').fill(PASSWORD);
  await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel('Repeat the new password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Change password' }).click();
  await expect(page.getByText('Password changed. Other sessions were signed out.')).toBeVisible();
  await page.reload();
  await expect(page.getByRole('link', { name: `Account: ${renamed}` })).toBeVisible();
  await phone.goto('/login');
  await waitForHydration(phone);
  await phone.getByLabel('Username or email').fill(renamed);
  await phone.getByLabel('Password').fill(NEW_PASSWORD);
  await phone.getByRole('button', { name: 'Log in' }).click();
  await expect(phone.getByRole('link', { name: `Account: ${renamed}` })).toBeVisible();
  await other.close();
  expect(errors).toEqual([]);
});

test('confirm the address from the mail, then reset a forgotten password through it', async ({ page }) => {
  const username = await signUp(page, 'forgot');
  // Until the address is confirmed a banner asks for it (and reset mail cannot reach it).
  const banner = page.getByRole('region', { name: 'Confirm your email address' });
  await expect(banner).toContainText(`${username}@example.com`);
  const confirmation = page.getByRole('article', { name: `Mail to ${username}@example.com: Confirm your email address for Motto` });
  await expect(async () => {
    await page.goto('/dev/outbox');
    await expect(confirmation).toBeVisible({ timeout: 500 });
  }).toPass({ timeout: 15_000 });
  const confirmLink = (await confirmation.locator('pre').innerText()).match(/http\S+\/confirm-email#token=[0-9a-f]{64}/)![0];
  await page.goto(confirmLink);
  await waitForHydration(page);
  await expect(page.getByLabel('Confirmation code')).toHaveValue(/^[0-9a-f]{64}$/);
  await expect(page).toHaveURL(/\/confirm-email$/); // the code left the address bar
  await page.getByRole('button', { name: 'Confirm this address' }).click();
  await expect(page.getByRole('status')).toContainText('Your email address is confirmed');
  await page.goto('/account');
  await expect(page.getByRole('heading', { level: 1, name: 'Your account' })).toBeVisible();
  await expect(banner).toHaveCount(0);

  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page.getByRole('link', { name: 'Log in' })).toBeVisible();

  await page.goto('/login');
  await page.getByRole('link', { name: 'Forgot password?' }).click();
  await expect(page.getByRole('heading', { name: 'Forgot your password?' })).toBeVisible();
  await waitForHydration(page);
  const errors = collectErrors(page);
  await page.getByLabel('Email').fill(`${username}@example.com`);
  await page.getByRole('button', { name: 'Send the link' }).click();
  await expect(page.getByRole('status')).toContainText('If an account uses this address');

  // No SMTP relay in development: the mail waits in the outbox.
  // The mail is sent after the answer (so timing reveals nothing): look until it is there.
  const mail = page.getByRole('article', { name: `Mail to ${username}@example.com: Reset your Motto password` });
  await expect(async () => {
    await page.goto('/dev/outbox');
    await expect(mail).toBeVisible({ timeout: 500 });
  }).toPass({ timeout: 15_000 });
  const link = (await mail.locator('pre').innerText()).match(/http\S+\/reset-password#token=[0-9a-f]{64}/)![0];

  await page.goto(link);
  await waitForHydration(page);
  await expect(page.getByLabel('Reset code')).toHaveValue(/^[0-9a-f]{64}$/);
  await expect(page).toHaveURL(/\/reset-password$/); // the code left the address bar
  await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel('Repeat the new password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Set the new password' }).click();
  await expect(page.getByRole('status')).toContainText('Your password is changed');

  await page.getByRole('link', { name: 'Log in' }).last().click();
  await waitForHydration(page);
  await page.getByLabel('Username or email').fill(username);
  await page.getByLabel('Password').fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('link', { name: `Account: ${username}` })).toBeVisible();
  expect(errors).toEqual([]);
});

function base32Decode(s: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const ch of s.replace(/\s+/g, '')) bits += alphabet.indexOf(ch).toString(2).padStart(5, '0');
  const bytes: number[] = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(bytes);
}

/** RFC 6238 TOTP (SHA-1, 6 digits, 30 s), computed independently of the server. */
function totp(secret: Buffer, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const h = createHmac('sha1', secret).update(counter).digest();
  const offset = h[19] & 0x0f;
  const bin = ((h[offset] & 0x7f) << 24) | (h[offset + 1] << 16) | (h[offset + 2] << 8) | h[offset + 3];
  return String(bin % 1_000_000).padStart(6, '0');
}

test('turn on two-factor authentication, then log in with a code from the app', async ({ page }) => {
  const username = await signUp(page, 'totp');
  await page.getByRole('link', { name: 'Set up two-factor authentication' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Two-factor authentication' })).toBeVisible();
  await waitForHydration(page);
  const errors = collectErrors(page);
  await page.getByRole('button', { name: 'Set up two-factor authentication' }).click();
  await expect(page.getByRole('img', { name: 'QR code for your authenticator app' }).locator('svg')).toBeVisible();
  const secret = base32Decode(await page.getByTestId('totp-secret').innerText());
  const step = Math.floor(Date.now() / 1000 / 30);
  await page.getByLabel('Code from your app').fill(totp(secret, step));
  await page.getByRole('button', { name: 'Turn on' }).click();
  const codes = page.getByRole('list', { name: 'Recovery codes' }).getByRole('listitem');
  await expect(codes).toHaveCount(10);
  await expect(page.getByRole('heading', { name: 'On', exact: true })).toBeVisible();

  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page.getByRole('link', { name: 'Log in' })).toBeVisible();
  await page.goto('/login');
  await waitForHydration(page);
  await page.getByLabel('Username or email').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('heading', { name: 'Two-factor authentication' })).toBeVisible();
  await expect(page.getByRole('link', { name: `Account: ${username}` })).toHaveCount(0);
  await waitForHydration(page);
  // The code used to turn it on is spent; the next step's code is within the skew.
  await page.getByLabel('Authentication code').fill(totp(secret, step + 1));
  await page.getByRole('button', { name: 'Verify' }).click();
  await expect(page.getByRole('link', { name: `Account: ${username}` })).toBeVisible();
  expect(errors).toEqual([]);
});

test('the theme chosen in the preferences stays, here and in another browser', async ({ page, browser }) => {
  const username = await signUp(page, 'theme');
  await waitForHydration(page);
  const errors = collectErrors(page);
  await page.getByRole('radio', { name: 'Dark' }).check();
  await page.getByLabel('Time zone').selectOption('Asia/Tokyo');
  await page.getByRole('button', { name: 'Save preferences' }).click();
  await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  await expect(page.locator('html')).toHaveClass(/dark/);
  await page.reload();
  await expect(page.locator('html')).toHaveClass(/dark/);
  await expect(page.getByLabel('Time zone')).toHaveValue('Asia/Tokyo');

  const other = await browser.newContext();
  const second = await other.newPage();
  await second.goto('/login');
  await waitForHydration(second);
  await second.getByLabel('Username or email').fill(username);
  await second.getByLabel('Password').fill(PASSWORD);
  await second.getByRole('button', { name: 'Log in' }).click();
  await expect(second.getByRole('link', { name: `Account: ${username}` })).toBeVisible();
  await second.goto('/account');
  await expect(second.locator('html')).toHaveClass(/dark/);
  // Times are shown in the chosen zone.
  await waitForHydration(second);
  await expect(second.getByRole('region', { name: "Where you're signed in" }).locator('time').first()).toContainText(/GMT\+9|JST/);
  await other.close();
  expect(errors).toEqual([]);
});
