//! Compiled to wasm: takes over the server-rendered page.

#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    _ = console_log::init_with_level(log::Level::Warn);
    console_error_panic_hook::set_once();
    app::hydrate();
}
