import { Page } from '@playwright/test';
import { test, expect } from './fixtures';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { collectErrors, signUp, waitForHydration } from './helpers';

async function newDocument(page: Page, title: string, body: string) {
  await page.goto('/documents/new');
  await waitForHydration(page);
  await page.getByLabel('Title').fill(title);
  await page.getByLabel('Text (Markdown)').fill(body);
  await page.getByRole('button', { name: 'Save document' }).click();
  await expect(page.getByRole('heading', { level: 1, name: title })).toBeVisible();
}

test('write, find, revise, restore and trash a document', async ({ page }) => {
  const errors = collectErrors(page);
  await signUp(page, 'doc');
  await page.goto('/documents');
  await expect(page.getByRole('heading', { name: 'No documents yet' })).toBeVisible();

  // Live preview while writing.
  await page.goto('/documents/new');
  await waitForHydration(page);
  await page.getByLabel('Title').fill('Garden plan');
  await page.getByLabel('Text (Markdown)').fill('## Tomatoes\n\nPlant **basil** beside them.');
  const preview = page.getByRole('region', { name: 'Preview' });
  await expect(preview.getByRole('heading', { name: 'Tomatoes' })).toBeVisible();
  await page.getByRole('button', { name: 'Save document' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Garden plan' })).toBeVisible();
  await expect(page.locator('article strong')).toHaveText('basil');

  // Find it.
  await page.goto('/documents');
  await waitForHydration(page);
  await page.getByLabel('Search documents').fill('basil');
  await page.getByRole('button', { name: 'Search' }).click();
  await expect(page.getByRole('link', { name: 'Garden plan' })).toBeVisible();
  await expect(page.locator('mark', { hasText: 'basil' })).toBeVisible();

  // Edit: the old version becomes a revision.
  await page.getByRole('link', { name: 'Garden plan' }).click();
  await waitForHydration(page);
  await page.getByRole('link', { name: 'Edit' }).click();
  await expect(page.getByLabel('Title')).toHaveValue('Garden plan');
  await page.getByLabel('Text (Markdown)').fill('## Tomatoes\n\nPlant **marigolds** instead.');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.locator('article strong')).toHaveText('marigolds');
  await expect(page.getByText(/Version 2/).first()).toBeVisible();

  // Restore version 1: a new version with the old text.
  await page.getByRole('button', { name: 'Restore version 1' }).click();
  await expect(page.locator('article strong')).toHaveText('basil');
  await expect(page.getByText(/^Version 3/)).toBeVisible();

  // Trash with confirmation, restore from the trash.
  await page.getByRole('button', { name: 'Move to trash' }).click();
  await page.getByRole('button', { name: 'Yes, move to trash' }).click();
  await expect(page).toHaveURL(/\/documents$/);
  await page.goto('/documents/trash');
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Restore Garden plan' }).click();
  await expect(page.getByText('The trash is empty.')).toBeVisible();
  await page.goto('/documents');
  await expect(page.getByRole('link', { name: 'Garden plan' })).toBeVisible();
  expect(errors).toEqual([]);
});

test('another person cannot open my document', async ({ page, browser, baseURL }) => {
  await signUp(page, 'doc');
  await newDocument(page, 'Diary', 'Private thoughts.');
  const url = page.url();
  const other = await browser.newContext({ baseURL });
  const otherPage = await other.newPage();
  await signUp(otherPage, 'doc');
  await otherPage.goto(url);
  await expect(otherPage.getByRole('heading', { name: 'Document not found' })).toBeVisible();
  await expect(otherPage.getByText('Private thoughts.')).toHaveCount(0);
  await other.close();
});

test('asvs_1_3_1 stored XSS payloads do nothing in the browser', async ({ page }) => {
  const errors = collectErrors(page);
  let dialogs = 0;
  page.on('dialog', async (d) => {
    dialogs += 1;
    await d.dismiss();
  });
  await signUp(page, 'doc');
  // The same corpus the integration tests check (tests/fixtures/xss-payloads.txt).
  const payloads = fs
    .readFileSync(path.resolve(__dirname, '../../tests/fixtures/xss-payloads.txt'), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('# '));
  expect(payloads.length).toBeGreaterThanOrEqual(50);
  await newDocument(page, '<img src=x onerror=alert(1)>', payloads.join('\n\n'));
  // The title is shown as text.
  await expect(page.getByRole('heading', { level: 1, name: '<img src=x onerror=alert(1)>' })).toBeVisible();
  const link = page.getByRole('link', { name: 'click me' });
  if (await link.count()) {
    await link.click({ noWaitAfter: true }).catch(() => {});
  }
  await page.waitForTimeout(500);
  expect(dialogs).toBe(0);
  expect(errors.filter((e) => e.startsWith('CSP violation'))).toEqual([]);
});

test('upload a Markdown file, and see a clear error for anything else', async ({ page }) => {
  await signUp(page, 'doc');
  await page.goto('/documents/upload');
  await page.getByLabel('File').setInputFiles({
    name: 'reading-list.md',
    mimeType: 'text/markdown',
    buffer: Buffer.from('# Reading list\n\n- *Dune*\n'),
  });
  await page.getByRole('button', { name: 'Upload' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'reading-list' })).toBeVisible();
  await expect(page.locator('article em')).toHaveText('Dune');

  await page.goto('/documents/upload');
  await page.getByLabel('File').setInputFiles({
    name: 'photo.md',
    mimeType: 'text/markdown',
    buffer: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0xff]),
  });
  await page.getByRole('button', { name: 'Upload' }).click();
  await expect(page.getByText('This file is not UTF-8 text.')).toBeVisible();
  await expect(page.getByLabel('File')).toHaveAttribute('aria-invalid', 'true');
});

