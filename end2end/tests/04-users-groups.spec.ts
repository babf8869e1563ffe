import { test, expect, Page } from "@playwright/test";
import { collectErrors, hydrated, signInAsAdmin, toast } from "./helpers";

// One story: the user made in the first test is the one disabled and grouped in the next ones.
test.describe.configure({ mode: "serial" });

const INITIAL = "harbour pilot 1";
const OWN = "quinn's own secret";

test("an administrator adds a user, who chooses a password at first sign-in; disabling them signs them out", async ({ page, browser }) => {
  const errors = collectErrors(page);
  await signInAsAdmin(page);

  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Users" }).click();
  await expect(page).toHaveURL(/\/admin\/users$/);
  await hydrated(page);
  await page.getByRole("link", { name: "+ Add user" }).click();
  await expect(page).toHaveURL(/\/admin\/users\/new$/);
  await expect(page.getByRole("heading", { name: "Add user" })).toBeVisible();

  await page.getByLabel("User name").fill("Quinn");
  await page.getByLabel("Name", { exact: true }).fill("Quinn Harper");
  await page.getByLabel("Email").fill("quinn@example.com");
  await page.getByLabel("Initial password").fill(INITIAL);
  await page.getByLabel("Repeat the password").fill("not the same");
  await expect(page.getByLabel("User", { exact: true })).toBeChecked();
  await page.getByLabel("Design business process").check();

  // a mismatch is named at its field, and nothing typed is lost
  await page.getByRole("button", { name: "Add user" }).click();
  await expect(page.locator("#confirm-password-error")).toHaveText("The two passwords do not match.");
  await expect(page.getByLabel("Email")).toHaveValue("quinn@example.com");

  await page.getByLabel("Repeat the password").fill(INITIAL);
  await page.getByRole("button", { name: "Add user" }).click();
  await expect(toast(page, "User Quinn added.")).toBeVisible();
  await expect(page).toHaveURL(/\/admin\/users$/);
  const row = page.getByTestId("user-row-quinn");
  await expect(row).toContainText("Quinn Harper");
  await expect(row).toContainText("Design business process, User");
  await expect(row.locator(".badge")).toHaveText("Must change password");

  // Quinn, in a browser of their own: the first thing asked is a password of their own
  const quinnContext = await browser.newContext();
  const quinn = await quinnContext.newPage();
  await quinn.goto("/sign-in");
  await hydrated(quinn);
  await quinn.getByLabel("User name").fill("quinn");
  await quinn.getByLabel("Password").fill(INITIAL);
  await quinn.getByRole("button", { name: "Sign in" }).click();
  await expect(quinn).toHaveURL(/\/change-password$/);
  await hydrated(quinn);
  await expect(quinn.getByTestId("forced-change")).toBeVisible();
  await quinn.getByLabel("Current password").fill(INITIAL);
  await quinn.getByLabel("New password", { exact: true }).fill(OWN);
  await quinn.getByLabel("Repeat the new password").fill(OWN);
  await quinn.getByRole("button", { name: "Change password" }).click();
  await expect(quinn).toHaveURL(/\/$/);
  await expect(quinn.getByTestId("signed-in-user")).toHaveText("Quinn Harper");
  // no administration for a designer
  await expect(quinn.getByRole("link", { name: "Users", exact: true })).toHaveCount(0);

  // the administrator disables Quinn
  await page.reload();
  await hydrated(page);
  await expect(page.getByTestId("user-row-quinn").locator(".badge")).toHaveText("Active");
  await page.getByRole("link", { name: "quinn", exact: true }).click();
  await expect(page).toHaveURL(/\/admin\/users\/\d+$/);
  await hydrated(page);
  await expect(page.getByRole("heading", { name: "Quinn Harper" })).toBeVisible();
  await page.getByRole("switch", { name: "Disabled" }).check();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(toast(page, "Changes saved.")).toBeVisible();
  await expect(page.locator(".page-header .badge")).toHaveText("Disabled");

  // Quinn's very next navigation lands on sign-in, and the password no longer opens Wharf
  await quinn.goto("/forms");
  await expect(quinn).toHaveURL(/\/sign-in\?next=%2Fforms$/);
  await hydrated(quinn);
  await quinn.getByLabel("User name").fill("quinn");
  await quinn.getByLabel("Password").fill(OWN);
  await quinn.getByRole("button", { name: "Sign in" }).click();
  await expect(quinn.getByTestId("sign-in-error")).toHaveText("The user name or password is not correct.");
  await quinnContext.close();

  // the last administrator is told why they cannot step down
  await page.goto("/admin/users");
  await hydrated(page);
  await page.getByRole("link", { name: "admin", exact: true }).click();
  await hydrated(page);
  await page.getByLabel("Administrator").uncheck();
  await page.getByLabel("User", { exact: true }).check();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.locator(".form-error")).toContainText("last active administrator");
  await page.reload();
  await hydrated(page);
  await expect(page.getByLabel("Administrator")).toBeChecked();

  expect(errors).toEqual([]);
});

test("an administrator makes a group and adds the user to it", async ({ page }) => {
  const errors = collectErrors(page);
  await signInAsAdmin(page);

  await page.goto("/admin/groups");
  await hydrated(page);
  await expect(page.getByTestId("groups-empty")).toBeVisible();
  await page.getByRole("link", { name: "+ Add group" }).click();
  await expect(page).toHaveURL(/\/admin\/groups\/new$/);
  await hydrated(page);

  await page.getByLabel("Name", { exact: true }).fill("Harbour crew");
  await page.getByLabel("Description").fill("Everyone on the quay");
  await page.getByLabel("Find users to add").fill("quin");
  await page.getByRole("button", { name: "Add quinn" }).click();
  await expect(page.getByTestId("members")).toContainText("Quinn Harper (quinn)");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(toast(page, "Group saved.")).toBeVisible();
  await expect(page).toHaveURL(/\/admin\/groups$/);
  const row = page.getByRole("row").filter({ hasText: "Harbour crew" });
  await expect(row.getByTestId("member-count")).toHaveText("1");

  // a second group of the same name, in other letters, is refused at the name
  await page.getByRole("link", { name: "+ Add group" }).click();
  await hydrated(page);
  await page.getByLabel("Name", { exact: true }).fill("HARBOUR CREW");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.locator("#name-error")).toContainText("already exists");

  // the users list names the group
  await page.goto("/admin/users");
  await hydrated(page);
  await expect(page.getByTestId("user-row-quinn")).toContainText("Harbour crew");

  // and the member can be removed again
  await page.goto("/admin/groups");
  await hydrated(page);
  await page.getByRole("link", { name: "Harbour crew" }).click();
  await hydrated(page);
  await page.getByRole("button", { name: "Remove quinn" }).click();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(toast(page, "Group saved.")).toBeVisible();
  await expect(page.getByRole("row").filter({ hasText: "Harbour crew" }).getByTestId("member-count")).toHaveText("0");

  expect(errors).toEqual([]);
});
