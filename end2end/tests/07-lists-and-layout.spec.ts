import { test, expect, Page } from "@playwright/test";
import { collectErrors, hydrated, signInAsAdmin } from "./helpers";
import {
  api,
  apiJson,
  deleteInDropbox,
  expectAccessible,
  expectNothingCutOff,
  field,
  fileBrowser,
  pager,
  publishForm,
  readyDataSource,
  screenshot,
  seedFile,
} from "./ui";

// What a person sees across the app: every list pages past its first 50 rows, Home offers only data
// sources that are ready, the File browser picker uses the width it has (1280 px and a 390 px phone),
// unknown ids are "Page not found", and every page passes axe-core and fits a 390 px screen.
test.describe.configure({ mode: "serial" });

// 95 characters: names may have 100
const LONG = "Reconciliation of the harbour authority's vendor invoices and delivery notes, northern terminal";
const pad = (n: number) => String(n).padStart(2, "0");

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

/** Opens `path` and checks its list: the first 50 rows, then Next to the rest, then Previous. What
 *  the second page holds is asked of the same server function the page uses. */
async function pagesThrough(
  page: Page,
  path: string,
  label: string,
  list: string,
  endpoint: string,
  args: Record<string, string>,
  shown: (row: Record<string, unknown>) => string,
) {
  const second = JSON.parse(await (await api(page, endpoint, { ...args, page: "1" })).text());
  const total: number = second.total;
  expect(total, `${path}: more than one page`).toBeGreaterThan(50);
  const onSecondPage = shown(second.rows[0]);
  await page.goto(path);
  await hydrated(page);
  const p = pager(page, label);
  await expect(p.range).toHaveText(`1–50 of ${total}`);
  await expect(p.previous).toBeDisabled();
  await expect(p.next).toBeEnabled();
  const rows = page.getByTestId(list);
  await expect(rows.getByText(onSecondPage, { exact: true })).toHaveCount(0);
  await p.next.click();
  await expect(p.range).toHaveText(`51–${total} of ${total}`);
  await expect(rows.getByText(onSecondPage, { exact: true }).first()).toBeVisible();
  await expect(p.next).toBeDisabled();
  await p.previous.click();
  await expect(p.range).toHaveText(`1–50 of ${total}`);
}

let formWithSubmissions = 0;
let pickerForm = 0;
let pickerDataSource = 0;

test("every list pages past its first 50 rows, long names included", async ({ page }) => {
  test.setTimeout(300_000);
  const errors = collectErrors(page);
  await signInAsAdmin(page);

  const users = Number(JSON.parse(await (await api(page, "list_users", { search: "" })).text()).total);
  for (let i = 1; i <= 55 - users; i++) {
    await api(page, "create_user", {
      username: `deckhand${pad(i)}`,
      display_name: i === 1 ? LONG : `Deckhand ${pad(i)}`,
      password: "deckhand first pass 1",
      confirm_password: "deckhand first pass 1",
      "roles[0]": "User",
    });
  }
  const groups = Number(JSON.parse(await (await api(page, "list_groups", { search: "" })).text()).total);
  for (let i = 1; i <= 53 - groups; i++) {
    await api(page, "save_group", { name: `Crew ${pad(i)}`, description: i === 1 ? LONG : "" });
  }
  const sources = Number(JSON.parse(await (await api(page, "list_data_sources", { search: "" })).text()).total);
  for (let i = 1; i <= 54 - sources; i++) {
    await api(page, "save_data_source", {
      kind: "Dropbox",
      display_name: i === 1 ? `Zz ${LONG}` : `Zz archive ${pad(i)}`,
      root_folder: "",
      file_pattern: "",
      search_scope: "AllSubfolders",
      space: "MyFiles",
    });
  }
  const forms = Number(JSON.parse(await (await api(page, "list_forms", { search: "" })).text()).total);
  for (let i = 1; i <= 52 - forms; i++) {
    await publishForm(page, i === 1 ? `Zz ${LONG}` : `Zz checklist ${pad(i)}`, [field("note", "Text")]);
  }
  formWithSubmissions = await publishForm(page, "Zz shift report", [field("note", "Text", true)]);
  for (let i = 1; i <= 52; i++) {
    await apiJson(page, "submit_form", { id: formWithSubmissions, values: { note: { Text: i === 52 ? LONG : `Report ${pad(i)}` } } });
  }

  const text = (key: string) => (row: Record<string, unknown>) => String(row[key]);
  await pagesThrough(page, "/admin/users", "Pages of users", "users-table", "list_users", { search: "" }, text("username"));
  await pagesThrough(page, "/admin/groups", "Pages of groups", "groups-table", "list_groups", { search: "" }, text("name"));
  await pagesThrough(page, "/admin/data-sources", "Pages of data sources", "data-sources-table", "list_data_sources", { search: "" }, text("display_name"));
  await pagesThrough(page, "/forms", "Pages of forms to design", "designed-forms", "list_forms", { search: "" }, text("title"));
  await pagesThrough(page, "/forms", "Pages of forms to fill in", "published-forms", "list_published_forms", { search: "" }, text("title"));
  await pagesThrough(
    page,
    `/forms/${formWithSubmissions}/submissions`,
    "Pages of submissions",
    "submissions",
    "list_submissions",
    { id: String(formWithSubmissions) },
    (row) => `#${row.id}`,
  );

  for (const [path, name] of [
    ["/admin/users", "users"],
    ["/admin/groups", "groups"],
    ["/admin/data-sources", "data-sources"],
    ["/forms", "forms"],
    [`/forms/${formWithSubmissions}/submissions`, "submissions"],
  ]) {
    for (const [size, label] of [[DESKTOP, "1280"], [PHONE, "390"]] as const) {
      await page.setViewportSize(size);
      await page.goto(path);
      await hydrated(page);
      await expectNothingCutOff(page, path);
      await screenshot(page, `${name}-${label}`);
    }
  }
  await page.setViewportSize(DESKTOP);
  expect(errors).toEqual([]);
});

