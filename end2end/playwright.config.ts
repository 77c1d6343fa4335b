import { defineConfig, devices } from '@playwright/test';
import * as path from 'node:path';

// scripts/test.sh builds Motto, then runs this with:
//   MOTTO_BIN             the server binary
//   MOTTO_SITE_ROOT       the compiled site (pkg/, CSS)
//   MOTTO_E2E_DIR         a scratch directory for data and logs
//   MOTTO_E2E_SQLITE_PORT port for the SQLite instance
//   MOTTO_E2E_PG_URL      (optional) a fresh PostgreSQL database for the second instance
//   MOTTO_E2E_PG_PORT     port for the PostgreSQL instance
//   MOTTO_E2E_OIDC_PORT   port for the OpenID Provider
//   MOTTO_E2E_SYSLOG_PORT port for the syslog receiver (UDP, and HTTP for its health)
const bin = process.env.MOTTO_BIN ?? path.resolve(__dirname, '../target/debug/motto');
const siteRoot = process.env.MOTTO_SITE_ROOT ?? path.resolve(__dirname, '../target/site');
const scratch = process.env.MOTTO_E2E_DIR ?? path.resolve(__dirname, 'test-results/scratch');
const sqlitePort = Number(process.env.MOTTO_E2E_SQLITE_PORT ?? 3901);
const pgPort = Number(process.env.MOTTO_E2E_PG_PORT ?? 3902);
const pgUrl = process.env.MOTTO_E2E_PG_URL;
// The application role the PostgreSQL instance serves as (migrating as the owner
// in MOTTO_E2E_PG_URL), as a production deployment would.
const pgAppUrl = process.env.MOTTO_E2E_PG_APP_URL;
// The OpenID Provider both instances offer single sign-on through (a real one:
// panva's oidc-provider, see oidc/provider.mjs).
const oidcPort = Number(process.env.MOTTO_E2E_OIDC_PORT ?? 3903);
export const oidcIssuer = `http://127.0.0.1:${oidcPort}`;
// Both instances stream their audit events over syslog (UDP) to siem/receiver.mjs.
const syslogPort = Number(process.env.MOTTO_E2E_SYSLOG_PORT ?? 3904);

// Playwright's own browser downloads are unavailable here: use Debian's Chromium.
const chromium = {
  ...devices['Desktop Chrome'],
  launchOptions: {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
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
  },
};

function server(name: string, port: number, databaseUrl: string, appUrl?: string) {
  const dir = path.join(scratch, name);
  return {
    command: `mkdir -p "${dir}" && cd "${dir}" && exec "${bin}" serve`,
    url: `http://127.0.0.1:${port}/health`,
    reuseExistingServer: false,
    timeout: 120_000,
    stdout: 'pipe' as const,
    stderr: 'pipe' as const,
    env: {
      ENVIRONMENT: 'development',
      LISTEN_ADDR: `127.0.0.1:${port}`,
      DATA_DIR: dir,
      DATABASE_URL: appUrl ?? databaseUrl,
      ...(appUrl ? { DATABASE_OWNER_URL: databaseUrl } : {}),
      SECRET_KEY: 'e2e-5f3a9c1d7b2e8f4a6c0d9b7e5a3f1c8d2b4e6f8a',
      LEPTOS_SITE_ROOT: siteRoot,
      LOG_LEVEL: 'warn',
      // Every test registers its own user from the same address; the limits
      // themselves are covered by the integration tests.
      RATE_LIMIT_REGISTER: '1000/hour',
      RATE_LIMIT_LOGIN: '1000/min',
      OIDC_ISSUER: oidcIssuer,
      OIDC_CLIENT_ID: `motto-${name}`,
      OIDC_CLIENT_SECRET: 'e2e-client-secret-0123456789abcdef',
      OIDC_SCOPES: 'openid email profile groups',
      OIDC_DISPLAY_NAME: 'Acme',
      OIDC_GROUPS_CLAIM: 'groups',
      AUDIT_SYSLOG: `udp://127.0.0.1:${syslogPort}`,
    },
  };
}

const targets: { name: string; port: number; db: string; appDb?: string }[] = [
  { name: 'sqlite', port: sqlitePort, db: `sqlite://${path.join(scratch, 'sqlite')}/motto.db` },
];
if (pgUrl) targets.push({ name: 'postgres', port: pgPort, db: pgUrl, appDb: pgAppUrl });

const provider = {
  command: `exec node oidc/provider.mjs ${oidcPort}`,
  url: `${oidcIssuer}/.well-known/openid-configuration`,
  reuseExistingServer: false,
  timeout: 60_000,
  stdout: 'pipe' as const,
  stderr: 'pipe' as const,
  env: {
    OIDC_STATIC_CLIENTS: JSON.stringify(
      targets.map((t) => ({
        client_id: `motto-${t.name}`,
        client_secret: 'e2e-client-secret-0123456789abcdef',
        redirect_uris: [`http://127.0.0.1:${t.port}/auth/oidc/callback`],
        post_logout_redirect_uris: [`http://127.0.0.1:${t.port}/login`],
      })),
    ),
  },
};

const syslog = {
  command: `exec node siem/receiver.mjs ${syslogPort}`,
  url: `http://127.0.0.1:${syslogPort}/health`,
  reuseExistingServer: false,
  timeout: 30_000,
  stdout: 'pipe' as const,
  stderr: 'pipe' as const,
};

export default defineConfig({
  testDir: './tests',
  timeout: 90_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: 2,
  retries: 0,
  reporter: [['list']],
  use: { trace: 'retain-on-failure' },
  projects: targets.map((t) => ({
    name: t.name,
    use: { ...chromium, baseURL: `http://127.0.0.1:${t.port}` },
  })),
  webServer: [provider, syslog, ...targets.map((t) => server(t.name, t.port, t.db, t.appDb))],
});
