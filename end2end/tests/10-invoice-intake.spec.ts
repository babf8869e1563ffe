// "Invoice intake" (issue 16): a designer builds, in the form designer, a form whose File upload field
// saves into the data source folder Invoices/{customer}, with a List of the customer's invoices and two
// Buttons: "Archive" (an Update item rule moving the picked file to Archive/) and "Remove" (a Delete item
// rule). A person uploads a PDF and a 200 MiB file (each with its progress bar; a third upload is
// cancelled half-way), submits and watches the writes reach Done; both files are in Dropbox under
// /Invoices/<customer>/. Archive moves a picked file, Remove deletes one. The submissions list shows each
// write's outcome, the saved files where they went, and a submission that needs attention is retried.
import { test, expect, Page } from "@playwright/test";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { collectErrors, hydrated, signInAsAdmin, toast } from "./helpers";
import {
  connectDataSource,
  deleteInDropbox,
  expectAccessible,
  expectNothingCutOff,
  listInDropbox,
  screenshot,
  seedFile,
} from "./ui";

test.describe.configure({ mode: "serial" });

// Names no other story uses: the suite shares one server (and one sandbox account).
const DATA_SOURCE = "Intake quay";
const CUSTOMER = `Harbour Provisioning Company of the Northern Quays ${Date.now().toString(36)}`;
const PDF = `INV-${Date.now().toString(36)} Harbour Provisioning.pdf`;
const BIG = "Scanned delivery notes, whole quarter.bin";
const MIB = 1024 * 1024;
const BIG_SIZE = 200 * MIB;
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 800 };

let dir = "";
const pdfPath = () => join(dir, PDF);
const bigPath = () => join(dir, BIG);

test.beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "wharf-intake-"));
  writeFileSync(pdfPath(), `%PDF-1.4\n% ${PDF}\n${"invoice line\n".repeat(2000)}%%EOF\n`);
  // Playwright refuses buffers over 50 MB: the file is made on disk, a MiB of random bytes at a time.
  const fd = openSync(bigPath(), "w");
  const chunk = randomBytes(MIB);
  for (let i = 0; i < BIG_SIZE / MIB; i++) {
    chunk.writeUInt32LE(i, 0);
    writeSync(fd, chunk);
  }
  closeSync(fd);
  writeFileSync(join(dir, "slow.bin"), randomBytes(4 * MIB));
});

test.afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function chooseDataSource(d: Page, button: string) {
  await d.getByTestId(button).click();
  const chooser = d.getByTestId("select-datasource");
  await chooser.getByRole("searchbox", { name: "Search data sources" }).fill(DATA_SOURCE);
  await chooser.getByRole("button", { name: new RegExp(`^${DATA_SOURCE}`) }).click();
}