test("Home offers only ready data sources, with their status on the card, searchable and paged", async ({ page }) => {
  test.setTimeout(240_000);
  const errors = collectErrors(page);
  await signInAsAdmin(page);
  const ready = JSON.parse(await (await api(page, "list_usable_data_sources", { search: "", ready_only: "true" })).text());
  for (let i = ready.total; i < 51; i++) await readyDataSource(page, `Harbour ${pad(i)}`);

  await page.goto("/");
  await hydrated(page);
  const cards = page.getByTestId("usable-data-sources");
  // the 54 data sources that were never authorized are not offered
  await expect(cards).not.toContainText("Zz archive");
  await expect(pager(page, "Pages of data sources you can use").range).toHaveText("1–50 of 51");
  const first = cards.getByRole("link").first();
  await expect(first.locator(".badge")).toHaveText("ready");
  await pager(page, "Pages of data sources you can use").next.click();
  await expect(pager(page, "Pages of data sources you can use").range).toHaveText("51–51 of 51");
  await page.getByLabel("Search the data sources you can use").fill("harbour 07");
  await expect(cards.getByRole("link")).toHaveCount(1);
  await expect(cards).toContainText("Harbour 07");
  await page.getByLabel("Search the data sources you can use").fill("zz archive");
  await expect(page.getByTestId("no-match")).toHaveText("No data source you can use matches your search.");
  expect(errors).toEqual([]);
});

