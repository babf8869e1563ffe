import { test, expect, Page } from "@playwright/test";
import { collectErrors, hydrated, signInAsAdmin, toast } from "./helpers";
import { connectDataSource } from "./ui";

// One story across contexts: the administrator restricts a data source to a group; Rowan, not in it,
// can neither see nor use it; added to the group, can; disabled, is signed out at the next request.
test.describe.configure({ mode: "serial" });

const INITIAL = "rowan first pass 1";
const OWN = "rowan's own harbour";

test("a data source restricted to a group is invisible and unusable until the user joins the group", async ({ page, browser }) => {
  const errors = collectErrors(page);
  await signInAsAdmin(page);

  // a user and an (empty) group
  await page.goto("/admin/users/new");
  await hydrated(page);
  await page.getByLabel("User name").fill("rowan");
  await page.getByLabel("Name", { exact: true }).fill("Rowan Vale");
  await page.getByLabel("Initial password").fill(INITIAL);
  await page.getByLabel("Repeat the password").fill(INITIAL);
  await page.getByRole("button", { name: "Add user" }).click();
  await expect(toast(page, "User rowan added.")).toBeVisible();

  await page.goto("/admin/groups/new");
  await hydrated(page);
  await page.getByLabel("Name", { exact: true }).fill("Auditors");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(toast(page, "Group saved.")).toBeVisible();

  // a connected data source, restricted to Auditors in its Security dialog
  const id = await connectDataSource(page, "Ledger");
  await hydrated(page);

  await page.getByRole("button", { name: "Security" }).click();
  const dialog = page.getByTestId("security-dialog");
  await expect(dialog.getByTestId("grantees-users")).toContainText("Blank: any signed-in user may use it.");
  await dialog.getByLabel("Add to Connection users").fill("audit");
  await dialog.getByRole("option", { name: /Auditors/ }).click();
  await expect(dialog.getByTestId("grantees-users").locator(".chip")).toHaveText(/Auditors/);
  // Close discards …
  await dialog.getByRole("button", { name: "Close" }).click();
  await page.getByRole("button", { name: "Security" }).click();
  await expect(dialog.getByTestId("grantees-users").locator(".chip")).toHaveCount(0);
  // … OK saves, and the audit trail says what changed
  await dialog.getByLabel("Add to Connection users").fill("audit");
  await dialog.getByRole("option", { name: /Auditors/ }).click();
  await dialog.getByTestId("security-ok").click();
  await expect(toast(page, "Security saved")).toBeVisible();
  await expect(page.getByTestId("audit-trail")).toContainText("Connection users: added Auditors (group)");

  // Rowan signs in (choosing a password first): Ledger is neither listed nor usable
  const rowanContext = await browser.newContext();
  const rowan = await rowanContext.newPage();
  const rowanErrors = collectErrors(rowan);
  await rowan.goto("/sign-in");
  await hydrated(rowan);
  await rowan.getByLabel("User name").fill("rowan");
  await rowan.getByLabel("Password").fill(INITIAL);
  await rowan.getByRole("button", { name: "Sign in" }).click();
  await expect(rowan).toHaveURL(/\/change-password$/);
  await hydrated(rowan);
  await rowan.getByLabel("Current password").fill(INITIAL);
  await rowan.getByLabel("New password", { exact: true }).fill(OWN);
  await rowan.getByLabel("Repeat the new password").fill(OWN);
  await rowan.getByRole("button", { name: "Change password" }).click();
  await expect(rowan).toHaveURL(/\/$/);
  await hydrated(rowan);
  await expect(rowan.getByRole("heading", { name: "Data sources you can use" })).toBeVisible();
  await expect(rowan.getByRole("link", { name: "Ledger" })).toHaveCount(0);
  await rowan.goto(`/data-sources/${id}/files`);
  await hydrated(rowan);
  await expect(rowan.getByTestId("page-error")).toHaveText(/You are not one of the connection users of this data source/);
  // nor can the file route be used directly
  const refused = await rowan.request.get(`/data-sources/${id}/files/download?path=Welcome.txt`);
  expect(refused.status()).toBe(403);

  // the administrator adds Rowan to Auditors
  await page.goto("/admin/groups");
  await hydrated(page);
  await page.getByRole("link", { name: "Auditors" }).click();
  await hydrated(page);
  await page.getByLabel("Find users to add").fill("rowan");
  await page.getByRole("button", { name: "Add rowan" }).click();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(toast(page, "Group saved.")).toBeVisible();

  // now Rowan sees Ledger and browses it: folders, breadcrumbs, a download through Wharf
  await rowan.goto("/");
  await hydrated(rowan);
  await rowan.getByRole("link", { name: "Ledger" }).click();
  await expect(rowan).toHaveURL(new RegExp(`/data-sources/${id}/files$`));
  await hydrated(rowan);
  const files = rowan.getByTestId("file-list");
  await expect(files).toContainText("Welcome.txt");
  await files.getByRole("link", { name: /Documents/ }).click();
  await expect(rowan).toHaveURL(/folder=Documents/);
  await expect(rowan.getByRole("navigation", { name: "Folder" })).toContainText("Ledger/Documents");
  const ok = await rowan.request.get(`/data-sources/${id}/files/download?path=Welcome.txt`);
  expect(ok.status()).toBe(200);
  expect((await ok.body()).length).toBeGreaterThan(0);
  const climbing = await rowan.request.get(`/data-sources/${id}/files/download?path=..%2F..%2Fetc%2Fpasswd`);
  // a refused path is invalid input (422), from a plain route as from a server function
  expect(climbing.status()).toBe(422);

  // disabled: Rowan's very next request is treated as signed out
  await page.goto("/admin/users");
  await hydrated(page);
  await page.getByRole("link", { name: "rowan", exact: true }).click();
  await hydrated(page);
  await page.getByRole("switch", { name: "Disabled" }).check();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(toast(page, "Changes saved.")).toBeVisible();
  await rowan.goto(`/data-sources/${id}/files`);
  await expect(rowan).toHaveURL(/\/sign-in\?next=/);
  await rowanContext.close();

  expect(rowanErrors.filter((e) => !/status of 403/.test(e))).toEqual([]);
  expect(errors).toEqual([]);
});