test('a save over a newer version is refused and the text stays on screen', async ({ page, browser, baseURL }) => {
  await signUp(page, 'doc');
  await newDocument(page, 'Shared plan', 'first text');
  const docUrl = page.url();
  // A second tab opens the editor on the same version.
  const second = await page.context().newPage();
  await second.goto(`${docUrl}/edit`);
  await waitForHydration(second);
  // The first tab saves.
  await page.goto(`${docUrl}/edit`);
  await waitForHydration(page);
  await page.getByLabel('Text (Markdown)').fill('saved from the first tab');
  await page.getByRole('button', { name: 'Save changes' }).click();
  await expect(page.locator('article')).toContainText('saved from the first tab');
  // The second tab's save is refused, and its text is still there.
  await second.getByLabel('Text (Markdown)').fill('typed in the second tab');
  await second.getByRole('button', { name: 'Save changes' }).click();
  await expect(second.getByRole('alert')).toContainText('changed since you opened it');
  await expect(second.getByLabel('Text (Markdown)')).toHaveValue('typed in the second tab');
  await second.close();
});

test('choose how many documents a page shows', async ({ page }) => {
  const errors = collectErrors(page);
  await signUp(page, 'doc');
  for (let i = 1; i <= 25; i++) {
    const res = await page.request.post('/api/documents/create', {
      form: { title: `Note ${String(i).padStart(2, '0')}`, body: `Body ${i}.` },
      maxRedirects: 0,
    });
    expect(res.status()).toBeLessThan(400);
  }
  await page.goto('/documents');
  await waitForHydration(page);
  await expect(page.getByText('Page 1 of 2 · 25 documents')).toBeVisible();
  const notes = page.getByRole('link', { name: /^Note \d\d$/ });
  await expect(notes).toHaveCount(20);
  await page.getByLabel('Documents per page').selectOption('50');
  await page.getByRole('button', { name: 'Show' }).click();
  await expect(page).toHaveURL(/per_page=50/);
  await expect(page.getByText('Page 1 of 1 · 25 documents')).toBeVisible();
  await expect(notes).toHaveCount(25);
  await expect(page.getByLabel('Documents per page')).toHaveValue('50');
  expect(errors).toEqual([]);
});
