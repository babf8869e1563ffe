// `cargo leptos end-to-end` starts the server and the tests at once: wait until it answers.
export default async function globalSetup() {
  const url = `http://${process.env.LEPTOS_SITE_ADDR ?? "127.0.0.1:3000"}/healthz`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {}
    if (Date.now() > deadline) throw new Error(`Wharf at ${url} did not come up within 120 s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
