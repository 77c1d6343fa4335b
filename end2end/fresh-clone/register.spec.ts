import { test, expect } from '../tests/fixtures';
import { collectErrors, signUp } from '../tests/helpers';

// Motto as a new person gets it: cloned, started by the README's run command.
test('a new person registers on a freshly cloned Motto', async ({ page }) => {
  const errors = collectErrors(page);
  const wasm: string[] = [];
  page.on('response', async (res) => {
    if (res.url().endsWith('.wasm')) wasm.push((await res.allHeaders())['content-encoding'] ?? '');
  });
  const name = await signUp(page, 'fresh');
  await expect(page.getByRole('heading', { level: 1, name: 'Your account' })).toBeVisible();
  await expect(page.getByText(name).first()).toBeVisible();
  // The release build is precompressed: the WASM never goes out raw.
  expect(wasm.length).toBeGreaterThan(0);
  for (const enc of wasm) expect(['br', 'gzip']).toContain(enc);
  expect(errors).toEqual([]);
});
