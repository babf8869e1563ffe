import { expect, Page, request as pwRequest } from "@playwright/test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The password Wharf printed at its first start (the test script gives it a fresh data directory). */
export function initialAdminPassword(): string {
  const dir = process.env.WHARF_DATA_DIR;
  if (!dir) throw new Error("WHARF_DATA_DIR must point at the data directory of the server under test");
  return readFileSync(join(dir, "initial-admin-password"), "utf8").trim();
}

/** Waits until the wasm has hydrated the page, so clicks reach their handlers; and fails the test
 *  if the page broke its Content-Security-Policy (see `expectNoCspViolations`). */
export async function hydrated(page: Page) {
  await expect(page.locator("#app")).toHaveAttribute("data-hydrated", "true");
  await expectNoCspViolations(page);
}

const cspWatched = new WeakMap<Page, string[]>();

/**
 * Fails when anything on the page was refused by Wharf's Content-Security-Policy: what the browser
 * reported for the current document (a buffered ReportingObserver sees reports made before it was
 * created), and every "Refused to …" console message seen since this page was first checked.
 * `hydrated` calls it, so every spec checks it after each page load.
 */
export async function expectNoCspViolations(page: Page) {
  let seen = cspWatched.get(page);
  if (!seen) {
    const messages: string[] = [];
    seen = messages;
    cspWatched.set(page, messages);
    page.on("console", (m) => {
      if (/Content.Security.Policy|^Refused to /.test(m.text())) messages.push(m.text());
    });
  }
  const reported: string[] = await page.evaluate(
    () =>
      new Promise<string[]>((resolve) => {
        const found: string[] = [];
        const describe = (r: Report) => {
          const b = r.body as unknown as { effectiveDirective?: string; blockedURL?: string };
          found.push(`${b?.effectiveDirective ?? "?"} blocked ${b?.blockedURL ?? "?"}`);
        };
        const observer = new ReportingObserver((reports) => reports.forEach(describe), {
          types: ["csp-violation"],
          buffered: true,
        });
        observer.observe();
        setTimeout(() => {
          observer.takeRecords().forEach(describe);
          observer.disconnect();
          resolve(found);
        }, 50);
      }),
  );
  expect([...reported, ...seen], "Content-Security-Policy violations").toEqual([]);
}

/**
 * Collects uncaught exceptions and console errors, to assert none happened. The browser's own notes
 * about 4xx answers are left out: a refused sign-in (401) or a validation error (422) is the server
 * answering as designed, and the tests check what the page shows for them.
 */
export function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => {
    const expectedRefusal = /^Failed to load resource: the server responded with a status of 4\d\d/;
    if (m.type() === "error" && !expectedRefusal.test(m.text())) errors.push(m.text());
  });
  return errors;
}

/** The password the administrator has after the first sign-in (01-foundation.spec.ts sets it through the
 *  page; any other spec run alone sets it through `ensureAdminPassword`). */
export const ADMIN_PASSWORD = "harbour lights 2026";

/** Replaces the printed first password with ADMIN_PASSWORD if nobody has yet, so every spec file can run
 *  alone on a fresh server. Uses its own request context: the page's cookies are left alone. */
export async function ensureAdminPassword() {
  // Wharf deletes the file once the first password is replaced: then there is nothing to do.
  if (!existsSync(join(process.env.WHARF_DATA_DIR ?? "", "initial-admin-password"))) return;
  const request = await pwRequest.newContext({ baseURL: `http://${process.env.LEPTOS_SITE_ADDR ?? "127.0.0.1:3100"}` });
  const headers = { Accept: "application/json" };
  const first = initialAdminPassword();
  const signIn = await request.post("/api/sign_in", { form: { username: "admin", password: first, next: "/" }, headers });
  if (signIn.ok()) {
    const changed = await request.post("/api/change_password", {
      form: { current_password: first, new_password: ADMIN_PASSWORD, confirm_password: ADMIN_PASSWORD },
      headers,
    });
    expect(changed.status(), `change_password: ${await changed.text()}`).toBe(200);
  }
  await request.dispose();
}

/** The status messages (toasts) that say `text`. */
export function toast(page: Page, text: string) {
  return page.getByRole("status").filter({ hasText: text });
}

export async function signInAsAdmin(page: Page) {
  await ensureAdminPassword();
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("User name").fill("admin");
  await page.getByLabel("Password").fill(ADMIN_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("signed-in-user")).toBeVisible();
}

/** The built-in Sandbox Dropbox's test control API (scripts/test.sh turns it on for these tests). */
export const SANDBOX = `http://${process.env.WHARF_SANDBOX_ADDR ?? "127.0.0.1:3102"}/__sandbox`;

/** Routes the sandbox has answered, with their status, oldest first. */
export async function sandboxRequests(): Promise<{ route: string; status: number }[]> {
  const r = await fetch(`${SANDBOX}/requests`);
  if (!r.ok) throw new Error(`sandbox control API: ${r.status}`);
  const body = await r.json();
  return Array.isArray(body) ? body : body.requests;
}

/** Makes the next call to `route` revoke the grant of the token it carries, as if the account owner
 *  disconnected Wharf in Dropbox's settings. */
export async function revokeGrantOnNextCall(route: string) {
  const r = await fetch(`${SANDBOX}/faults`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ route, kind: "revoke_token" }),
  });
  if (!r.ok) throw new Error(`sandbox control API: ${r.status}`);
}
