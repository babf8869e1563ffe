import { test, expect } from "@playwright/test";
import { collectErrors, hydrated, revokeGrantOnNextCall, signInAsAdmin } from "./helpers";

test("a grant revoked at Dropbox turns the status into test failed, and Re-authorize mends it", async ({ page }) => {
  const errors = collectErrors(page);
  await signInAsAdmin(page);
  await page.goto("/admin/data-sources/new/dropbox");
  await hydrated(page);
  await page.getByLabel("Display name").fill("Archive");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page).toHaveURL(/\/admin\/data-sources\/\d+$/);
  await hydrated(page);
  await page.getByRole("button", { name: "Authorize" }).click();
  await page.getByRole("button", { name: "Allow" }).click();
  await hydrated(page);
  await expect(page.locator(".badge")).toHaveText("ready");

  // the account owner disconnects Wharf in Dropbox: the next call finds the grant gone
  await revokeGrantOnNextCall("users/get_current_account");
  await page.getByRole("button", { name: "Test connection" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Dropbox refused the refresh token: authorize again." })).toBeVisible();
  await expect(page.locator(".badge")).toHaveText("test failed");
  await expect(page.getByTestId("status-message")).toHaveText("Dropbox refused the refresh token: authorize again.");

  await page.getByRole("button", { name: "Re-authorize" }).click();
  await page.getByRole("button", { name: "Allow" }).click();
  await expect(page).toHaveURL(/authorization=connected/);
  await hydrated(page);
  await expect(page.locator(".badge")).toHaveText("ready");
  await expect(page.getByTestId("status-message")).toHaveCount(0);

  expect(errors).toEqual([]);
});
