import { test, expect } from './fixtures';
import * as fs from 'node:fs';
import { collectErrors, signUp, waitForHydration } from './helpers';

test('ask about a document, follow the citation, rename, export and delete', async ({ page }) => {
  const errors = collectErrors(page);
  await signUp(page, 'chat');

  // A document to ask about.
  await page.goto('/documents/new');
  await waitForHydration(page);
  await page.getByLabel('Title').fill('Kettle notes');
  await page
    .getByLabel('Text (Markdown)')
    .fill('Water boils at 100 degrees Celsius at sea level. At altitude it boils sooner.');
  await page.getByRole('button', { name: 'Save document' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Kettle notes' })).toBeVisible();

  // A new conversation from the header link.
  await page.getByRole('link', { name: 'Conversations' }).click();
  await expect(page.getByRole('heading', { name: 'No conversations yet' })).toBeVisible();
  await page.goto('/conversations/new');
  await waitForHydration(page);
  await expect(page.getByLabel('Kettle notes')).toBeVisible();
  await page.getByRole('button', { name: 'Start conversation' }).click();
  await expect(page).toHaveURL(/\/conversations\/\d+$/);
  await waitForHydration(page);

  // Ask: the answer streams in, then shows its source.
  await page.getByLabel('Your message').fill('At what temperature does water boil?');
  await page.getByRole('button', { name: 'Send' }).click();
  const answer = page.getByRole('article', { name: 'Assistant' });
  await expect(answer.getByText('100 degrees Celsius')).toBeVisible();
  const citation = answer.getByRole('link', { name: '[1] Kettle notes' });
  await expect(citation).toBeVisible();
  await expect(answer.getByText(/tokens \(estimated\)/)).toBeVisible();
  await expect(page.getByLabel('Your message')).toHaveValue('');
  await expect(page.getByRole('heading', { level: 1 })).toHaveText(
    'At what temperature does water boil?',
  );
  const conversationUrl = page.url();

  // The citation goes to the document.
  await citation.click();
  await expect(page.getByRole('heading', { level: 1, name: 'Kettle notes' })).toBeVisible();
  await page.goto(conversationUrl);
  await waitForHydration(page);

  // Rename.
  await page.getByText('Rename').click();
  await page.getByLabel('New title').fill('Boiling point');
  await page.getByRole('button', { name: 'Save title' }).click();
  await expect(page.getByRole('heading', { level: 1 })).toHaveText('Boiling point');

  // Export as Markdown and JSON.
  const [md] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Export Markdown' }).click(),
  ]);
  expect(md.suggestedFilename()).toBe('boiling-point.md');
  const mdText = fs.readFileSync(await md.path(), 'utf8');
  expect(mdText).toContain('# Boiling point');
  expect(mdText).toContain('At what temperature does water boil?');
  const [json] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('link', { name: 'Export JSON' }).click(),
  ]);
  const exported = JSON.parse(fs.readFileSync(await json.path(), 'utf8'));
  expect(exported.messages).toHaveLength(2);

  // Found by searching message text.
  await page.goto('/conversations?q=temperature');
  await expect(page.getByRole('link', { name: 'Boiling point' })).toBeVisible();

  // Delete, with confirmation: it moves to the trash.
  await page.goto(conversationUrl);
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('button', { name: 'Yes, move to trash' }).click();
  await expect(page).toHaveURL(/\/conversations$/);
  await expect(page.getByRole('link', { name: 'Boiling point' })).toHaveCount(0);
  await page.goto('/conversations/trash');
  await expect(page.getByText('Boiling point')).toBeVisible();
  expect(errors).toEqual([]);

  // A trashed conversation is gone from its address.
  const response = await page.goto(conversationUrl);
  expect(response?.status()).toBe(404);
});

test('an empty message is refused beside the field and nothing is lost', async ({ page }) => {
  await signUp(page, 'chatempty');
  await page.goto('/conversations/new');
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Start conversation' }).click();
  await expect(page).toHaveURL(/\/conversations\/\d+$/);
  await waitForHydration(page);
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(page.getByText('Write a message first.')).toBeVisible();
  await page.getByLabel('Your message').fill('Anything about llamas?');
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(
    page.getByRole('article', { name: 'Assistant' }).getByText(/I could not find anything about/),
  ).toBeVisible();
  await expect(page.getByRole('article', { name: 'You' })).toContainText('Anything about llamas?');
});