test("the File browser picker uses the width it has, at 1280 px and on a 390 px phone", async ({ page }) => {
  test.setTimeout(180_000);
  const errors = collectErrors(page);
  await signInAsAdmin(page);
  pickerDataSource = await readyDataSource(page, "Ship logs");
  const longName = `${LONG} — signed copy for the port captain.pdf`;
  for (const name of [longName, "Bollard inspection.pdf", "Crane 4 maintenance schedule 2026.xlsx"]) {
    await seedFile(`/Logs/Inbound/${name}`, { content: `%PDF ${name}` });
  }
  await seedFile("/Logs/Inbound/Only one/Manifest.pdf", { content: "%PDF manifest" });
  await seedFile("/Logs/Outbound/Departure.pdf", { content: "%PDF departure" });
  await seedFile("/Logs/Outbound/Tug request.pdf", { content: "%PDF tug" });
  pickerForm = await publishForm(page, "Log review", [
    field("inbound", fileBrowser(pickerDataSource, "/Logs/Inbound"), true),
    field("outbound", fileBrowser(pickerDataSource, "/Logs/Outbound"), true),
  ]);

  await page.goto(`/forms/${pickerForm}/fill`);
  await hydrated(page);
  const inbound = page.locator('[data-field="inbound"]').getByTestId("file-picker");
  const outbound = page.locator('[data-field="outbound"]').getByTestId("file-picker");
  await expect(inbound.getByTestId("picker-loaded")).toHaveText("4 items");

  // it takes the form's width, and the whole name shows (wrapped, never cut)
  expect((await inbound.boundingBox())!.width).toBeGreaterThan(850);
  const longRow = inbound.locator(".pick", { hasText: "Reconciliation of the harbour" });
  await expect(longRow.locator(".pick-name")).toHaveText(longName);
  expect(await longRow.locator(".pick-name").evaluate((e) => e.scrollWidth <= e.clientWidth)).toBe(true);
  await expect(longRow).toHaveAttribute("title", longName);

  // the breadcrumb starts at the field's folder, not at the data source
  await expect(inbound.getByTestId("picker-breadcrumbs")).toHaveText("Inbound");

  // column headers sit over their columns and are buttons a screen reader can use
  const sizeHeader = inbound.getByRole("button", { name: "Sort by Size" });
  const sizeCell = inbound.locator(".pick .pick-size").first();
  const [h, c] = [(await sizeHeader.boundingBox())!, (await sizeCell.boundingBox())!];
  expect(Math.abs(h.x + h.width - (c.x + c.width))).toBeLessThan(8);
  const modifiedHeader = inbound.getByRole("button", { name: "Sort by Modified" });
  const modifiedCell = inbound.locator(".pick .pick-modified").first();
  expect(Math.abs((await modifiedHeader.boundingBox())!.x - (await modifiedCell.boundingBox())!.x)).toBeLessThan(8);
  await sizeHeader.click();
  await expect(inbound.getByRole("button", { name: "Size, sorted ascending" })).toBeVisible();
  await inbound.getByTestId("picker-default-order").click();
  await expect(inbound.getByRole("button", { name: "Sort by Size" })).toBeVisible();
  await expect(inbound.getByTestId("picker-default-order")).toHaveCount(0);

  // grammar: one item, one page
  await inbound.locator('.pick[data-name="Only one"]').click();
  await expect(inbound.getByTestId("picker-loaded")).toHaveText("1 item");
  await expect(inbound.getByTestId("picker-breadcrumbs")).toHaveText(/^Inbound\s*\/\s*Only one$/);

  // searching keeps the toolbar where it was
  const searchBox = inbound.getByLabel("Search files by name");
  const before = (await searchBox.boundingBox())!;
  await searchBox.fill("manifest");
  await inbound.getByRole("button", { name: "Search", exact: true }).click();
  await expect(inbound.locator(".pick")).toHaveCount(1);
  const after = (await searchBox.boundingBox())!;
  expect([after.x, after.y, after.width]).toEqual([before.x, before.y, before.width]);
  await inbound.getByRole("button", { name: "Clear search" }).click();

  // only the picker that has the focus shows where the keyboard is
  await inbound.getByTestId("picker-list").focus();
  await page.keyboard.press("ArrowDown");
  await outbound.getByTestId("picker-list").focus();
  await page.keyboard.press("ArrowDown");
  const rings = await page.locator(".pick.focused").evaluateAll((els) =>
    els.filter((e) => getComputedStyle(e).boxShadow !== "none").length,
  );
  expect(rings).toBe(1);
  await screenshot(page, "picker-1280");

  // a phone: the picker fits, names still show whole
  await page.setViewportSize(PHONE);
  await page.goto(`/forms/${pickerForm}/fill`);
  await hydrated(page);
  await expect(inbound.getByTestId("picker-loaded")).toHaveText("4 items");
  const box = (await inbound.boundingBox())!;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width).toBeLessThanOrEqual(390);
  await expect(longRow.locator(".pick-name")).toBeVisible();
  expect(await longRow.locator(".pick-name").evaluate((e) => e.scrollWidth <= e.clientWidth && e.clientWidth > 150)).toBe(true);
  await expectNothingCutOff(page, "the fill page with two pickers");
  await screenshot(page, "picker-390");
  await page.setViewportSize(DESKTOP);
  expect(errors).toEqual([]);
});

