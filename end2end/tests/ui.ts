import { expect, Browser, Page } from "@playwright/test";
import AxeBuilder from "@axe-core/playwright";
import { collectErrors, hydrated, SANDBOX } from "./helpers";

/** Calls a server function with form arguments as the signed-in browser does; returns the response. */
export async function api(page: Page, endpoint: string, form: Record<string, string>) {
  const r = await page.request.post(`/api/${endpoint}`, { form, headers: { Accept: "application/json" } });
  expect(r.status(), `${endpoint}: ${await r.text()}`).toBe(200);
  return r;
}

/** Calls a server function that takes JSON (save_form, submit_form). */
export async function apiJson(page: Page, endpoint: string, body: unknown) {
  const r = await page.request.post(`/api/${endpoint}`, { data: body, headers: { Accept: "application/json" } });
  expect(r.status(), `${endpoint}: ${await r.text()}`).toBe(200);
  return r;
}

let firstAccount: Promise<string> | undefined;

/** The sandbox's first account (asked once per spec file: seeding thousands of files asks it often). */
export function sandboxAccountId(): Promise<string> {
  firstAccount ??= fetch(`${SANDBOX}/accounts`)
    .then((r) => r.json())
    .then((accounts) => (Array.isArray(accounts) ? accounts : accounts.accounts)[0].account_id);
  return firstAccount;
}

/** Puts a file (or a folder) into the sandbox's first account. */
export async function seedFile(path: string, body: Record<string, unknown>) {
  const r = await fetch(`${SANDBOX}/files`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ account_id: await sandboxAccountId(), path, ...body }),
  });
  if (!r.ok) throw new Error(`seeding ${path}: ${r.status} ${await r.text()}`);
  return r.json();
}

/** Adds a Dropbox data source named `name` through its connector page and authorizes it in the sandbox,
 *  as an administrator does; returns its id. The page is left on the connector page. */
export async function connectDataSource(page: Page, name: string): Promise<string> {
  await page.goto("/admin/data-sources/new/dropbox");
  await hydrated(page);
  await page.getByLabel("Display name").fill(name);
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page).toHaveURL(/\/admin\/data-sources\/\d+$/);
  const id = page.url().split("/").pop()!;
  await hydrated(page);
  await page.getByRole("button", { name: "Authorize" }).click();
  await page.getByRole("button", { name: "Allow" }).click();
  await expect(page).toHaveURL(/authorization=connected/);
  return id;
}

/** Deletes a file in the sandbox as the account owner would in Dropbox. */
export async function deleteInDropbox(path: string) {
  const token = await fetch(`${SANDBOX}/tokens`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ account_id: await sandboxAccountId() }),
  });
  if (!token.ok) throw new Error(`sandbox token: ${token.status}`);
  const { access_token } = await token.json();
  const origin = new URL(SANDBOX).origin;
  const r = await fetch(`${origin}/2/files/delete_v2`, {
    method: "POST",
    headers: { Authorization: `Bearer ${access_token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ path }),
  });
  if (!r.ok) throw new Error(`deleting ${path}: ${r.status} ${await r.text()}`);
}

/** A Dropbox data source named `name`, authorized on the Sandbox Dropbox the way a browser does it
 *  (Authorize, Allow, the callback), so it is tested and ready; returns its id. */
export async function readyDataSource(page: Page, name: string, root = ""): Promise<number> {
  const saved = await api(page, "save_data_source", {
    kind: "Dropbox",
    display_name: name,
    root_folder: root,
    file_pattern: "",
    search_scope: "AllSubfolders",
    space: "MyFiles",
  });
  const id = Number(await saved.text());
  const url = new URL(await (await api(page, "authorize_data_source", { id: String(id) })).json());
  const form = new URLSearchParams(url.searchParams);
  form.append("account_id", await sandboxAccountId());
  form.append("decision", "allow");
  const allowed = await fetch(`${url.origin}/oauth2/authorize`, { method: "POST", body: form, redirect: "manual" });
  const back = new URL(allowed.headers.get("location") ?? "");
  const callback = await page.request.get(back.pathname + back.search, { maxRedirects: 0 });
  expect(callback.status()).toBe(303);
  return id;
}

/** A form field as the designer saves it. */
export function field(name: string, kind: unknown, required = false) {
  return { title: name[0].toUpperCase() + name.slice(1), name, help: "", required, enabled: true, visible: true, kind };
}

/** A List field over `folder` of data source `ds`: a File browser unless another format and order
 *  are given. */
export function fileBrowser(
  ds: number,
  folder: string,
  format: unknown = "FileBrowser",
  order: { sort_by: string; direction: "Ascending" | "Descending" } = { sort_by: "Name", direction: "Ascending" },
) {
  return {
    List: {
      source: {
        DataSource: {
          data_source_id: ds,
          display_field: "Name",
          value_field: "Path",
          ...order,
          folder,
          extensions: [],
          include_subfolders: true,
          show_folders: false,
          max_size: null,
        },
      },
      format,
    },
  };
}

/** Creates, saves and publishes a form; returns its id. */
export async function publishForm(page: Page, title: string, fields: unknown[]): Promise<number> {
  const id = Number(await (await api(page, "create_form", { title })).text());
  await apiJson(page, "save_form", { id, title, draft: { fields } });
  await api(page, "publish_form", { id: String(id) });
  return id;
}

/** No serious or critical accessibility violation (axe-core, WCAG 2.1 A and AA rules). */
export async function expectAccessible(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]).analyze();
  const bad = results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(" | ")}`);
  expect(bad, `${what}: accessibility violations`).toEqual([]);
}

/**
 * Nothing runs past the right edge of the window: the page does not scroll sideways, and no visible
 * element outside a scrolling box ends beyond the viewport.
 */
export async function expectNothingCutOff(page: Page, what: string) {
  const problems = await page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const found: string[] = [];
    if (document.documentElement.scrollWidth > width + 1) {
      found.push(`the page is ${document.documentElement.scrollWidth}px wide in a ${width}px window`);
    }
    const scrolls = (el: Element | null): boolean => {
      for (let e = el; e && e !== document.body; e = e.parentElement) {
        const s = getComputedStyle(e);
        if ((s.overflowX === "auto" || s.overflowX === "scroll" || s.overflowX === "hidden") && e.scrollWidth > e.clientWidth)
          return true;
      }
      return false;
    };
    for (const el of Array.from(document.querySelectorAll("body *"))) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      const s = getComputedStyle(el);
      if (s.visibility === "hidden" || s.position === "fixed") continue;
      if (r.right > width + 1 && !scrolls(el.parentElement)) {
        const label = `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}.${Array.from(el.classList).join(".")}`;
        found.push(`${label} ends at ${Math.round(r.right)}px`);
      }
    }
    return found.slice(0, 10);
  });
  expect(problems, `${what}: cut off at ${await page.evaluate(() => window.innerWidth)}px`).toEqual([]);
}

