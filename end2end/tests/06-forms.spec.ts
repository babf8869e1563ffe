import { test, expect, Page, Browser } from "@playwright/test";
import { collectErrors, hydrated, revokeGrantOnNextCall, signInAsAdmin, toast } from "./helpers";
import { connectDataSource, createUser, seedFile, signInFirstTime } from "./ui";

// A designer builds a form with a File browser List field on a 2,500-file Dropbox folder and
// publishes it; a person navigates, searches, scrolls to the end (page by page), picks two PDFs (the
// .exe is greyed out), submits; the submission lists both files and downloads one; someone who is
// not a Connection user of the data source is told why the field refuses.
test.describe.configure({ mode: "serial" });

const FILES = 2500;
// A 1×1 PNG, so the sub-folder has a picture with a thumbnail.
const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

/** The Drawings folder: 2,500 PDFs, an .exe, and two sub-folders, in the sandbox's first account. */
async function seedDrawings() {
  const names = Array.from({ length: FILES }, (_, i) => `DRW-${String(i + 1).padStart(5, "0")}.pdf`);
  for (let i = 0; i < names.length; i += 100) {
    await Promise.all(
      names.slice(i, i + 100).map((n) => seedFile(`/Projects/Drawings/${n}`, { content: `%PDF-1.4 ${n}` })),
    );
  }
  await seedFile("/Projects/Drawings/installer.exe", { content: "MZ not a drawing" });
  await seedFile("/Projects/Drawings/2025/Site plan.pdf", { content: "%PDF-1.4 site plan" });
  await seedFile("/Projects/Drawings/2025/site.png", { content_base64: PNG });
  await seedFile("/Projects/Drawings/Archive", { folder: true });
  await seedFile("/Projects/Secret/payroll.pdf", { content: "%PDF-1.4 payroll" });
}

