import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { request } from './support/http.js';
import { createDevKeys, SETUP_TIMEOUT, startDemo, stopDemo, type ServerProcess } from './support/processes.js';

/** Debian's chromium, installed by .ci/run; driven through playwright-core, which downloads no browser. */
const CHROMIUM = '/usr/bin/chromium';

async function login(url: string, username: string, password: string): Promise<string> {
  const response = await request(url, '/auth/login', { method: 'POST', body: { username, password } });
  expect(response.status).toBe(200);
  return response.body.access_token;
}

/** Swagger UI's Authorize dialog: log out whoever is authorized, paste the token, authorize, close. */
async function authorize(page: Page, token: string): Promise<void> {
  // The page's Authorize button (the dialog has one too, with the modal-btn class).
  await page.locator('button.btn.authorize:not(.modal-btn)').click();
  const dialog = page.locator('.modal-ux');
  const logout = dialog.locator('button.modal-btn', { hasText: 'Logout' });
  if (await logout.isVisible()) {
    await logout.click();
  }
  await dialog.locator('input').first().fill(token);
  await dialog.locator('button.modal-btn.authorize').click();
  await dialog.locator('button.btn-done').click();
}

/** Runs GET /orders from its panel ("Try it out", "Execute") and reads the live response shown on the page. */
async function callOrders(page: Page): Promise<{ status: string; body: string; headers: string }> {
  const operation = page.locator('.opblock-get', { has: page.locator('.opblock-summary-path[data-path="/orders"]') });
  if (!(await operation.locator('.opblock-body').isVisible())) {
    await operation.locator('.opblock-summary').click();
  }
  // isVisible() does not wait, and the panel renders after the click: wait for its "Try it out" / "Cancel" toggle
  // (the first button with that class; "Reset" shares it) before reading which one it is.
  const toggle = operation.locator('button.try-out__btn').first();
  await toggle.waitFor();
  if (!(await toggle.evaluate((button) => button.classList.contains('cancel')))) {
    await toggle.click();
  }
  const execute = operation.getByRole('button', { name: 'Execute' });
  await execute.waitFor();
  // "Clear" is drawn with "Execute" once a response is shown, so it is on the page by now if it will be.
  const clear = operation.getByRole('button', { name: 'Clear' });
  if (await clear.isVisible()) {
    await clear.click();
  }
  await execute.click();
  const live = operation.locator('.live-responses-table');
  const status = live.locator('tbody .response-col_status');
  await status.waitFor();
  return {
    status: (await status.textContent())!.trim(),
    body: (await live.locator('.response-col_description .highlight-code pre').first().textContent()) ?? '',
    headers: (await live.locator('.response-col_description .microlight').last().textContent()) ?? '',
  };
}

describe('Swagger UI of the demo at /docs, in a real browser', () => {
  let cwd: string;
  let profile: string;
  let demo: ServerProcess;
  let context: BrowserContext;
  let page: Page;
  const requested: string[] = [];

  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'rs256-auth-swagger-'));
    profile = mkdtempSync(join(tmpdir(), 'rs256-auth-chromium-'));
    expect(createDevKeys(cwd).status).toBe(0);
    demo = await startDemo(cwd);
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    context.on('request', (sent) => requested.push(sent.url()));
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15000);
    await page.goto(`${demo.url}/docs`);
    await page.locator('.opblock-summary-path[data-path="/orders"]').waitFor();
  }, SETUP_TIMEOUT);

  afterAll(async () => {
    await context?.close();
    await stopDemo(demo);
    rmSync(cwd, { recursive: true, force: true });
    rmSync(profile, { recursive: true, force: true });
  });

  it('loads Swagger UI and its assets from the demo itself, nothing from a CDN', () => {
    expect(requested.length).toBeGreaterThan(2);
    expect(requested.filter((url) => !url.startsWith(`${demo.url}/`))).toEqual([]);
  });

  it('shows /orders as needing the orders:read scope, and /health as open', async () => {
    const orders = page.locator('.opblock-get', { has: page.locator('.opblock-summary-path[data-path="/orders"]') });
    const health = page.locator('.opblock-get', { has: page.locator('.opblock-summary-path[data-path="/health"]') });
    await expect(orders.locator('.authorization__btn').count()).resolves.toBe(1);
    await expect(health.locator('.authorization__btn').count()).resolves.toBe(0);
  });

  it('without authorizing, GET /orders shows 401 with its challenge', async () => {
    const response = await callOrders(page);
    expect(response.status).toBe('401');
    expect(response.headers).toContain('www-authenticate: Bearer realm="api"');
  });

  it('authorized with the token of demo, GET /orders shows 200 and the orders', async () => {
    await authorize(page, await login(demo.url, 'demo', 'demo-password'));
    const response = await callOrders(page);
    expect(response.status).toBe('200');
    expect(JSON.parse(response.body)).toMatchObject({ owner: 'demo', orders: [{ id: 'order-1001' }, { id: 'order-1002' }] });
  });

  it('authorized with the token of guest, GET /orders shows 403 insufficient_scope', async () => {
    await authorize(page, await login(demo.url, 'guest', 'guest-password'));
    const response = await callOrders(page);
    expect(response.status).toBe('403');
    expect(JSON.parse(response.body)).toMatchObject({ statusCode: 403, message: 'missing scope orders:read' });
    expect(response.headers).toContain('error="insufficient_scope"');
  });
});