test("every list format shows the field's Sort by and Direction, not Dropbox's order", async ({ page }) => {
  const errors = collectErrors(page);
  await signInAsAdmin(page);
  const form = await publishForm(page, "Ordered lists", [
    field("latest", fileBrowser(pickerDataSource, "/Logs/Inbound", { DropDown: { filter: "StartsWith" } }, { sort_by: "Name", direction: "Descending" })),
    field("smallest", fileBrowser(pickerDataSource, "/Logs/Outbound", "RadioList", { sort_by: "Size", direction: "Ascending" })),
    field("several", fileBrowser(pickerDataSource, "/Logs/Outbound", "CheckboxList", { sort_by: "Name", direction: "Descending" })),
  ]);
  await page.goto(`/forms/${form}/fill`);
  await hydrated(page);
  await expect(page.locator("#f-latest option")).toHaveText([
    "Choose…",
    /^Reconciliation of the harbour/,
    "Crane 4 maintenance schedule 2026.xlsx",
    "Bollard inspection.pdf",
  ]);
  // "%PDF tug" is 8 bytes, "%PDF departure" 14: Dropbox lists them by name
  await expect(page.locator('[data-field="smallest"] label.check')).toHaveText(["Tug request.pdf", "Departure.pdf"]);
  await expect(page.locator('[data-field="several"] label.check')).toHaveText(["Tug request.pdf", "Departure.pdf"]);
  expect(errors).toEqual([]);
});

test("a submission's problems are each shown at their own field", async ({ page }) => {
  const errors = collectErrors(page);
  await signInAsAdmin(page);
  await page.goto(`/forms/${pickerForm}/fill`);
  await hydrated(page);
  const inbound = page.locator('[data-field="inbound"]');
  const outbound = page.locator('[data-field="outbound"]');
  await inbound.locator('.pick[data-name="Bollard inspection.pdf"]').click();
  await outbound.locator('.pick[data-name="Departure.pdf"]').click();
  // both files go from Dropbox before the person submits
  await deleteInDropbox("/Logs/Inbound/Bollard inspection.pdf");
  await deleteInDropbox("/Logs/Outbound/Departure.pdf");
  await page.getByTestId("submit-form").click();
  await expect(inbound.locator(".field-error")).toContainText("no longer in Dropbox");
  await expect(outbound.locator(".field-error")).toContainText("no longer in Dropbox");
  await expect(page.locator(".form-error")).toHaveText("2 fields need attention.");
  // nothing was stored
  const list = JSON.parse(await (await api(page, "list_submissions", { id: String(pickerForm) })).text());
  expect(list.total).toBe(0);
  expect(errors.filter((e) => !/status of 422/.test(e))).toEqual([]);
});

test("two files with the same name are sent side by side in a File upload field", async ({ page }) => {
  const errors = collectErrors(page);
  await signInAsAdmin(page);
  const form = await publishForm(page, "Receipts", [field("receipts", { FileUpload: { save_to: "Wharf" } }, true)]);
  await page.goto(`/forms/${form}/fill`);
  await hydrated(page);
  await page.locator('[data-field="receipts"] input[type="file"]').setInputFiles([
    { name: "receipt.txt", mimeType: "text/plain", buffer: Buffer.from("taxi 12.50 EUR") },
    { name: "receipt.txt", mimeType: "text/plain", buffer: Buffer.from("ferry 31.00 EUR, a longer one") },
  ]);
  const rows = page.getByTestId("uploads").locator("li");
  await expect(rows).toHaveCount(2);
  await expect(rows.nth(0)).toHaveAttribute("data-state", "sent");
  await expect(rows.nth(1)).toHaveAttribute("data-state", "sent");
  await expect(rows.nth(0)).toContainText("14 B");
  await expect(rows.nth(1)).toContainText("29 B");
  await page.getByTestId("submit-form").click();
  await expect(page.getByTestId("submitted")).toBeVisible();
  expect(errors).toEqual([]);
});

