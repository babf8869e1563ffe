import { test, expect, Browser, Page } from "@playwright/test";
import { collectErrors, hydrated, signInAsAdmin, toast } from "./helpers";
import { apiJson, api, connectDataSource, createUser, expectAccessible, expectNothingCutOff, screenshot, seedFile, signInFirstTime } from "./ui";

// "Invoice lookup" (issue 15): a designer builds, in the form designer, a form with a Customer text
// field, a Button "Find invoices" and a Table fed by a Find items rule (Name contains {Customer},
// sorted by Name) over a Dropbox folder holding several customers' invoices — more than one page of
// the table — and publishes it. A person fills in the customer (a Change rule fills in a reference
// once they stop typing), clicks the button, pages through the table (the second page comes from the
// server only then), downloads an invoice through Wharf and submits; the submissions page shows the
// table. The fill page and the submissions pass axe-core and fit 1280 and 390 px.
test.describe.configure({ mode: "serial" });

const FOLDER = "/Harbour/Invoices";
const CUSTOMERS: [string, number][] = [
  ["Acme Ltd", 27],
  ["Baltic Shipping", 9],
  ["Coastal Freight", 6],
];
const PAGE_SIZE = 20;
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

const invoiceName = (customer: string, n: number) => `${customer} INV-${String(n).padStart(3, "0")}.pdf`;
// Sizes differ per file, so the Size column says something.
const invoiceContent = (name: string, n: number) => `%PDF-1.4 ${name} ${"x".repeat(n * 10)}`;

async function seedInvoices() {
  const files: [string, string][] = [];
  for (const [customer, count] of CUSTOMERS) {
    for (let n = 1; n <= count; n++) {
      const name = invoiceName(customer, n);
      files.push([name, invoiceContent(name, n)]);
    }
  }
  // Not an invoice of anyone's, and in a sub-folder the rule does not look into.
  files.push(["Price list.pdf", "%PDF-1.4 prices"]);
  await Promise.all(files.map(([name, content]) => seedFile(`${FOLDER}/${name}`, { content })));
  await seedFile(`${FOLDER}/Archive/Acme Ltd INV-000.pdf`, { content: "%PDF-1.4 archived" });
}

const fieldOf = (title: string, name: string, kind: unknown, required = false) => ({
  title,
  name,
  help: "",
  required,
  enabled: true,
  visible: true,
  kind,
});