/** The designer builds "Invoice intake" in the form designer and publishes it; returns its id. */
async function designInvoiceIntake(d: Page): Promise<number> {
  await d.goto("/forms");
  await hydrated(d);
  await d.getByTestId("new-form").click();
  await d.getByLabel("Title").fill("Invoice intake");
  await d.getByRole("button", { name: "Create" }).click();
  await expect(d).toHaveURL(/\/forms\/\d+\/edit$/);
  const formId = Number(d.url().split("/").slice(-2)[0]);
  await hydrated(d);

  await d.getByRole("button", { name: "Text", exact: true }).click();
  await d.locator("#prop-title").fill("Customer");
  await d.locator("#prop-required").check();

  // The invoices go to Dropbox, into the customer's folder.
  await d.getByRole("button", { name: "File upload", exact: true }).click();
  await d.locator("#prop-title").fill("Invoice files");
  await expect(d.locator("#prop-name")).toHaveValue("invoice_files");
  await expect(d.getByTestId("save-to-wharf")).toBeChecked();
  await d.getByTestId("save-to-data-source").check();
  await expect(d.getByTestId("field-problems")).toContainText("Choose the data source to save the files in.");
  await chooseDataSource(d, "save-choose-data-source");
  await expect(d.getByTestId("save-data-source")).toHaveText(DATA_SOURCE);
  await d.getByTestId("save-folder").fill("Invoices/{nobody}");
  await expect(d.getByTestId("field-problems")).toContainText("The folder uses “nobody”, which is not a field of this form.");
  await d.getByTestId("save-folder").fill("Invoices/{customer}");
  await expect(d.getByTestId("save-name-original")).toBeChecked();
  // A name taken by someone else's file is not overwritten: the submission then needs attention.
  await d.getByTestId("save-conflict").selectOption({ label: "Fail with a message" });
  await expect(d.getByTestId("field-problems")).toHaveText("");
  await screenshot(d, "intake-save-location-1280");
  await expectAccessible(d, "File upload properties");

  // The customer's invoices, to pick from.
  await d.getByRole("button", { name: "List", exact: true }).click();
  await d.locator("#prop-title").fill("Invoices");
  await d.getByTestId("source-data-source").check();
  const chooser = d.getByTestId("select-datasource");
  await chooser.getByRole("searchbox", { name: "Search data sources" }).fill(DATA_SOURCE);
  await chooser.getByRole("button", { name: new RegExp(`^${DATA_SOURCE}`) }).click();
  await d.locator("#prop-folder").fill(`/Invoices/${CUSTOMER}`);
  await d.locator("#prop-folder").blur();

  for (const name of ["Archive", "Remove"]) {
    await d.getByTestId("add-button-field").click();
    await d.locator("#prop-title").fill(name);
    await d.getByTestId("button-label").fill(name);
  }

  // Archive: Update item moves the picked file to Archive/.
  await d.getByTestId("add-rule").click();
  await d.getByTestId("rule-name").fill("Archive the picked invoice");
  await d.getByTestId("rule-kind").selectOption({ label: "Update item" });
  await expect(d.getByTestId("rule-problems")).toContainText("cannot run when the form opens");
  await d.getByTestId("rule-trigger").selectOption({ label: "When a button is clicked" });
  await d.getByTestId("rule-trigger-field").selectOption("archive");
  await chooseDataSource(d, "write-choose-data-source");
  await expect(d.getByTestId("write-data-source")).toHaveText(DATA_SOURCE);
  await expect(d.getByTestId("write-target-field")).toHaveValue("invoices");
  await expect(d.getByTestId("write-check-rev")).toBeChecked();
  await expect(d.getByTestId("rule-problems")).toContainText("Choose what to change");
  await d.getByTestId("write-move-to").fill("Archive");
  await d.getByTestId("success-message").fill("Invoice archived.");
  await expect(d.getByTestId("rule-problems")).toHaveText("");
  // A path target carries no rev: the check switches off with it.
  await d.getByTestId("write-target").selectOption("path");
  await expect(d.getByTestId("write-check-rev")).not.toBeChecked();
  await expect(d.getByTestId("write-check-rev")).toBeDisabled();
  await expect(d.getByTestId("rule-problems")).toContainText("Write the path of the item.");
  await d.getByTestId("write-target").selectOption("chosen");
  await d.getByTestId("write-check-rev").check();
  await expect(d.getByTestId("rule-problems")).toHaveText("");
  for (const [size, label] of [[DESKTOP, "1280"], [PHONE, "390"]] as const) {
    await d.setViewportSize(size);
    await expectAccessible(d, `Update item editor at ${label}`);
    await expectNothingCutOff(d, "Update item editor");
    await screenshot(d, `intake-update-item-${label}`);
  }
  await d.setViewportSize(DESKTOP);

  // Remove: Delete item deletes the picked file.
  await d.getByTestId("add-rule").click();
  await d.getByTestId("rule-name").fill("Remove the picked invoice");
  await d.getByTestId("rule-kind").selectOption({ label: "Delete item" });
  await d.getByTestId("rule-trigger").selectOption({ label: "When a button is clicked" });
  await d.getByTestId("rule-trigger-field").selectOption("remove");
  await expect(d.getByTestId("delete-folder-help")).toContainText("Deleting a folder removes everything in it.");
  await chooseDataSource(d, "write-choose-data-source");
  await d.getByTestId("success-message").fill("Invoice removed.");
  await expect(d.getByTestId("rule-problems")).toHaveText("");

  // Create item is offered too: a look at its editor, left out of the form.
  await d.getByTestId("add-rule").click();
  await d.getByTestId("rule-name").fill("Note of the intake");
  await d.getByTestId("rule-kind").selectOption({ label: "Create item" });
  await d.getByTestId("rule-trigger").selectOption({ label: "After submit" });
  await chooseDataSource(d, "write-choose-data-source");
  await d.getByTestId("write-content").selectOption("json");
  await expect(d.getByTestId("rule-problems")).toContainText("Write the name of the item to create.");
  await d.getByTestId("write-name").fill("{customer} intake.json");
  await d.getByTestId("write-content-fields").getByLabel("customer").check();
  await expect(d.getByTestId("rule-problems")).toHaveText("");
  for (const [size, label] of [[DESKTOP, "1280"], [PHONE, "390"]] as const) {
    await d.setViewportSize(size);
    await expectAccessible(d, `Create item editor at ${label}`);
    await expectNothingCutOff(d, "Create item editor");
    await screenshot(d, `intake-create-item-${label}`);
  }
  await d.setViewportSize(DESKTOP);
  await d.getByTestId("delete-rule-2").click();
  await d.getByRole("dialog").getByRole("button", { name: "Delete" }).click();
  await expect(d.getByTestId("rule-list").locator("li")).toHaveCount(2);

  await d.getByTestId("publish-form").click();
  await expect(toast(d, "Published as version 1.")).toBeVisible();
  return formId;
}

