//! The global allocator of the static musl build, which the images carry: mimalloc. musl's own malloc
//! serialises every allocation and free on one lock, which cost the shipped binary throughput and tail latency
//! against the glibc build (docs/benchmarks.md, "The musl build"). glibc builds keep glibc's allocator.

#[cfg(all(target_env = "musl", not(feature = "system-allocator")))]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;
