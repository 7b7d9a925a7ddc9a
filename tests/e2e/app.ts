// One served app, one browser and one page for an e2e file: console errors and warnings
// (and page errors) are collected in `problems`.
import type { Browser, Page } from 'playwright-core';
import { launch } from './browser';
import { serveApp } from './server';

export interface OpenedApp {
  server: Awaited<ReturnType<typeof serveApp>>;
  browser: Browser;
  page: Page;
  problems: string[];
  close(): Promise<void>;
}

export async function openApp(viewport: { width: number; height: number }, opts: { warnings?: boolean } = {}): Promise<OpenedApp> {
  const server = await serveApp();
  const browser = await launch();
  const page = await browser.newPage({ viewport });
  const problems: string[] = [];
  const kinds = opts.warnings === false ? ['error'] : ['error', 'warning'];
  page.on('console', (m) => {
    if (kinds.includes(m.type())) problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  await page.goto(server.url);
  await page.waitForFunction(() => window.etascape?.ready === true, null, { timeout: 90_000 });
  return {
    server,
    browser,
    page,
    problems,
    close: async () => {
      await browser.close();
      await server.close();
    },
  };
}
