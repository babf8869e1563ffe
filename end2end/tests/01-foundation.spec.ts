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
