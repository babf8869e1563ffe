import { test, expect } from "@playwright/test";
import { ADMIN_PASSWORD, collectErrors, hydrated, initialAdminPassword, signInAsAdmin } from "./helpers";

const NEW_PASSWORD = ADMIN_PASSWORD;

// The tests share one fresh server: the first one replaces the initial password, the others use it.
test.describe.configure({ mode: "serial" });


test("an administrator signs in for the first time, changes the password, finds Data sources and signs out", async ({ page }) => {
  const errors = collectErrors(page);

  // anonymous: sent to sign-in, with the way back remembered
  await page.goto("/admin/data-sources");
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fadmin%2Fdata-sources$/);
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Sign in" })).toBeVisible();

  // a wrong password gets the one message that reveals nothing
  await page.getByLabel("User name").fill("admin");
  await page.getByLabel("Password").fill("certainly not it");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByTestId("sign-in-error")).toHaveText("The user name or password is not correct.");

  // the printed password works, and the first thing asked is a new one
  await page.getByLabel("Password").fill(initialAdminPassword());
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/change-password$/);
  await hydrated(page);
  await expect(page.getByTestId("forced-change")).toBeVisible();
  await expect(page.getByRole("link", { name: "Data sources" })).toHaveCount(0);

  // a mismatch is named at its field and loses nothing
  await page.getByLabel("Current password").fill(initialAdminPassword());
  await page.getByLabel("New password", { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel("Repeat the new password").fill("something else entirely");
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.locator("#confirm-password-error")).toHaveText("The two new passwords do not match.");
  await expect(page.getByLabel("New password", { exact: true })).toHaveValue(NEW_PASSWORD);

  await page.getByLabel("Repeat the new password").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Change password" }).click();
  await expect(page.getByRole("status")).toContainText("Your password has been changed.");
  await expect(page).toHaveURL(/\/$/);

  // the shell shows who is signed in and what an administrator may use
  await expect(page.getByTestId("signed-in-user")).toHaveText("Administrator");
  const nav = page.getByRole("navigation", { name: "Main" });
  for (const item of ["Home", "Forms", "Dashboards", "Data sources", "Users", "Groups"]) {
    await expect(nav.getByRole("link", { name: item, exact: true })).toBeVisible();
  }

  await nav.getByRole("link", { name: "Data sources" }).click();
  await expect(page).toHaveURL(/\/admin\/data-sources$/);
  await expect(page.getByRole("heading", { name: "Data sources" })).toBeVisible();
  await expect(page.getByTestId("data-sources-empty")).toContainText("No data sources yet.");
  if (process.env.SCREENSHOT_DIR) {
    await page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/data-sources.png` });
  }

  await page.getByRole("button", { name: "Sign out" }).click();
  await expect(page).toHaveURL(/\/sign-in$/);

  // signed out means signed out: a page sends us back to sign-in
  await page.goto("/admin/users");
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fadmin%2Fusers$/);

  // and the new password is the one that works now
  await hydrated(page);
  await page.getByLabel("User name").fill("admin");
  await page.getByLabel("Password").fill(NEW_PASSWORD);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/admin\/users$/);
  await expect(page.getByRole("cell", { name: "admin", exact: true })).toBeVisible();

  expect(errors).toEqual([]);
});

test("a page brings only its own code: the app's wasm and that page's chunks first, another group's when one of its pages is opened", async ({ page }) => {
  const errors = collectErrors(page);
  await signInAsAdmin(page);
  const wasmFetched: string[] = [];
  page.on("request", (r) => {
    const path = new URL(r.url()).pathname;
    if (path.endsWith(".wasm")) wasmFetched.push(path);
  });

  // the server names the chunks of the page it renders, beside the app's own wasm
  const html = await (await page.request.get("/admin/users")).text();
  const preloaded = [...html.matchAll(/<link [^>]*>/g)]
    .map((m) => m[0])
    .filter((tag) => tag.includes('rel="preload"'))
    .map((tag) => /href="(\/pkg\/[^"]+\.wasm)"/.exec(tag)?.[1])
    .filter((href): href is string => !!href);
  const usersChunks = preloaded.filter((p) => !/\/pkg\/wharf\.[^/]+\.wasm$/.test(p) && !p.endsWith("/wharf.wasm"));
  expect(usersChunks.length, `preloads: ${preloaded.join(", ")}`).toBeGreaterThan(0);

  await page.goto("/admin/users");
  await hydrated(page);
  await expect(page.getByRole("cell", { name: "admin", exact: true })).toBeVisible();
  for (const chunk of usersChunks) expect(wasmFetched).toContain(chunk);

  // another group of pages brings its code when one of them is first opened (a bar says a page is
  // opening meanwhile), and it works
  const before = wasmFetched.length;
  await page.route(/\/pkg\/.*\.wasm$/, async (route) => {
    await new Promise((done) => setTimeout(done, 800));
    await route.continue();
  });
  const opening = page.getByRole("progressbar", { name: "Opening the page" });
  await expect(opening).toBeHidden();
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Forms", exact: true }).click();
  await expect(opening).toBeVisible();
  await expect(page).toHaveURL(/\/forms$/);
  await expect(page.getByRole("heading", { name: "Design forms" })).toBeVisible();
  await expect(opening).toBeHidden();
  await page.unroute(/\/pkg\/.*\.wasm$/);
  const formsChunks = wasmFetched.slice(before).filter((p) => !usersChunks.includes(p));
  expect(formsChunks.length, `fetched: ${wasmFetched.join(", ")}`).toBeGreaterThan(0);
  await page.getByRole("button", { name: "+ New form" }).click();
  await expect(page.locator("#new-form-title")).toBeVisible();

  expect(errors).toEqual([]);
});

test("an unknown address shows a page that says so", async ({ page }) => {
  await signInAsAdmin(page);
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
});

test("the shell works on a narrow screen", async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 800 });
  await signInAsAdmin(page);
  const nav = page.getByRole("navigation", { name: "Main" });
  await expect(nav.getByRole("link", { name: "Data sources" })).toBeInViewport();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
});