/** A designer builds "Invoice lookup" in the form designer and publishes it; returns the form's id. */
async function designInvoiceLookup(d: Page, dataSource: string): Promise<number> {
  await d.goto("/forms");
  await hydrated(d);
  await d.getByTestId("new-form").click();
  await d.getByLabel("Title").fill("Invoice lookup");
  await d.getByRole("button", { name: "Create" }).click();
  await expect(d).toHaveURL(/\/forms\/\d+\/edit$/);
  const formId = Number(d.url().split("/").slice(-2)[0]);
  await hydrated(d);

  // Fields: the names follow the titles.
  await d.getByRole("button", { name: "Text", exact: true }).click();
  await d.locator("#prop-title").fill("Customer");
  await d.locator("#prop-required").check();
  await d.getByRole("button", { name: "Text", exact: true }).click();
  await d.locator("#prop-title").fill("Reference");
  await d.getByTestId("add-button-field").click();
  await d.locator("#prop-title").fill("Find invoices");
  await d.getByTestId("button-label").fill("Find invoices");
  await d.getByTestId("add-table-field").click();
  await d.locator("#prop-title").fill("Invoices");
  await expect(d.locator("#prop-name")).toHaveValue("invoices");
  await d.locator("#prop-required").check();
  const columns: [string, string][] = [
    ["Name", "Text"],
    ["Modified", "Date"],
    ["Size", "Number"],
    ["File", "File"],
  ];
  // A new table comes with one column; the others are added.
  for (const [j, [title, kind]] of columns.entries()) {
    if (j > 0) await d.getByTestId("add-column").click();
    await d.getByTestId(`column-title-${j}`).fill(title);
    await d.getByTestId(`column-kind-${j}`).selectOption(kind);
  }
  await d.getByTestId("table-page-size").fill(String(PAGE_SIZE));
  await d.getByTestId("table-page-size").blur();

  // Rule 1: the reference follows the customer.
  await d.getByTestId("add-rule").click();
  await d.getByTestId("rule-name").fill("Reference from the customer");
  await d.getByTestId("rule-kind").selectOption({ label: "Set form field" });
  await d.getByTestId("rule-trigger").selectOption({ label: "When a field changes" });
  await d.getByTestId("rule-trigger-field").selectOption("customer");
  await d.getByTestId("set-add").click();
  await d.getByTestId("set-0-field").selectOption("reference");
  await d.getByTestId("set-0-value-source").selectOption("template");
  await d.getByTestId("set-0-value").fill("Invoices of {customer}");

  // Rule 2: the button finds the customer's invoices into the table.
  await d.getByTestId("add-rule").click();
  await d.getByTestId("rule-name").fill("Find the customer's invoices");
  await d.getByTestId("rule-kind").selectOption({ label: "Find items" });
  await d.getByTestId("rule-trigger").selectOption({ label: "When a button is clicked" });
  await d.getByTestId("rule-trigger-field").selectOption("find_invoices");
  // Runs only with a customer: the browser does not even ask the server without one.
  await d.getByTestId("add-condition-group").click();
  await d.getByTestId("cond-0-0-field").selectOption("customer");
  await d.getByTestId("cond-0-0-operator").selectOption("is-not-empty");
  await d.getByTestId("find-choose-data-source").click();
  const chooser = d.getByTestId("select-datasource");
  // Other specs leave many data sources behind: search for this one.
  await chooser.getByRole("searchbox", { name: "Search data sources" }).fill(dataSource);
  await chooser.getByRole("button", { name: new RegExp(`^${dataSource}`) }).click();
  await expect(d.getByTestId("find-data-source")).toHaveText(dataSource);
  await d.getByTestId("find-folder").fill(FOLDER.slice(1));
  await d.getByTestId("add-filter").click();
  await d.getByTestId("filter-0-parameter").selectOption("Name");
  await d.getByTestId("filter-0-operator").selectOption("contains");
  await d.getByTestId("filter-0-value-source").selectOption("template");
  await d.getByTestId("filter-0-value").fill("{customer}");
  await d.getByTestId("find-sort").selectOption("Name");
  await d.getByTestId("find-to-table").check();
  await d.getByTestId("table-field").selectOption("invoices");
  for (const [column, parameter] of [
    ["name", "Name"],
    ["modified", "Modified"],
    ["size", "Size"],
    ["file", "Path"],
  ]) {
    await d.getByTestId(`column-param-${column}`).selectOption(parameter);
  }
  await d.getByTestId("nomatch-clear").check();
  await d.getByTestId("nomatch-message").fill("No invoices of {customer}.");

  await d.getByTestId("publish-form").click();
  await expect(toast(d, "Published as version 1.")).toBeVisible();
  return formId;
}

