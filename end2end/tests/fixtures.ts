import { test as base, expect, Browser, BrowserContext, Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';

/**
 * Every spec imports `test` and `expect` from here. Besides Playwright's own, it
 * runs axe-core on every page any test visits — the default page, pages of
 * contexts a test makes itself, and client-side navigations — and fails the test
 * on any serious or critical violation, naming the page, the rule and the element.
 */

type Finding = { url: string; rule: string; impact: string; help: string; targets: string[] };

const FAILING = new Set(['serious', 'critical']);

/**
 * Whether an error only says the page moved on while axe ran: it navigated (the
 * injected axe went with the old document), closed, or the test step ended.
 * That state is checked when the test comes back to it, or at the end.
 */
function moved(e: unknown): boolean {
  return /closed|destroyed|navigat|detached|Target|Test ended|reading 'run|axe is not defined/i.test(String(e));
}

class A11yWatcher {
  findings: Finding[] = [];
  checks = 0;
  visits = 0;
  /** Per page: the URLs checked, and whether its scripts run. */
  private pages = new Map<Page, { checked: Set<string>; js: boolean }>();
  private queue: Promise<void> = Promise.resolve();

  watch(page: Page, js: boolean) {
    if (this.pages.has(page)) return;
    this.pages.set(page, { checked: new Set(), js });
    page.on('framenavigated', (frame) => {
      if (frame !== page.mainFrame()) return;
      const url = frame.url();
      if (!url.startsWith('http')) return;
      this.visits += 1;
      this.queue = this.queue.then(() => this.run(page, url));
    });
  }

  watchContext(context: BrowserContext, js: boolean) {
    context.pages().forEach((p) => this.watch(p, js));
    context.on('page', (p) => this.watch(p, js));
  }

  /**
   * Check `page` once it has loaded and hydrated, if it is still at `url`. Runs
   * after the checks already queued (axe cannot run twice at once on one page:
   * a test's own call would otherwise race the check of its last navigation).
   */
  check(page: Page, url: string = page.url()): Promise<void> {
    const run = this.queue.then(() => this.run(page, url));
    this.queue = run;
    return run;
  }

  private async run(page: Page, url: string) {
    const state = this.pages.get(page) ?? { checked: new Set<string>(), js: true };
    if (page.isClosed() || state.checked.has(url) || !url.startsWith('http')) return;
    // axe runs as a script in the page: a page whose scripts are off cannot run it
    // (the same pages are checked by the tests that use them with scripts on).
    if (!state.js) return;
    try {
      await page.waitForLoadState('load', { timeout: 15_000 });
      await page
        .locator('body[data-hydrated="true"]')
        .waitFor({ state: 'attached', timeout: 15_000 })
        .catch(() => {});
      if (page.isClosed() || page.url() !== url) return;
      const results = await this.analyze(page);
      if (!results || page.url() !== url) return;
      state.checked.add(url);
      this.checks += 1;
      for (const v of results.violations) {
        if (!FAILING.has(v.impact ?? '')) continue;
        this.findings.push({
          url,
          rule: v.id,
          impact: v.impact ?? '',
          help: v.help,
          targets: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')} — ${n.failureSummary ?? ''}`),
        });
      }
    } catch (e) {
      if (!moved(e)) throw e;
    }
  }

  /** axe's results, or null when the page moved on while axe ran (tried twice). */
  private async analyze(page: Page) {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        // Legacy mode runs axe inside the page itself: the default opens a blank
        // page in the test's context to merge results, which fails for pages made
        // with browser.newPage() and adds a page of its own to every context.
        return await new AxeBuilder({ page }).setLegacyMode(true).analyze();
      } catch (e) {
        if (!moved(e) || page.isClosed()) throw e;
      }
    }
    return null;
  }

  async finish() {
    await this.queue;
    for (const page of this.pages.keys()) {
      if (!page.isClosed()) await this.check(page);
    }
  }
}

export const test = base.extend<{ a11y: A11yWatcher }>({
  a11y: [
    // Depends on `page`, so the default page is still open for the last check.
    async ({ browser, context, page, javaScriptEnabled }, use, testInfo) => {
      const watcher = new A11yWatcher();
      watcher.watchContext(context, javaScriptEnabled !== false);
      watcher.watch(page, javaScriptEnabled !== false);
      // Contexts and pages a test opens itself are watched too.
      const b = browser as Browser & Record<string, unknown>;
      const newContext = browser.newContext.bind(browser);
      const newPage = browser.newPage.bind(browser);
      b.newContext = async (...args: Parameters<Browser['newContext']>) => {
        const c = await newContext(...args);
        watcher.watchContext(c, args[0]?.javaScriptEnabled !== false);
        return c;
      };
      b.newPage = async (...args: Parameters<Browser['newPage']>) => {
        const p = await newPage(...args);
        watcher.watch(p, args[0]?.javaScriptEnabled !== false);
        return p;
      };
      try {
        await use(watcher);
      } finally {
        b.newContext = newContext;
        b.newPage = newPage;
      }
      await watcher.finish();
      testInfo.annotations.push({
        type: 'axe',
        description: `${watcher.checks} page state(s) checked, ${watcher.visits} navigation(s)`,
      });
      const report = watcher.findings
        .map((f) => `${f.impact} ${f.rule} on ${f.url}: ${f.help}\n    ${f.targets.join('\n    ')}`)
        .join('\n');
      expect(watcher.findings, `accessibility violations (axe-core):\n${report}`).toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
