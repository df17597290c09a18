//! The Worker's global allocator: talc instead of Rust's default dlmalloc for wasm32, which
//! is several kilobytes larger in the bundle every cold start downloads and instantiates.
//!
//! A Worker isolate runs its wasm on one thread (the module is built without the `atomics`
//! target feature), which is the case talc's unsynchronised `TalcSyncCell` is sound for; the
//! `cfg` keeps it from being chosen for a threaded build.

#[cfg(not(target_feature = "atomics"))]
#[global_allocator]
static TALC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();
