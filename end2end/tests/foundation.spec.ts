import { test, expect } from './fixtures';
import { collectErrors, waitForHydration } from './helpers';

test('the home page content is in the server HTML', async ({ request }) => {
  const res = await request.get('/');
  expect(res.status()).toBe(200);
  const html = await res.text();
  expect(html).toContain('Your documents and conversations, on your own server.');
  expect(html).toContain('Theme: System');
});

test.describe('without JavaScript', () => {
  test.use({ javaScriptEnabled: false });

  test('the home page is readable', async ({ page }) => {
    await page.goto('/');
    await expect(
      page.getByRole('heading', { name: 'Your documents and conversations, on your own server.' }),
    ).toBeVisible();
    await expect(page.getByRole('link', { name: 'Motto' })).toBeVisible();
  });
});

test('the page hydrates and the theme toggle responds', async ({ page }) => {
  const errors = collectErrors(page);
  await page.goto('/');
  await waitForHydration(page);

  const html = page.locator('html');
  await page.getByRole('button', { name: 'Theme: System' }).click();
  await expect(page.getByRole('button', { name: 'Theme: Light' })).toBeVisible();
  await expect(html).toHaveClass('light');

  await page.getByRole('button', { name: 'Theme: Light' }).click();
  await expect(page.getByRole('button', { name: 'Theme: Dark' })).toBeVisible();
  await expect(html).toHaveClass('dark');

  // The choice survives a reload: the server renders it from the cookie.
  await page.reload();
  await waitForHydration(page);
  await expect(html).toHaveClass('dark');
  await expect(page.getByRole('button', { name: 'Theme: Dark' })).toBeVisible();

  await page.getByRole('button', { name: 'Theme: Dark' }).click();
  await expect(page.getByRole('button', { name: 'Theme: System' })).toBeVisible();
  await expect(html).not.toHaveClass(/dark|light/);

  expect(errors).toEqual([]);
});

test('dark colours follow the system setting', async ({ browser, baseURL, a11y }) => {
  const context = await browser.newContext({ colorScheme: 'dark', baseURL });
  const page = await context.newPage();
  await page.goto('/');
  const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  // Contrast is checked in both schemes before the contexts close.
  await a11y.check(page);
  await context.close();

  const lightContext = await browser.newContext({ colorScheme: 'light', baseURL });
  const lightPage = await lightContext.newPage();
  await lightPage.goto('/');
  const lightBg = await lightPage.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await a11y.check(lightPage);
  await lightContext.close();

  expect(bg).not.toEqual(lightBg);
});

test('an unknown address shows the 404 page with a way home', async ({ page }) => {
  const res = await page.goto('/no/such/page');
  expect(res?.status()).toBe(404);
  await expect(page.getByRole('heading', { name: 'Page not found' })).toBeVisible();
  await waitForHydration(page);
  await page.getByRole('link', { name: 'Go to the home page' }).click();
  await expect(page).toHaveURL(/\/$/);
  await expect(
    page.getByRole('heading', { name: 'Your documents and conversations, on your own server.' }),
  ).toBeVisible();
});

test('the site is sent compressed and cached by content hash', async ({ page }) => {
  const assets: { url: string; encoding: string; cache: string }[] = [];
  page.on('response', async (res) => {
    if (/\/pkg\/motto\.(wasm|js|css)$/.test(res.url())) {
      const h = await res.allHeaders();
      assets.push({ url: res.url(), encoding: h['content-encoding'] ?? '', cache: h['cache-control'] ?? '' });
    }
  });
  await page.goto('/');
  await waitForHydration(page);
  const wasm = assets.find((a) => a.url.endsWith('.wasm'));
  expect(wasm, JSON.stringify(assets)).toBeTruthy();
  // Precompressed at build time (brotli, or gzip for a browser without it).
  expect(['br', 'gzip']).toContain(wasm!.encoding);
  for (const a of assets) {
    expect(a.url).toMatch(/\/assets\/[0-9a-f]{16}\/pkg\//);
    expect(a.cache).toBe('public, max-age=31536000, immutable');
  }
  expect(assets.map((a) => a.url.split('.').pop()).sort()).toEqual(['css', 'js', 'wasm']);
});