const names = (entries: { name: string }[]) => entries.map((e) => e.name).sort();

let formId = 0;
let ds = 0;

test("Invoice intake: uploads with progress go to Dropbox after submit; Archive moves and Remove deletes a picked file", async ({
  page,
}) => {
  test.setTimeout(300_000);
  const errors = collectErrors(page);
  await signInAsAdmin(page);
  ds = Number(await connectDataSource(page, DATA_SOURCE));
  formId = await designInvoiceIntake(page);

  await page.goto(`/forms/${formId}/fill`);
  await hydrated(page);
  await page.getByLabel("Customer").fill(CUSTOMER);
  const uploads = page.getByTestId("uploads");
  const files = page.getByLabel("Invoice files");

  // A slow upload shows how far it got and can be cancelled: it is then not submitted.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Network.enable");
  await cdp.send("Network.emulateNetworkConditions", {
    offline: false,
    latency: 0,
    downloadThroughput: -1,
    uploadThroughput: 256 * 1024,
  });
  await files.setInputFiles(join(dir, "slow.bin"));
  const slow = uploads.locator('[data-name="slow.bin"]');
  await expect(slow.getByRole("progressbar", { name: "Sending slow.bin" })).toBeVisible();
  await expect(slow.getByTestId("upload-progress")).toHaveText(/ of 4\.0 MB · ([1-9]|[1-9]\d) %$/, { timeout: 20_000 });
  await slow.getByRole("button", { name: "Cancel slow.bin" }).click();
  await expect(slow).toHaveAttribute("data-state", "cancelled");
  await expect(slow).toContainText("Cancelled");
  await cdp.send("Network.emulateNetworkConditions", { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });

  // The PDF and the 200 MiB file: each bar reaches 100 %.
  await files.setInputFiles([pdfPath(), bigPath()]);
  for (const name of [PDF, BIG]) {
    const row = uploads.locator(`[data-name="${name}"]`);
    await expect(row).toHaveAttribute("data-state", "sent", { timeout: 120_000 });
    await expect(row.getByRole("progressbar", { name: `Sent ${name}` })).toHaveAttribute("value", "100");
    await expect(row.getByTestId("upload-progress")).toContainText("100 %");
  }
  await expect(uploads.locator('[data-name="' + BIG + '"]').getByTestId("upload-progress")).toHaveText("200.0 MB · 100 % · sent");
  for (const [size, label] of [[DESKTOP, "1280"], [PHONE, "390"]] as const) {
    await page.setViewportSize(size);
    await expectAccessible(page, `uploads at ${label}`);
    await expectNothingCutOff(page, "uploads");
    await screenshot(page, `intake-uploads-${label}`);
  }
  await page.setViewportSize(DESKTOP);

  // Submit: the submission is stored at once, the files follow into Dropbox while the person watches.
  await page.getByTestId("submit-form").click();
  await expect(page.getByTestId("submitted")).toContainText("Your answers were recorded");
  const writes = page.getByTestId("writes");
  await expect(writes).toHaveAttribute("role", "status");
  await expect(writes).toHaveAttribute("data-state", "done", { timeout: 120_000 });
  await expect(writes.getByTestId("writes-state")).toHaveText("Done");
  await expect(writes.getByRole("heading")).toHaveText("Saved to Dropbox");
  const steps = writes.getByTestId("write-steps").locator("li");
  await expect(steps).toHaveCount(2);
  for (const state of await steps.evaluateAll((li) => li.map((l) => l.getAttribute("data-state")))) expect(state).toBe("done");
  await expect(writes.getByTestId("write-steps")).toContainText(PDF);
  await expect(writes.getByTestId("write-steps")).toContainText(BIG);
  for (const [size, label] of [[DESKTOP, "1280"], [PHONE, "390"]] as const) {
    await page.setViewportSize(size);
    await expectAccessible(page, `writes done at ${label}`);
    await expectNothingCutOff(page, "writes done");
    await screenshot(page, `intake-writes-done-${label}`);
  }
  await page.setViewportSize(DESKTOP);

  const folder = `/Invoices/${CUSTOMER}`;
  const saved = await listInDropbox(folder);
  expect(names(saved)).toEqual([BIG, PDF].sort());
  expect(saved.find((e) => e.name === BIG)?.size).toBe(BIG_SIZE);
  // The cancelled upload went nowhere.
  expect(saved.map((e) => e.name)).not.toContain("slow.bin");

  // Archive moves the picked PDF to Archive/.
  await page.goto(`/forms/${formId}/fill`);
  await hydrated(page);
  const picked = page.locator('[data-field="invoices"] select');
  await expect(picked.locator("option", { hasText: PDF })).toHaveCount(1);
  await picked.selectOption({ label: PDF });
  await page.getByTestId("button-archive").click();
  await expect(page.getByTestId("rule-message")).toHaveText("Invoice archived.");
  expect(names(await listInDropbox(folder))).toEqual([BIG]);
  expect(names(await listInDropbox("/Archive"))).toContain(PDF);

  // Remove deletes the picked 200 MiB file.
  await page.goto(`/forms/${formId}/fill`);
  await hydrated(page);
  await expect(picked.locator("option", { hasText: BIG })).toHaveCount(1);
  await expect(picked.locator("option", { hasText: PDF })).toHaveCount(0);
  await picked.selectOption({ label: BIG });
  await page.getByTestId("button-remove").click();
  await expect(page.getByTestId("rule-message")).toHaveText("Invoice removed.");
  expect(await listInDropbox(folder)).toEqual([]);

  // The submissions list: the writes' outcome, each step, the files where they were saved.
  await page.goto(`/forms/${formId}/submissions`);
  await hydrated(page);
  const row = page.getByTestId("submissions").locator("tbody tr").first();
  const cell = row.getByTestId("writes-cell");
  await expect(cell).toHaveAttribute("data-state", "done");
  await expect(cell.locator(".badge").first()).toHaveText("Done");
  await cell.locator("summary").filter({ hasText: "2 writes" }).click();
  await expect(cell.getByTestId("write-steps").locator("li")).toHaveCount(2);
  await expect(cell.getByTestId("retry-writes")).toHaveCount(0);
  await expect(row.getByRole("link", { name: PDF })).toHaveAttribute(
    "href",
    new RegExp(`^/data-sources/${ds}/files/download\\?path=`),
  );
  expect(errors).toEqual([]);
});

