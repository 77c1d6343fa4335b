import { Page } from '@playwright/test';
import { test, expect } from './fixtures';
import { spawn, ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { collectErrors, PASSWORD, waitForHydration } from './helpers';

function uniqueName(prefix: string): string {
  return `${prefix}${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
}

async function register(page: Page, username: string, password = PASSWORD) {
  await page.goto('/register');
  await waitForHydration(page);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Email').fill(`${username}@example.com`);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel('Confirm password').fill(password);
  await page.getByRole('button', { name: 'Create account' }).click();
}

test('a new person registers, logs out, logs in and sees their name', async ({ page }) => {
  const errors = collectErrors(page);
  const username = uniqueName('reg');
  await register(page, username);

  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Your account' })).toBeVisible();
  await expect(page.getByLabel('Email', { exact: true })).toHaveValue(`${username}@example.com`);
  await expect(page.getByRole('link', { name: `Account: ${username}` })).toBeVisible();

  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page.getByRole('link', { name: 'Log in' })).toBeVisible();

  await page.goto('/login');
  await waitForHydration(page);
  await page.getByLabel('Username or email').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('link', { name: `Account: ${username}` })).toBeVisible();

  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page.getByRole('link', { name: 'Log in' })).toBeVisible();
  expect(errors).toEqual([]);
});

test('a protected page sends a visitor to log in and back', async ({ page }) => {
  const username = uniqueName('nxt');
  await register(page, username);
  await expect(page).toHaveURL(/\/account$/);
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page.getByRole('link', { name: 'Log in' })).toBeVisible();

  await page.goto('/account');
  await expect(page).toHaveURL(/\/login\?next=%2Faccount$/);
  await waitForHydration(page);
  await page.getByLabel('Username or email').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.getByRole('heading', { level: 1, name: 'Your account' })).toBeVisible();
});

test('a wrong password shows an error next to the form', async ({ page }) => {
  const username = uniqueName('bad');
  await register(page, username);
  await expect(page).toHaveURL(/\/account$/);
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page.getByRole('link', { name: 'Log in' })).toBeVisible();

  await page.goto('/login');
  await waitForHydration(page);
  await page.getByLabel('Username or email').fill(username);
  await page.getByLabel('Password').fill('violet ferry lantern loudly');
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page.getByRole('alert')).toHaveText('Wrong username, email or password.');
  await expect(page).toHaveURL(/\/login/);
});

test('a weak password is explained next to the password field', async ({ page }) => {
  await register(page, uniqueName('weak'), 'password1234');
  const field = page.getByLabel('Password', { exact: true });
  await expect(field).toHaveAttribute('aria-invalid', 'true');
  await expect(page.getByText(/too common or too easy to guess/)).toBeVisible();
  await expect(page).toHaveURL(/\/register$/);
});

// The first admin: a fresh server of our own prints a one-time setup code.
async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

test.describe('first admin', () => {
  let server: ChildProcess | undefined;
  test.afterEach(() => server?.kill('SIGTERM'));

  test('the setup code from the server output creates the first admin', async ({ page }, info) => {
    test.skip(info.project.name !== 'sqlite', 'needs a database of its own; one run is enough');
    const bin = process.env.MOTTO_BIN ?? path.resolve(__dirname, '../../target/debug/motto');
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'motto-setup-'));
    const port = await freePort();
    server = spawn(bin, ['serve'], {
      cwd: dir,
      env: {
        PATH: process.env.PATH,
        LISTEN_ADDR: `127.0.0.1:${port}`,
        DATA_DIR: dir,
        SECRET_KEY: 'setup-8d1f3b5a7c9e2d4f6a8b0c1e3d5f7a9b2c4e',
        LEPTOS_SITE_ROOT: process.env.MOTTO_SITE_ROOT ?? path.resolve(__dirname, '../../target/site'),
        LOG_LEVEL: 'warn',
      },
    });
    let output = '';
    const code = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no setup code in: ${output}`)), 30_000);
      server!.stdout!.on('data', (chunk) => {
        output += chunk.toString();
        const m = output.match(/^\s{4}([0-9a-f]{4}(?:-[0-9a-f]{4}){7})$/m);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
    });
    expect(output).toContain(`http://127.0.0.1:${port}/setup`);

    await page.goto(`http://127.0.0.1:${port}/setup`);
    await waitForHydration(page);
    await page.getByLabel('Setup code').fill(code);
    await page.getByLabel('Username').fill('first-admin');
    await page.getByLabel('Email').fill('admin@example.com');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Confirm password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create administrator' }).click();
    await expect(page).toHaveURL(/\/account$/);
    await expect(page.getByText('Administrator')).toBeVisible();
  });
});

test('the registration form checks a username in the browser with the server’s own rule', async ({ page }) => {
  await page.goto('/register');
  await waitForHydration(page);
  const posts: string[] = [];
  page.on('request', (r) => {
    if (r.method() === 'POST') posts.push(r.url());
  });
  const name = page.getByLabel('Username');
  await name.fill('a b');
  await name.press('Tab');
  const message = page.getByText('Use letters a–z, digits, dots, dashes and underscores only.');
  await expect(message).toBeVisible();
  await expect(name).toHaveAttribute('aria-invalid', 'true');
  expect(posts).toEqual([]);
  // Fixed as they type: the message goes without leaving the field.
  await name.fill('a_b');
  await expect(message).toHaveCount(0);
  await expect(name).not.toHaveAttribute('aria-invalid', 'true');
});
