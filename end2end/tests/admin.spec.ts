import { test, expect } from './fixtures';
import * as fs from 'node:fs';
import { collectErrors, createAdmin, logIn, PASSWORD, signUp, waitForHydration } from './helpers';

test('an admin finds exactly what a user did, opens it and exports it', async ({ browser }, info) => {
  // A user does things.
  const userPage = await browser.newPage();
  const username = await signUp(userPage, 'audited');
  await userPage.goto('/documents/new');
  await waitForHydration(userPage);
  await userPage.getByLabel('Title').fill('Quarterly numbers');
  await userPage.getByLabel('Text (Markdown)').fill('Revenue went up.');
  await userPage.getByRole('button', { name: 'Save document' }).click();
  await expect(userPage.getByRole('heading', { level: 1, name: 'Quarterly numbers' })).toBeVisible();
  // ...and tries the admin console: 404.
  const denied = await userPage.goto('/admin/audit');
  expect(denied?.status()).toBe(404);
  await expect(userPage.getByRole('heading', { name: 'Not found' })).toBeVisible();
  await expect(userPage.getByRole('link', { name: 'Admin', exact: true })).toHaveCount(0);

  // An admin filters by that user.
  const adminName = createAdmin(info);
  const page = await browser.newPage();
  const errors = collectErrors(page);
  await logIn(page, adminName);
  await page.getByRole('link', { name: 'Admin', exact: true }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Audit log' })).toBeVisible();
  await waitForHydration(page);
  await page.getByLabel('Actor').fill(username);
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(new RegExp(`actor=${username}`));
  const rows = page.getByRole('table').getByRole('row');
  // Header + registration + its confirmation link + document + the denied admin visit.
  await expect(rows).toHaveCount(5);
  await expect(page.getByRole('link', { name: 'document.create' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'authz.denied' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'auth.register' })).toBeVisible();

  // Narrow by action prefix.
  await page.getByLabel('Action (prefix)').fill('document.');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(rows).toHaveCount(2);

  // Export the filtered events as CSV.
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Export CSV' }).click(),
  ]);
  const csv = fs.readFileSync(await download.path(), 'utf8').trim().split('\n');
  // Every cell quoted, so no spreadsheet can split one into a formula.
  expect(csv[0]).toMatch(/^"id","occurred_at","actor_user_id","actor_username"/);
  expect(csv).toHaveLength(2);
  expect(csv[1]).toContain(`,"${username}",`);
  expect(csv[1]).toContain(',"document.create",');

  // Open the event.
  await page.getByRole('link', { name: 'document.create' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toContainText('document.create');
  await expect(page.getByText('Request id')).toBeVisible();
  await expect(page.getByRole('link', { name: username })).toBeVisible();

  // The integrity check runs on demand.
  await page.goto('/admin/audit');
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Verify now' }).click();
  await expect(page.getByText(/The hash chain verifies/)).toBeVisible();
  // Sealing: the last signed checkpoint, the directory up to date, the key.
  const sealing = page.getByTestId('sealing');
  await expect(sealing.getByText(/Last checkpoint: #\d+, sealing events up to \d+, signed/)).toBeVisible();
  await expect(sealing.getByText(/Checkpoint directory .*: up to date\./)).toBeVisible();
  await expect(sealing.locator('code').first()).toHaveText(/^[0-9a-f]{64}$/);
  // Streaming: the syslog sink, how far it has delivered, its lag.
  const sinks = page.getByTestId('sinks');
  await expect(sinks.getByText(/syslog udp:\/\/127\.0\.0\.1:\d+/)).toBeVisible();
  await expect(sinks.getByText(/delivered up to event \d+, (up to date|\d+ events on their way)/)).toBeVisible();
  // The export for auditors is the whole chain, oldest first, every link.
  const [chain] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Export for auditors' }).click(),
  ]);
  const first = JSON.parse(fs.readFileSync(await chain.path(), 'utf8').split('\n')[0]);
  expect(first.id).toBe(1);
  expect(first.hash).toMatch(/^[0-9a-f]{64}$/);
  expect(first.mac).toMatch(/^[0-9a-f]{64}$/);

  // The user's page: disable, with confirmation; the user is signed out at once.
  await page.goto('/admin/users');
  await page.getByLabel('Search users').fill(username);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('link', { name: username }).click();
  await waitForHydration(page);
  // Their own storage limit, saved and shown with their usage.
  await page.getByLabel('Storage (MB)').fill('5');
  await page.getByRole('button', { name: 'Save limits' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  await expect(page.getByText(/ of 5\.0 MB$/)).toBeVisible();
  await expect(page.getByLabel('Storage (MB)')).toHaveValue('5');
  await page.getByRole('button', { name: 'Disable account' }).click();
  await expect(page.getByRole('alertdialog')).toContainText(`Disable ${username}?`);
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByRole('button', { name: 'Enable account' })).toBeVisible();
  expect(errors).toEqual([]);

  await userPage.goto('/documents');
  await expect(userPage).toHaveURL(/\/login/);
});

test('an auditor reads the audit log and nothing else of the administration', async ({ browser }, info) => {
  const auditorPage = await browser.newPage();
  const auditor = await signUp(auditorPage, 'auditor');
  const adminName = createAdmin(info);
  const page = await browser.newPage();
  await logIn(page, adminName);
  await page.goto('/admin/users');
  await waitForHydration(page);
  await page.getByLabel('Search users').fill(auditor);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.getByRole('link', { name: auditor }).click();
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Make auditor' }).click();
  await page.getByRole('button', { name: 'Confirm' }).click();
  await expect(page.getByRole('button', { name: 'Remove auditor role' })).toBeVisible();

  // The auditor's header leads to the audit log, which they can read and verify.
  await auditorPage.goto('/');
  await auditorPage.getByRole('link', { name: 'Audit log' }).click();
  await expect(auditorPage.getByRole('heading', { level: 1, name: 'Audit log' })).toBeVisible();
  await waitForHydration(auditorPage);
  await auditorPage.getByRole('button', { name: 'Verify now' }).click();
  await expect(auditorPage.getByText(/The hash chain verifies/)).toBeVisible();
  const nav = auditorPage.getByRole('navigation', { name: 'Admin' });
  await expect(nav.getByRole('link', { name: 'Audit log' })).toBeVisible();
  await expect(nav.getByRole('link', { name: 'Users' })).toHaveCount(0);
  // The rest of the console is not there for them.
  const users = await auditorPage.goto('/admin/users');
  expect(users?.status()).toBe(404);
});
