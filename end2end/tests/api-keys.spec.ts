import { test, expect } from './fixtures';
import { collectErrors, signUp, waitForHydration } from './helpers';

test('create a key, use it from a script, see it used, revoke it', async ({ page, request, baseURL }) => {
  await signUp(page, 'keys');
  await page.getByRole('link', { name: 'API keys' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'API keys' })).toBeVisible();
  await waitForHydration(page);

  // Without a scope the form says so beside the scopes.
  await page.getByLabel('Name').fill('nightly import');
  await page.getByRole('button', { name: 'Create key' }).click();
  await expect(page.getByText('Choose at least one scope.')).toBeVisible();
  // From here on, no console error (the 422 above is the browser logging the refusal).
  const errors = collectErrors(page);

  await page.getByLabel('Read documents (documents:read)').check();
  await page.getByLabel('Create, change and delete documents (documents:write)').check();
  await page.getByRole('button', { name: 'Create key' }).click();
  const shown = page.getByLabel('New API key');
  await expect(shown).toHaveValue(/^motto_[0-9A-Za-z]{46}$/);
  await expect(page.getByText('it is shown only this once')).toBeVisible();
  const key = await shown.inputValue();
  const row = page.getByRole('row', { name: /nightly import/ });
  await expect(row).toContainText('never');
  await expect(row).toContainText(key.slice(0, 14));

  // A script uses it.
  const created = await request.post(`${baseURL}/api/v1/documents`, {
    headers: { Authorization: `Bearer ${key}` },
    data: { title: 'From the script', body: 'Imported at night.' },
  });
  expect(created.status()).toBe(201);

  // The document is there, and the key shows when it was used.
  await page.goto('/documents');
  await expect(page.getByRole('link', { name: 'From the script' })).toBeVisible();
  await page.goto('/account/api-keys');
  await waitForHydration(page);
  await expect(page.getByLabel('New API key')).toHaveCount(0);
  expect(await page.content()).not.toContain(key);
  await expect(page.getByRole('row', { name: /nightly import/ })).not.toContainText('never');

  // Revoke, with confirmation: the next call fails.
  await page.getByRole('button', { name: 'Revoke nightly import' }).click();
  await page.getByRole('button', { name: 'Yes, revoke' }).click();
  await expect(page.getByRole('row', { name: /nightly import/ })).toContainText('revoked');
  const refused = await request.get(`${baseURL}/api/v1/me`, {
    headers: { Authorization: `Bearer ${key}` },
  });
  expect(refused.status()).toBe(401);
  expect(errors).toEqual([]);
});

test('the API reference is served from Motto itself and follows the spec', async ({ page, request, baseURL }) => {
  const foreign: string[] = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(baseURL!)) foreign.push(r.url());
  });
  await page.goto('/');
  await page.getByRole('link', { name: 'API reference' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Motto API reference' })).toBeVisible();
  await waitForHydration(page);
  const errors = collectErrors(page);

  // Every operation of the live spec has its section.
  const spec = await (await request.get(`${baseURL}/api/v1/openapi.json`)).json();
  for (const [path, item] of Object.entries<Record<string, { summary: string }>>(spec.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const section = page.getByRole('article', { name: `${method.toUpperCase()} ${path} ${op.summary}` });
      await expect(section).toBeVisible();
    }
  }
  // The contents link to an operation, and its body type links to the schema.
  const nav = page.getByRole('navigation', { name: 'API contents' });
  await nav.getByRole('link', { name: 'PUT /api/v1/documents/{id}' }).click();
  await expect(page).toHaveURL(/#put-api-v1-documents-id$/);
  const put = page.getByRole('article', { name: /PUT \/api\/v1\/documents\/\{id\}/ });
  await expect(put).toContainText('documents:write');
  await put.getByRole('link', { name: 'DocumentUpdate' }).click();
  await expect(page.getByRole('article', { name: 'DocumentUpdate' })).toContainText('The version the change is based on');
  expect(foreign).toEqual([]);
  expect(errors).toEqual([]);
});
