import { test, expect } from "@playwright/test";
import { collectErrors, hydrated, sandboxRequests, signInAsAdmin } from "./helpers";

test("an administrator adds, edits, lists and deletes a Dropbox data source", async ({ page }) => {
  const errors = collectErrors(page);
  await signInAsAdmin(page);

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Data sources" }).click();
  await expect(page.getByTestId("data-sources-empty")).toBeVisible();
  // the empty list offers "+ Add new" once, in its empty state
  await expect(page.getByRole("link", { name: "+ Add new" })).toHaveCount(1);
  await page.getByTestId("data-sources-empty").getByRole("link", { name: "+ Add new" }).click();
  await page.getByTestId("choose-dropbox").click();
  await expect(page).toHaveURL(/\/admin\/data-sources\/new\/dropbox$/);
  await expect(page.getByRole("heading", { name: "New Dropbox data source" })).toBeVisible();

  // saving incomplete details is allowed: name only, not authorized
  await page.getByLabel("Display name").fill("Sales documents");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Details saved successfully" })).toBeVisible();
  await expect(page).toHaveURL(/\/admin\/data-sources\/\d+$/);
  await hydrated(page);
  await expect(page.locator(".badge")).toHaveText("incomplete");

  // a path that would leave the root is refused at its field, and the typed value stays
  await page.getByLabel("Root folder").fill("/Projects/../..");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.locator("#root-folder-error")).toHaveText("The folder path must not contain `..`.");
  await expect(page.getByLabel("Root folder")).toHaveValue("/Projects/../..");

  // Close warns about unsaved changes; Cancel stays on the page
  await page.getByRole("button", { name: "Close" }).click();
  const discard = page.getByRole("dialog", { name: "Discard changes?" });
  await expect(discard).toBeVisible();
  await discard.getByRole("button", { name: "Cancel" }).click();
  await expect(discard).toBeHidden();

  await page.getByLabel("Root folder").fill("/Documents");
  await page.getByLabel("File pattern").fill("*.pdf; *.docx");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Unsaved changes")).toBeHidden();
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel("Root folder")).toHaveValue("/Documents");
  await expect(page.getByTestId("audit-trail")).toContainText("root folder → “/Documents”");

  // Authorize, then Cancel on the Sandbox Dropbox page: back, still incomplete, with a message
  await expect(page.getByTestId("not-connected")).toContainText("Sandbox Dropbox");
  // nothing to test before it is authorized
  await expect(page.getByRole("button", { name: "Test connection" })).toHaveCount(0);
  await page.getByRole("button", { name: "Authorize" }).click();
  await expect(page).toHaveTitle(/Sandbox Dropbox/);
  await expect(page.locator("body")).toContainText("Wharf");
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(page).toHaveURL(/authorization=cancelled/);
  await hydrated(page);
  await expect(page.getByTestId("authorization-result")).toContainText("cancelled");
  await expect(page.getByTestId("authorization-result")).toHaveClass(/warning/);
  await expect(page.locator(".badge")).toHaveText("incomplete");

  // Authorize and Allow: back, tested automatically, ready, connected as the sandbox account
  await page.getByRole("button", { name: "Authorize" }).click();
  await page.getByRole("button", { name: "Allow" }).click();
  await expect(page).toHaveURL(/authorization=connected/);
  await hydrated(page);
  await expect(page.getByTestId("authorization-result")).toHaveClass(/success/);
  await expect(page.locator(".badge")).toHaveText("ready");
  await expect(page.getByTestId("connected-as")).toContainText("Connected as Sandy Sandbox <sandbox@wharf.example>");
  await expect(page.getByTestId("connected-as")).toContainText("Basic account · personal · Sandbox Dropbox");
  await expect(page.getByRole("button", { name: "Re-authorize" })).toBeVisible();
  await page.getByRole("button", { name: "Test connection" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Connection test succeeded" })).toBeVisible();
  await expect(page.getByTestId("audit-trail")).toContainText("Authorized Wharf to use a Dropbox account");
  if (process.env.SCREENSHOT_DIR) {
    await page.screenshot({ path: `${process.env.SCREENSHOT_DIR}/connector.png`, fullPage: true });
  }

  // saving a connected data source tests it again: a root folder Dropbox does not have fails the test
  await page.getByLabel("Root folder").fill("/Nowhere");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.locator(".badge")).toHaveText("test failed");
  await expect(page.getByTestId("status-message")).toContainText("“/Nowhere” does not exist");
  await page.getByLabel("Root folder").fill("/Documents");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.locator(".badge")).toHaveText("ready");

  await page.getByRole("button", { name: "Security" }).click();
  await expect(page.getByRole("dialog", { name: "Security" })).toBeVisible();
  await page.getByRole("dialog", { name: "Security" }).getByRole("button", { name: "Close" }).click();

  await page.getByRole("button", { name: "Close" }).click();
  await expect(page).toHaveURL(/\/admin\/data-sources$/);
  const row = page.getByRole("row", { name: /Sales documents/ });
  await expect(row).toContainText("Dropbox");
  await expect(row).toContainText("Administrator");
  await expect(row).toContainText("ready");

  // search filters by name or type
  await page.getByLabel("Search data sources").fill("nothing like it");
  await expect(page.getByText("No data source matches your search.")).toBeVisible();
  await page.getByLabel("Search data sources").fill("dropbox");
  await expect(row).toBeVisible();

  // the bin asks first; OK deletes
  await row.getByRole("button", { name: "Delete Sales documents" }).click();
  const confirm = page.getByRole("dialog", { name: "Delete data source" });
  await expect(confirm).toContainText("Delete “Sales documents”?");
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await expect(row).toBeVisible();
  await row.getByRole("button", { name: "Delete Sales documents" }).click();
  await confirm.getByRole("button", { name: "OK" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Data source deleted." })).toBeVisible();
  // deleting revoked the grant at Dropbox first
  const revokes = (await sandboxRequests()).filter((r) => r.route === "auth/token/revoke");
  expect(revokes.map((r) => r.status)).toContain(200);
  await page.getByLabel("Search data sources").fill("");
  await expect(page.getByTestId("data-sources-empty")).toBeVisible();

  expect(errors).toEqual([]);
});