test("Invoice lookup: a Button runs Find items into a paged Table, which is downloaded from and submitted", async ({
  page,
  browser,
}) => {
  test.setTimeout(240_000);
  const adminErrors = collectErrors(page);
  await seedInvoices();
  await signInAsAdmin(page);
  const ds = Number(await connectDataSource(page, "Invoice archive"));
  await createUser(page, "ines", ["User"]);

  const formId = await designInvoiceLookup(page, "Invoice archive");

  const person = await signInFirstTime(browser, "ines");
  const u = person.page;
  const runs: string[] = [];
  const pages: string[] = [];
  u.on("request", (r) => {
    if (r.url().endsWith("/api/run_rules")) runs.push(r.postData() ?? "");
    if (r.url().endsWith("/api/next_table_page")) pages.push(r.postData() ?? "");
  });
  await u.goto(`/forms/${formId}/fill`);
  await hydrated(u);
  const table = u.getByTestId("table-invoices");
  await expect(table.getByTestId("table-empty")).toBeVisible();

  // Without a customer the button's rule does not hold: nothing is asked, nothing changes.
  await u.getByRole("button", { name: "Find invoices" }).click();
  await u.waitForTimeout(300);
  expect(runs).toEqual([]);

  // Typing the customer runs the Change rule once, after the person stops typing.
  await u.getByLabel("Customer").pressSequentially("Acme", { delay: 60 });
  await expect(u.getByLabel("Reference")).toHaveValue("Invoices of Acme");
  expect(runs.length).toBe(1);
  expect(JSON.parse(runs[0]).event).toEqual({ Change: { field: "customer" } });

  // The button: the customer's invoices, sorted by name, the first page of them.
  await u.getByRole("button", { name: "Find invoices" }).click();
  const acme = Array.from({ length: 27 }, (_, i) => invoiceName("Acme Ltd", i + 1));
  const rows = table.locator("tbody tr");
  await expect(rows).toHaveCount(PAGE_SIZE);
  await expect(rows.first().locator("td").first()).toHaveText(acme[0]);
  await expect(rows.nth(PAGE_SIZE - 1).locator("td").first()).toHaveText(acme[PAGE_SIZE - 1]);
  await expect(table.getByTestId("pager-range")).toHaveText(`1–${PAGE_SIZE} of more than ${PAGE_SIZE}`);
  // The Modified column shows a time, the Size the bytes, the File a link through Wharf.
  await expect(rows.first().locator("time")).toHaveCount(1);
  await expect(rows.first().locator("td").nth(2)).toHaveText(String(invoiceContent(acme[0], 1).length));
  await expect(rows.first().getByRole("link", { name: acme[0] })).toHaveAttribute(
    "href",
    new RegExp(`^/data-sources/${ds}/files/download\\?path=`),
  );
  expect(pages).toEqual([]);

  // The next page comes from the server now, and only now.
  const pager = table.getByRole("navigation", { name: "Pages of Invoices" });
  await pager.getByRole("button", { name: "Next" }).click();
  await expect(table.getByTestId("pager-range")).toHaveText(`21–27 of 27`);
  await expect(rows).toHaveCount(27 - PAGE_SIZE);
  await expect(rows.first().locator("td").first()).toHaveText(acme[PAGE_SIZE]);
  await expect(rows.last().locator("td").first()).toHaveText(acme[26]);
  await expect(pager.getByRole("button", { name: "Next" })).toBeDisabled();
  expect(pages.length).toBe(1);
  await expect(table).not.toContainText("INV-000");
  await expect(table).not.toContainText("Baltic");

  // Back and forth uses the rows held.
  await pager.getByRole("button", { name: "Previous" }).click();
  await expect(table.getByTestId("pager-range")).toHaveText(`1–20 of 27`);
  await pager.getByRole("button", { name: "Next" }).click();
  await expect(table.getByTestId("pager-range")).toHaveText(`21–27 of 27`);
  expect(pages.length).toBe(1);

  // A download through Wharf: the invoice itself.
  const downloading = u.waitForEvent("download");
  await rows.last().getByRole("link", { name: acme[26] }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe(acme[26]);
  const chunks: Buffer[] = [];
  for await (const c of await download.createReadStream()) chunks.push(c as Buffer);
  expect(Buffer.concat(chunks).toString()).toBe(invoiceContent(acme[26], 27));

  // The page passes axe-core and fits a desktop and a phone, table included.
  for (const [size, label] of [[DESKTOP, "1280"], [PHONE, "390"]] as const) {
    await u.setViewportSize(size);
    await expect(rows.first()).toBeVisible();
    await expectAccessible(u, `fill page at ${label}`);
    await expectNothingCutOff(u, "fill page");
    await screenshot(u, `invoice-lookup-fill-${label}`);
  }
  await u.setViewportSize(DESKTOP);

  // Nobody matches: the rule says so and the table is emptied.
  await u.getByLabel("Customer").fill("Nobody");
  await u.getByRole("button", { name: "Find invoices" }).click();
  await expect(u.getByTestId("rule-message")).toContainText("No invoices of Nobody.");
  await expect(table.getByTestId("table-empty")).toBeVisible();

  // Another customer, then submit: the table's rows go with the submission.
  await u.getByLabel("Customer").fill("Baltic");
  await u.getByRole("button", { name: "Find invoices" }).click();
  await expect(rows).toHaveCount(9);
  await expect(u.getByTestId("rule-message")).toHaveCount(0);
  await expect(table.getByRole("navigation")).toHaveCount(0);
  await expect(u.getByLabel("Reference")).toHaveValue("Invoices of Baltic");
  await u.getByTestId("submit-form").click();
  await expect(u.getByTestId("submitted")).toContainText("Your answers were recorded");

  // The submissions page shows the table, files downloadable.
  await page.goto(`/forms/${formId}/submissions`);
  await hydrated(page);
  const row = page.getByTestId("submissions").locator("tbody tr").first();
  await expect(row).toContainText("Ines");
  // The rows sit behind "9 rows" so a long table never makes the list a page per submission.
  const submitted = row.getByTestId("submitted-table");
  await expect(submitted).toBeHidden();
  await row.getByTestId("submitted-rows").locator("summary").filter({ hasText: "9 rows" }).click();
  await expect(submitted.locator("tbody tr")).toHaveCount(9);
  // Titled and ordered as the designer made the columns.
  await expect(submitted.locator("thead th")).toHaveText(["Name", "Modified", "Size", "File"]);
  await expect(submitted.getByRole("link", { name: invoiceName("Baltic Shipping", 1) })).toHaveAttribute(
    "href",
    new RegExp(`^/data-sources/${ds}/files/download\\?path=`),
  );
  for (const [size, label] of [[DESKTOP, "1280"], [PHONE, "390"]] as const) {
    await page.setViewportSize(size);
    await expect(submitted).toBeVisible();
    await expectAccessible(page, `submissions at ${label}`);
    await expectNothingCutOff(page, "submissions");
    await screenshot(page, `invoice-lookup-submissions-${label}`);
  }

  await person.context.close();
  expect(person.errors).toEqual([]);
  expect(adminErrors).toEqual([]);
});

test("rules run when the form opens and as fields change, never in a loop; an editable Table is submitted", async ({ page }) => {
  test.setTimeout(120_000);
  const errors = collectErrors(page);
  await signInAsAdmin(page);
  const setField = (field: string, template: string) => ({
    SetField: { assignments: [{ field, value: { Template: template } }] },
  });
  const rule = (id: string, name: string, trigger: unknown, action: unknown) => ({
    id,
    name,
    enabled: true,
    trigger,
    conditions: { combine: "And", groups: [] },
    action,
  });
  const definition = {
    fields: [
      fieldOf("Opened on", "opened", "Date"),
      fieldOf("First", "first", "Text"),
      fieldOf("Second", "second", "Text"),
      fieldOf("Note", "note", "Text"),
      fieldOf(
        "Lines",
        "lines",
        {
          Table: {
            columns: [
              { name: "item", title: "Item", kind: "Text" },
              { name: "qty", title: "Quantity", kind: "Number" },
              { name: "due", title: "Due", kind: "Date" },
            ],
            editable: true,
            page_size: 2,
          },
        },
        true,
      ),
    ],
    rules: [
      rule("r1", "Opened today", "Load", setField("opened", "{@today}")),
      rule("r2", "Welcome", "Load", { ShowMessage: { text: "Welcome, {@user.name}.", level: "Info" } }),
      // Each field sets the other: the chain stops where it began.
      rule("r3", "Second from first", { Change: { field: "first" } }, setField("second", "{first}!")),
      rule("r4", "First from second", { Change: { field: "second" } }, setField("first", "{second}")),
      {
        ...rule("r5", "Hold", "BeforeSubmit", { ShowMessage: { text: "Held: {note}", level: "Error" } }),
        conditions: {
          combine: "And",
          groups: [{ combine: "And", comparisons: [{ field: "note", operator: "Equals", value: { Text: "hold" } }] }],
        },
      },
      rule("r6", "Thanks", "AfterSubmit", { ShowMessage: { text: "Thank you, {@user.name}.", level: "Info" } }),
    ],
  };
  const formId = Number(await (await api(page, "create_form", { title: "Order lines" })).text());
  await apiJson(page, "save_form", { id: formId, title: "Order lines", draft: definition });
  await api(page, "publish_form", { id: String(formId) });

  const runs: string[] = [];
  page.on("request", (r) => {
    if (r.url().endsWith("/api/run_rules")) runs.push(JSON.parse(r.postData() ?? "{}").event);
  });
  await page.goto(`/forms/${formId}/fill`);
  await hydrated(page);
  // One call for both rules of the form opening.
  await expect(page.getByLabel("Opened on")).toHaveValue(new Date().toISOString().slice(0, 10));
  await expect(page.getByTestId("rule-message")).toHaveText("Welcome, Administrator.");
  expect(runs).toEqual(["Load"]);

  await page.getByLabel("First").fill("Dock 4");
  await expect(page.getByLabel("Second")).toHaveValue("Dock 4!");
  await expect(page.getByLabel("First")).toHaveValue("Dock 4!");
  await page.waitForTimeout(1000);
  expect(runs).toEqual(["Load", { Change: { field: "first" } }, { Change: { field: "second" } }]);

  // A required Table needs a row.
  await page.getByTestId("submit-form").click();
  await expect(page.locator('[data-field="lines"]')).toContainText("Lines needs at least one row.");

  const lines = page.getByTestId("table-lines");
  for (const [i, [item, qty, due]] of [
    ["Rope", "3", "2026-12-24"],
    ["Wrong", "1", ""],
    ["Fenders", "12", "2027-01-05"],
  ].entries()) {
    await lines.getByTestId("add-row").click();
    await lines.getByLabel(`Item, row ${i + 1}`).fill(item);
    await lines.getByLabel(`Quantity, row ${i + 1}`).fill(qty);
    if (due) await lines.getByLabel(`Due, row ${i + 1}`).fill(due);
  }
  // The browser's complaint went as soon as the table changed.
  await expect(page.locator('[data-field="lines"]')).not.toContainText("needs at least one row");
  // Two rows a page: the third is on the second page, where adding took the person.
  await expect(lines.getByTestId("pager-range")).toHaveText("3–3 of 3");
  await lines.getByRole("button", { name: "Previous" }).click();
  await lines.getByRole("button", { name: "Remove row 2" }).click();
  await expect(lines.getByTestId("pager-range")).toHaveCount(0);
  await expect(lines.locator("tbody tr")).toHaveCount(2);
  await expect(lines.getByLabel("Item, row 2")).toHaveValue("Fenders");
  for (const [size, label] of [[PHONE, "390"], [DESKTOP, "1280"]] as const) {
    await page.setViewportSize(size);
    await expect(lines.getByLabel("Item, row 1")).toBeVisible();
    await expectAccessible(page, `editable table at ${label}`);
    await expectNothingCutOff(page, "editable table");
    await screenshot(page, `editable-table-${label}`);
  }
  // A Before submit rule refuses with its message; nothing is lost.
  await page.getByLabel("Note").fill("hold");
  await page.getByTestId("submit-form").click();
  await expect(page.getByTestId("form-problem")).toHaveText("Held: hold");
  await expect(lines.locator("tbody tr")).toHaveCount(2);
  await page.getByLabel("Note").fill("");
  await page.getByTestId("submit-form").click();
  await expect(page.getByTestId("submitted")).toContainText("Your answers were recorded");
  await expect(page.getByTestId("after-submit-message")).toHaveText("Thank you, Administrator.");

  const list = JSON.parse(await (await api(page, "list_submissions", { id: String(formId) })).text());
  expect(list.rows[0].values.lines).toEqual({
    Table: [
      { item: { Text: "Rope" }, qty: { Number: 3 }, due: { Date: "2026-12-24" } },
      { item: { Text: "Fenders" }, qty: { Number: 12 }, due: { Date: "2027-01-05" } },
    ],
  });
  expect(list.rows[0].values.first).toEqual({ Text: "Dock 4!" });

  // A run that fails (here: the session ended meanwhile) says why and changes nothing.
  await page.goto(`/forms/${formId}/fill`);
  await hydrated(page);
  await expect(page.getByTestId("rule-message")).toHaveText("Welcome, Administrator.");
  const signedOut = await page.request.post("/api/sign_out", { headers: { Accept: "application/json" } });
  expect(signedOut.status()).toBe(200);
  await page.getByLabel("First").fill("Quay 9");
  await expect(page.getByTestId("rule-failure")).toHaveText("Your session has ended. Sign in again to continue.");
  await expect(page.getByLabel("Second")).toHaveValue("");
  await expect(page.getByLabel("First")).toHaveValue("Quay 9");
  // The refusals (422, 401) are the server answering as designed.
  expect(errors).toEqual([]);
});