test("a File browser List field on a 2,500-file folder, from design to downloaded submission", async ({ page, browser }) => {
  test.setTimeout(240_000);
  const adminErrors = collectErrors(page);
  await seedDrawings();
  await signInAsAdmin(page);

  // A connected data source whose Connection users are Dana (designer) and Uma; Olaf is not one.
  const ds = await connectDataSource(page, "Projects");
  const dana = await createUser(page, "dana", ["DesignBusinessProcess"]);
  const uma = await createUser(page, "uma", ["User"]);
  await createUser(page, "olaf", ["User"]);
  const secured = await page.request.post("/api/save_data_source_security", {
    form: { id: ds, "users[0][User]": String(dana), "users[1][User]": String(uma), read_only: "false" },
    headers: { Accept: "application/json" },
  });
  expect(secured.status()).toBe(200);

  // Dana designs the form.
  const designer = await signInFirstTime(browser, "dana");
  const d = designer.page;
  await d.goto("/forms");
  await hydrated(d);
  await d.getByTestId("new-form").click();
  await d.getByLabel("Title").fill("Drawing review");
  await d.getByRole("button", { name: "Create" }).click();
  await expect(d).toHaveURL(/\/forms\/\d+\/edit$/);
  const formId = d.url().split("/").slice(-2)[0];
  await hydrated(d);
  await d.getByRole("button", { name: "Text", exact: true }).click();
  await d.locator("#prop-title").fill("Reviewer note");
  await expect(d.locator("#prop-name")).toHaveValue("reviewer_note");
  await d.getByRole("button", { name: "List", exact: true }).click();
  await d.locator("#prop-title").fill("Drawings");
  await d.locator("#prop-required").check();
  await d.getByTestId("source-data-source").check();
  const chooser = d.getByTestId("select-datasource");
  await chooser.getByRole("button", { name: /Projects/ }).click();
  await expect(d.getByTestId("chosen-data-source")).toHaveText("Projects");
  await d.getByRole("button", { name: "Choose…" }).click();
  const folders = d.getByTestId("choose-folder");
  await folders.getByRole("button", { name: /Projects/ }).click();
  await folders.getByRole("button", { name: /Drawings/ }).click();
  await folders.getByRole("button", { name: "Use this folder" }).click();
  await expect(d.locator("#prop-folder")).toHaveValue("/Projects/Drawings");
  await d.locator("#prop-extensions").fill("PDF");
  await d.locator("#prop-extensions").blur();
  await d.locator("#prop-format").selectOption("browser");
  await d.getByRole("button", { name: "File upload", exact: true }).click();
  await d.locator("#prop-title").fill("Supporting notes");
  // A second List on the same data source, shown as a drop-down with a "contains" filter.
  await d.getByRole("button", { name: "List", exact: true }).click();
  await d.locator("#prop-title").fill("Cover sheet");
  await d.getByTestId("source-data-source").check();
  await chooser.getByRole("button", { name: /Projects/ }).click();
  await d.locator("#prop-folder").fill("/Projects/Drawings/2025");
  await d.locator("#prop-folder").blur();
  await d.locator("#prop-format").selectOption("dropdown-contains");
  // Reordered: the files first, the note after.
  await d.getByRole("button", { name: "Move Drawings up" }).click();
  await expect(d.getByTestId("field-list").locator("li").first()).toHaveAttribute("data-field", "drawings");
  await d.getByTestId("publish-form").click();
  await expect(toast(d, "Published as version 1.")).toBeVisible();
  await expect(d.getByTestId("form-status")).toHaveText("Published (v1)");
  // Preview shows the saved draft, through the same picker.
  await d.getByTestId("preview-form").click();
  await expect(d.getByTestId("preview-notice")).toBeVisible();
  await expect(d.getByTestId("file-picker").getByTestId("picker-loaded")).toHaveText(/^200 items loaded/);

  // Olaf, not a Connection user of Projects, is told why the field refuses.
  const outsider = await signInFirstTime(browser, "olaf");
  await outsider.page.goto(`/forms/${formId}/fill`);
  await hydrated(outsider.page);
  // Both List fields on Projects refuse, each with the reason.
  await expect(outsider.page.getByTestId("field-refused")).toHaveCount(2);
  await expect(outsider.page.locator('[data-field="drawings"]').getByTestId("field-refused")).toHaveText(
    /You are not one of the connection users of this data source/,
  );
  await outsider.context.close();

  // Uma fills it in.
  const person = await signInFirstTime(browser, "uma");
  const u = person.page;
  await u.goto("/forms");
  await hydrated(u);
  await u.getByTestId("published-forms").getByRole("link", { name: "Drawing review" }).click();
  await expect(u).toHaveURL(new RegExp(`/forms/${formId}/fill$`));
  await hydrated(u);
  const picker = u.getByTestId("file-picker");
  const list = picker.getByTestId("picker-list");
  await expect(picker.getByTestId("picker-loaded")).toHaveText(/^200 items loaded \(1 page\)/);
  await expect(list.locator(".pick")).toHaveCount(200);

  // The .exe is greyed out with the reason and cannot be chosen.
  await picker.getByRole("searchbox", { name: "Search files by name" }).fill("installer");
  await picker.getByRole("button", { name: "Search", exact: true }).click();
  const exe = list.locator('.pick[data-name="installer.exe"]');
  await expect(exe).toHaveAttribute("aria-disabled", "true");
  await expect(exe).toContainText("Only .pdf files can be chosen here.");
  // (Playwright will not click what is marked disabled unless forced; a person can click it.)
  await exe.click({ force: true });
  await expect(picker.getByTestId("picker-count")).toHaveText("Nothing selected");

  // Search on the server, inside the field's folder only.
  await picker.getByRole("searchbox", { name: "Search files by name" }).fill("DRW-0249");
  await picker.getByRole("button", { name: "Search", exact: true }).click();
  await expect(list.locator(".pick")).toHaveCount(10);
  await picker.getByRole("searchbox", { name: "Search files by name" }).fill("payroll");
  await picker.getByRole("button", { name: "Search", exact: true }).click();
  await expect(picker.getByTestId("picker-empty")).toHaveText("No files match “payroll”.");
  await picker.getByRole("button", { name: "Clear search" }).click();

  // Into a sub-folder (a picture there has a thumbnail) and back by the breadcrumbs; grid view.
  await list.locator('.pick[data-name="2025"]').click();
  await expect(list.locator(".pick")).toHaveCount(2);
  const thumb = list.locator('.pick[data-name="site.png"] img.thumb');
  await expect(thumb).toBeVisible();
  await expect.poll(() => thumb.evaluate((img: HTMLImageElement) => img.naturalWidth)).toBeGreaterThan(0);
  await picker.getByRole("button", { name: "Grid", exact: true }).click();
  await expect(list).toHaveClass(/grid/);
  await picker.getByRole("button", { name: "List", exact: true }).click();
  // the breadcrumbs start at the field's folder
  await expect(picker.getByTestId("picker-breadcrumbs")).toHaveText(/^Drawings\s*\/\s*2025$/);
  await picker.getByTestId("picker-breadcrumbs").getByRole("button", { name: "Drawings" }).click();
  await expect(picker.getByTestId("picker-loaded")).toHaveText(/^200 items loaded/);

  // Scroll to the end: pages arrive one by one on Dropbox's cursor.
  const seen = new Set<string>();
  for (let i = 0; i < 40; i++) {
    const status = (await picker.getByTestId("picker-loaded").textContent()) ?? "";
    seen.add(status.split(" ·")[0]);
    if (/^\d+ items$/.test(status)) break;
    await picker.getByTestId("picker-scroll").evaluate((el) => (el.scrollTop = el.scrollHeight));
    await u.waitForTimeout(150);
  }
  await expect(picker.getByTestId("picker-loaded")).toHaveText(`${FILES + 3} items`);
  expect([...seen].filter((s) => /\(\d+ pages?\)$/.test(s)).length).toBeGreaterThanOrEqual(12);
  await expect(list.locator(".pick")).toHaveCount(FILES + 3);

  // Two PDFs: one by mouse, the next by keyboard (arrow down, space).
  await list.locator('.pick[data-name="DRW-00001.pdf"]').click();
  await list.press("ArrowDown");
  await list.press(" ");
  await expect(picker.getByTestId("picker-count")).toHaveText("2 selected");
  await u.getByLabel("Filter the options").fill("plan");
  await u.locator("#f-cover_sheet").selectOption({ label: "Site plan.pdf" });
  await u.getByLabel("Reviewer note").fill("Both look right.");
  await u.getByLabel("Supporting notes").setInputFiles({
    name: "site notes.txt",
    mimeType: "text/plain",
    buffer: Buffer.from("Checked on site."),
  });
  await expect(u.getByTestId("uploads").locator('.upload.sent[data-name="site notes.txt"]')).toBeVisible();
  await u.getByTestId("submit-form").click();
  await expect(u.getByTestId("submitted")).toContainText("Your answers were recorded");

  // Dana reads the submission: both files with path and size, one downloaded through Wharf.
  await d.goto(`/forms/${formId}/submissions`);
  await hydrated(d);
  const row = d.getByTestId("submissions").locator("tbody tr").first();
  await expect(row).toContainText("Uma");
  // Two drawings, the uploaded notes and the cover sheet.
  await expect(row.locator(".submitted-file")).toHaveCount(4);
  await expect(row).toContainText("Site plan.pdf");
  await expect(row.locator(".submitted-file").first()).toContainText("DRW-00001.pdf");
  await expect(row.locator(".submitted-file").first()).toContainText("/Projects/Drawings/DRW-00001.pdf");
  await expect(row.locator(".submitted-file").nth(1)).toContainText("DRW-00002.pdf");
  await expect(row.getByRole("link", { name: "site notes.txt" })).toBeVisible();
  const downloading = d.waitForEvent("download");
  await row.getByRole("link", { name: "DRW-00001.pdf" }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toBe("DRW-00001.pdf");
  const stream = await download.createReadStream();
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  expect(Buffer.concat(chunks).toString()).toBe("%PDF-1.4 DRW-00001.pdf");

  // The account owner disconnects Wharf in Dropbox: the picker says so and what to do.
  await revokeGrantOnNextCall("files/list_folder");
  await u.goto(`/forms/${formId}/fill`);
  await hydrated(u);
  await expect(picker.getByTestId("picker-error")).toContainText("Reconnect the data source");
  await expect(picker.getByTestId("reconnect-hint")).toBeVisible();

  await person.context.close();
  await designer.context.close();
  // The refused listing (502) is the server answering as designed.
  expect(person.errors.filter((e) => !/status of 502/.test(e))).toEqual([]);
  expect(designer.errors).toEqual([]);
  expect(adminErrors).toEqual([]);
});
