import { test, expect } from './fixtures';
import { collectErrors, signUp, waitForHydration } from './helpers';

test('an owner makes a shared space, adds a teammate who sees it, then removes him', async ({ page, browser }) => {
  const errors = collectErrors(page);
  const bobContext = await browser.newContext();
  const bobPage = await bobContext.newPage();
  const bob = await signUp(bobPage, 'bob');

  await signUp(page, 'alice');
  await page.getByRole('link', { name: 'Spaces' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Spaces' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Personal' })).toBeVisible();
  await waitForHydration(page);

  // The name is checked in the browser before anything is sent.
  const name = page.getByLabel('Name');
  await name.fill('  ');
  await name.press('Tab');
  await expect(page.getByText('Give the space a name.')).toBeVisible();
  await name.fill('Garden club');
  await page.getByLabel('Description').fill('Plans for the allotment');
  await page.getByRole('button', { name: 'Create space' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Garden club' })).toBeVisible();
  await expect(page.getByText('Your role: Owner')).toBeVisible();
  const spaceUrl = page.url();
  await expect(page.getByText('No documents here yet.')).toBeVisible();

  // Add Bob as a viewer.
  await page.getByLabel('Username').fill(bob);
  await page.getByLabel('Role').selectOption('viewer');
  await page.getByRole('button', { name: 'Save member' }).click();
  const members = page.getByRole('region', { name: 'Members' });
  await expect(members.getByText(bob, { exact: true })).toBeVisible();

  // Bob finds the space as a viewer, without member management.
  await bobPage.goto('/spaces');
  await bobPage.getByRole('link', { name: 'Garden club' }).click();
  await expect(bobPage.getByRole('heading', { level: 1, name: 'Garden club' })).toBeVisible();
  await expect(bobPage.getByText('Your role: Viewer')).toBeVisible();
  await expect(bobPage.getByRole('button', { name: 'Save member' })).toHaveCount(0);

  // Alice writes a document and moves it into the space; Bob finds it there.
  await page.goto('/documents/new');
  await waitForHydration(page);
  await page.getByLabel('Title').fill('Seed order');
  await page.getByLabel('Text (Markdown)').fill('Beans, peas and **kale**.');
  await page.getByRole('button', { name: 'Save document' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Seed order' })).toBeVisible();
  await waitForHydration(page);
  await page.getByLabel('Move to').selectOption({ label: 'Garden club' });
  await page.getByRole('button', { name: 'Move', exact: true }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Moved.' })).toBeVisible();
  await bobPage.reload();
  await expect(bobPage.getByRole('link', { name: 'Seed order' })).toBeVisible();
  await expect(bobPage.getByRole('button', { name: 'Leave this space' })).toBeVisible();

  // Alice removes him: his next visit no longer finds the space.
  await page.goto(spaceUrl);
  await waitForHydration(page);
  await expect(page.getByRole('heading', { level: 1, name: 'Garden club' })).toBeVisible();
  await expect(page.getByRole('link', { name: 'Seed order' })).toBeVisible();
  await members.getByRole('button', { name: `Remove ${bob}` }).click();
  await expect(members.getByText(bob, { exact: true })).toHaveCount(0);
  await bobPage.reload();
  await expect(bobPage.getByRole('heading', { level: 1, name: 'Garden club' })).toHaveCount(0);
  await expect(bobPage.getByRole('alert')).toBeVisible();

  expect(errors).toEqual([]);
  await bobContext.close();
});