test("a submission whose file cannot be saved needs attention, and Retry finishes it once the cause is gone", async ({ page }) => {
  test.setTimeout(180_000);
  test.skip(!formId, "needs the form of the first story");
  const errors = collectErrors(page);
  await signInAsAdmin(page);
  // Someone else's file already has the name: the field's On conflict is "Fail with a message".
  const taken = `/Invoices/${CUSTOMER}/${PDF}`;
  await seedFile(taken, { content: "%PDF-1.4 someone else's" });

  await page.goto(`/forms/${formId}/fill`);
  await hydrated(page);
  await page.getByLabel("Customer").fill(CUSTOMER);
  await page.getByLabel("Invoice files").setInputFiles(pdfPath());
  await expect(page.getByTestId("uploads").locator(`[data-name="${PDF}"]`)).toHaveAttribute("data-state", "sent");
  await page.getByTestId("submit-form").click();
  const writes = page.getByTestId("writes");
  await expect(writes).toHaveAttribute("data-state", "needs-attention", { timeout: 120_000 });
  await expect(writes.getByTestId("writes-state")).toHaveText("Needs attention");
  const failed = writes.getByTestId("write-steps").locator('li[data-state="failed"]');
  await expect(failed).toHaveCount(1);
  await expect(failed.locator(".write-step-message")).toContainText("already");
  // The failed step says why, once; the panel says the submission is kept and who can retry.
  await expect(writes.getByTestId("writes-error")).toHaveCount(0);
  await expect(writes.getByTestId("writes-kept")).toContainText("A form designer can retry");
  await screenshot(page, "intake-needs-attention-1280");
  await expectAccessible(page, "writes that need attention");
  await page.setViewportSize(PHONE);
  await expectNothingCutOff(page, "writes that need attention");
  await screenshot(page, "intake-needs-attention-390");
  await page.setViewportSize(DESKTOP);

  await page.goto(`/forms/${formId}/submissions`);
  await hydrated(page);
  const row = page.getByTestId("submissions").locator("tbody tr").first();
  const cell = row.getByTestId("writes-cell");
  await expect(cell).toHaveAttribute("data-state", "needs-attention");
  await expect(cell.getByTestId("writes-error")).not.toBeEmpty();
  for (const [size, label] of [[DESKTOP, "1280"], [PHONE, "390"]] as const) {
    await page.setViewportSize(size);
    await expect(cell).toBeVisible();
    await expectAccessible(page, `submissions with writes at ${label}`);
    await expectNothingCutOff(page, "submissions with writes");
    await screenshot(page, `intake-submissions-${label}`);
  }
  await page.setViewportSize(DESKTOP);

  // The cause goes; Retry finishes the writes, and the list follows them live.
  await deleteInDropbox(taken);
  await cell.getByTestId("retry-writes").click();
  await expect(cell).toHaveAttribute("data-state", "done", { timeout: 120_000 });
  await expect(cell.getByTestId("retry-writes")).toHaveCount(0);
  const saved = await listInDropbox(`/Invoices/${CUSTOMER}`);
  expect(names(saved)).toEqual([PDF]);
  // Only the refusals the story provoked (none reach the console as errors).
  expect(errors).toEqual([]);
});