/** Saves a screenshot into SCREENSHOT_DIR when it is set (README and reviews use them). */
export async function screenshot(page: Page, name: string) {
  if (process.env.SCREENSHOT_DIR) {
    await page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/${name}.png`, fullPage: true });
  }
}

/** The pager of one list ("Pages of users" …): its range text and its buttons. */
export function pager(page: Page, label: string) {
  const nav = page.getByRole("navigation", { name: label });
  return {
    nav,
    range: nav.getByTestId("pager-range"),
    next: nav.getByRole("button", { name: "Next" }),
    previous: nav.getByRole("button", { name: "Previous" }),
  };
}

/** Creates `username` (display name capitalised) with `roles`; the first password is `<name> first pass 1`. */
export async function createUser(admin: Page, username: string, roles: string[]): Promise<number> {
  const form: Record<string, string> = {
    username,
    display_name: username[0].toUpperCase() + username.slice(1),
    password: `${username} first pass 1`,
    confirm_password: `${username} first pass 1`,
  };
  roles.forEach((r, i) => (form[`roles[${i}]`] = r));
  const r = await admin.request.post("/api/create_user", { form, headers: { Accept: "application/json" } });
  expect(r.status()).toBe(200);
  return Number(await r.text());
}

/** Signs `username` in with the password the administrator set, choosing their own on the way. */
export async function signInFirstTime(browser: Browser, username: string) {
  const context = await browser.newContext();
  const page = await context.newPage();
  const errors = collectErrors(page);
  await page.goto("/sign-in");
  await hydrated(page);
  await page.getByLabel("User name").fill(username);
  await page.getByLabel("Password").fill(`${username} first pass 1`);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/change-password$/);
  await hydrated(page);
  await page.getByLabel("Current password").fill(`${username} first pass 1`);
  await page.getByLabel("New password", { exact: true }).fill(`${username}'s own password`);
  await page.getByLabel("Repeat the new password").fill(`${username}'s own password`);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page).toHaveURL(/\/$/);
  await hydrated(page);
  return { page, context, errors };
}

/** What the sandbox's first account holds directly in `path` (name, path and size of each entry), as
 *  Dropbox's list_folder answers it; an empty list when the folder does not exist. */
export async function listInDropbox(path: string): Promise<{ name: string; path_display: string; size?: number }[]> {
  const token = await fetch(`${SANDBOX}/tokens`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ account_id: await sandboxAccountId() }),
  });
  if (!token.ok) throw new Error(`sandbox token: ${token.status}`);
  const { access_token } = await token.json();
  const origin = new URL(SANDBOX).origin;
  const r = await fetch(`${origin}/2/files/list_folder`, {
    method: "POST",
    headers: { Authorization: `Bearer ${access_token}`, "Content-Type": "application/json" },
    body: JSON.stringify({ path, limit: 2000 }),
  });
  if (r.status === 409) return [];
  if (!r.ok) throw new Error(`listing ${path}: ${r.status} ${await r.text()}`);
  const body = await r.json();
  if (body.has_more) throw new Error(`listing ${path}: more than one page`);
  return body.entries;
}
