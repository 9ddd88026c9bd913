//! What the static musl build, which the images carry, takes from elsewhere than musl: the global allocator,
//! mimalloc, and on x86_64 `memcpy` and `memmove` (crates/musl-memcpy). musl's own malloc
//! serialises every allocation and free on one lock, which cost the shipped binary throughput and tail latency
//! against the glibc build (docs/benchmarks.md, "The musl build"). glibc builds keep glibc's allocator.

#[cfg(all(target_env = "musl", not(feature = "system-allocator")))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

// Naming the crate is what makes rustc link it; its `memcpy`, `memmove` and `__memcpy_fwd` symbols then come
// before musl's libc.a in the link, so musl's objects for them are never pulled in (see the crate's docs).
#[cfg(all(target_env = "musl", target_arch = "x86_64"))]
use musl_memcpy as _;