test("times are shown to the minute in the person's own time zone, UTC on the server", async ({ browser }) => {
  const context = await browser.newContext({ timezoneId: "Asia/Kolkata", locale: "en-GB" });
  const page = await context.newPage();
  await signInAsAdmin(page);
  const path = `/forms/${formWithSubmissions}/submissions`;
  // what the server renders, before the browser takes over
  const html = await (await page.request.get(path)).text();
  expect(html).toMatch(/<time[^>]*>(<!--[^>]*-->)*\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
  await page.goto(path);
  await hydrated(page);
  const first = page.getByTestId("submissions").locator("time").first();
  const iso = (await first.getAttribute("datetime"))!;
  // India is 5 h 30 min ahead of UTC all year; en-GB writes 24-hour times
  const local = new Date(Date.parse(iso.replace(/(\.\d{3})\d+/, "$1")) + 330 * 60_000);
  const hhmm = `${String(local.getUTCHours()).padStart(2, "0")}:${String(local.getUTCMinutes()).padStart(2, "0")}`;
  await expect(first).toContainText(hhmm);
  await expect(first).toContainText(String(local.getUTCFullYear()));
  await expect(first).toHaveText(/GMT\+5:30|IST/);
  await expect(first).not.toContainText("UTC");
  // never seconds or fractions
  for (const t of await page.locator("time").allTextContents()) expect(t).not.toMatch(/\d:\d{2}:\d{2}/);
  await context.close();
});

test("unknown ids are 'Page not found' with a 404, in the app's frame", async ({ page }) => {
  await signInAsAdmin(page);
  for (const path of ["/admin/data-sources/999999", "/data-sources/999999/files", "/admin/users/999999", "/admin/groups/999999", "/forms/999999/edit", "/forms/999999/fill"]) {
    const response = await page.goto(path);
    expect(response?.status(), path).toBe(404);
    await hydrated(page);
    await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
    await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();
  }
  // and when followed inside the app, without a page load
  await page.goto("/admin/data-sources");
  await hydrated(page);
  await page.evaluate(() => {
    history.pushState({}, "", "/admin/users/999999");
    dispatchEvent(new PopStateEvent("popstate"));
  });
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
});

test("every page passes axe-core and fits a 390 px screen", async ({ page, browser }) => {
  test.setTimeout(300_000);
  const errors = collectErrors(page);
  // signed out first: the sign-in page
  for (const size of [DESKTOP, PHONE]) {
    await page.setViewportSize(size);
    await page.goto("/sign-in");
    await hydrated(page);
    await expectAccessible(page, "/sign-in");
    if (size === PHONE) await expectNothingCutOff(page, "/sign-in");
    await screenshot(page, `sign-in-${size.width}`);
  }
  await page.setViewportSize(DESKTOP);
  await signInAsAdmin(page);
  const users = JSON.parse(await (await api(page, "list_users", { search: "deckhand01" })).text());
  const groups = JSON.parse(await (await api(page, "list_groups", { search: "Crew 01" })).text());
  const pages = [
    "/",
    "/forms",
    `/forms/${pickerForm}/edit`,
    `/forms/${pickerForm}/fill`,
    `/forms/${pickerForm}/fill?preview=1`,
    `/forms/${formWithSubmissions}/submissions`,
    "/dashboards",
    "/change-password",
    "/admin/data-sources",
    "/admin/data-sources/new",
    "/admin/data-sources/new/dropbox",
    `/admin/data-sources/${pickerDataSource}`,
    `/data-sources/${pickerDataSource}/files`,
    `/data-sources/${pickerDataSource}/files?folder=Logs%2FInbound`,
    "/admin/users",
    "/admin/users/new",
    `/admin/users/${users.rows[0].id}`,
    "/admin/groups",
    "/admin/groups/new",
    `/admin/groups/${groups.rows[0].id}`,
    "/no/such/page",
  ];
  for (const path of pages) {
    for (const size of [DESKTOP, PHONE]) {
      await page.setViewportSize(size);
      await page.goto(path);
      await hydrated(page);
      await expect(page.locator("main, .auth-card").first()).toBeVisible();
      await expectAccessible(page, `${path} at ${size.width}px`);
      // icons are SVG: emoji show as empty boxes where no emoji font is installed
      expect(await page.locator("body").innerText(), `${path}: emoji`).not.toMatch(/\p{Extended_Pictographic}/u);
      if (size === PHONE) await expectNothingCutOff(page, path);
      const name = path.replace(/[^a-z0-9]+/gi, "-").replace(/^-|-$/g, "") || "home";
      await screenshot(page, `${name}-${size.width}`);
    }
  }
  // the dialogs too: Security, and the designer's data source chooser
  await page.setViewportSize(PHONE);
  await page.goto(`/admin/data-sources/${pickerDataSource}`);
  await hydrated(page);
  await page.getByRole("button", { name: "Security" }).click();
  await expect(page.getByRole("dialog", { name: "Security" })).toBeVisible();
  await expectAccessible(page, "the Security dialog");
  await expectNothingCutOff(page, "the Security dialog");
  await screenshot(page, "security-dialog-390");
  await page.setViewportSize(DESKTOP);
  expect(errors.filter((e) => !/status of 404/.test(e))).toEqual([]);
  void browser;
});
