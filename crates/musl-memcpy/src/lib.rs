//! `memcpy` and `memmove` for the static x86_64 musl build the images carry, linked ahead of musl's own.
//!
//! Why: musl's x86_64 `memcpy` (`src/string/x86_64/memcpy.s`) always starts `rep movsq`, even for a count of
//! zero, and finishes with a byte loop. Starting a `rep` instruction costs tens of cycles, and the services copy
//! a few bytes at a time: serde_json and `fmt` append each token of an answer or a log line to a `Vec`, and a
//! uprobe on musl's `memcpy` in the backend counted 84% of the calls shorter than 8 bytes (median 1). That
//! made musl's `memcpy` 40% of the musl backend's CPU samples and the shipped build about half as fast as the
//! glibc one on the task lists (docs/benchmarks.md, "The musl build and its allocator"). musl's `memmove` is no
//! better: forwards it jumps into that `memcpy`, backwards it runs `std; rep movsb`, one byte at a time.
//!
//! What: a copy that takes a handful of instructions for the sizes that matter here, the way glibc's and
//! LLVM libc's x86_64 copies do it. Up to 64 bytes, two to four possibly overlapping unaligned loads (the
//! first and last 1, 2, 4, 8 or 16 bytes of the range) and then the stores, with no loop. Up to 2 KiB a loop
//! of 64 bytes (four SSE2 registers) per step, the last 64 bytes loaded before the loop. From 2 KiB on
//! `rep movsb`, whose start-up is paid back there on any CPU with ERMSB (Intel since Ivy Bridge, AMD since
//! Zen); glibc switches at the same size for 16-byte vectors (`rep_movsb_threshold`). Only SSE2 is used,
//! which every x86_64 CPU has, so the binary runs where it ran before.
//!
//! How it gets linked (`ar t` / `nm` on the musl target's self-contained `libc.a`): `memcpy.lo` defines
//! `memcpy` and `__memcpy_fwd`, and `memmove.lo` defines `memmove` and calls `__memcpy_fwd`. An archive member
//! is pulled into a static link only for a symbol still undefined when the linker reaches it, and `libc.a`
//! comes after every Rust object. This crate defines all three symbols, so neither object is ever pulled in:
//! defining only `memcpy` would let `memmove.lo` pull `memcpy.lo` in for `__memcpy_fwd` and define `memcpy`
//! twice. service-kit links the crate into both services (`use musl_memcpy as _`), only on the musl target;
//! on any other target the functions are ordinary Rust functions under mangled names that only this crate's
//! tests call, and the glibc builds do not depend on the crate at all.
//!
//! `#![no_builtins]`: without it LLVM may recognise a copy loop (or a large fixed-size copy) as a `memcpy`
//! and emit a call to `memcpy`, that is to this function, forever. The workspace's Cargo.toml also builds
//! this crate optimised in the dev profile, so the copies of tests and debug builds are not a chain of
//! unoptimised helper calls either.

#![no_std]
#![no_builtins]
#![cfg(target_arch = "x86_64")]
#![allow(
    unsafe_code,
    reason = "the crate is raw-pointer copies exported under the C library's names; each block says why it is sound"
)]

use core::arch::asm;
use core::arch::x86_64::__m128i;

/// From this many bytes on, `rep movsb` beats the 64-bytes-a-step loop (see the crate's documentation).
pub const REP_MOVSB_FROM: usize = 2048;

/// Copies `n` bytes from `src` to `dest`, which must not overlap, and returns `dest`: C's `memcpy`. On the
/// musl target this is the `memcpy` symbol of the binary.
///
/// # Safety
/// `src` must be valid for reads and `dest` for writes of `n` bytes, and the two ranges must not overlap.
/// Any alignment is allowed.
#[cfg_attr(target_env = "musl", unsafe(no_mangle))]
pub unsafe extern "C" fn memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the caller's contract, passed on: each helper stays within `n` bytes of both pointers, and
    // `rep movsb` copies exactly `n` bytes forwards (the direction flag is clear at every call, by the ABI).
    unsafe {
        if n <= 64 {
            copy_at_most_64(dest, src, n);
        } else if n < REP_MOVSB_FROM {
            copy_forward(dest, src, n);
        } else {
            rep_movsb(dest, src, n);
        }
    }
    dest
}

/// Copies `n` bytes from `src` to `dest`, which may overlap, and returns `dest`: C's `memmove`. On the musl
/// target this is the `memmove` symbol of the binary.
///
/// # Safety
/// `src` must be valid for reads and `dest` for writes of `n` bytes. Any alignment and any overlap is allowed.
#[cfg_attr(target_env = "musl", unsafe(no_mangle))]
pub unsafe extern "C" fn memmove(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    let ahead = (dest as usize).wrapping_sub(src as usize);
    let behind = (src as usize).wrapping_sub(dest as usize);
    // SAFETY: as in `memcpy`; each branch picks a copy that is correct for the overlap it has: every load
    // before the first store (at most 64 bytes), front to back when `dest` starts before `src` (a byte is
    // read before the copy can reach it), back to front when it starts inside the source, and `rep movsb`
    // only when the ranges do not overlap at all.
    unsafe {
        if n <= 64 {
            copy_at_most_64(dest, src, n);
        } else if ahead >= n {
            // `dest` lies before `src` (the subtraction wrapped) or past the end of the source.
            if behind >= n && n >= REP_MOVSB_FROM {
                rep_movsb(dest, src, n);
            } else {
                copy_forward(dest, src, n);
            }
        } else {
            copy_backward(dest, src, n);
        }
    }
    dest
}

/// musl's internal forward copy: its `memmove` calls it whenever copying front to back is correct, overlap
/// included. Defined here only so that nothing can pull musl's `memcpy.lo` into the link (see the crate's
/// documentation); `memmove` meets the contract for every overlap.
///
/// # Safety
/// As [`memmove`].
#[cfg_attr(target_env = "musl", unsafe(no_mangle))]
pub unsafe extern "C" fn __memcpy_fwd(dest: *mut u8, src: *const u8, n: usize) -> *mut u8 {
    // SAFETY: the same contract as `memmove`'s.
    unsafe { memmove(dest, src, n) }
}

type Vector = __m128i;

#[inline(always)]
unsafe fn load<T>(src: *const u8, at: usize) -> T {
    // SAFETY: the caller keeps `at..at + size_of::<T>()` inside the source; the read is unaligned on purpose.
    unsafe { src.add(at).cast::<T>().read_unaligned() }
}

#[inline(always)]
unsafe fn store<T>(dest: *mut u8, at: usize, value: T) {
    // SAFETY: the caller keeps `at..at + size_of::<T>()` inside the destination.
    unsafe { dest.add(at).cast::<T>().write_unaligned(value) }
}

/// `n <= 64`. The first and the last `k` bytes of the range (k = 1, 2, 4, 8, 16, or 32 as two vectors)
/// cover all of it for `k <= n <= 2k`; the two may overlap each other, which costs nothing. Every load comes
/// before the first store, so this is also correct when source and destination overlap.
#[inline(always)]
unsafe fn copy_at_most_64(dest: *mut u8, src: *const u8, n: usize) {
    // SAFETY: every offset below plus the width loaded or stored is at most `n`.
    unsafe {
        if n >= 16 {
            if n > 32 {
                let a: Vector = load(src, 0);
                let b: Vector = load(src, 16);
                let c: Vector = load(src, n - 32);
                let d: Vector = load(src, n - 16);
                store(dest, 0, a);
                store(dest, 16, b);
                store(dest, n - 32, c);
                store(dest, n - 16, d);
            } else {
                let a: Vector = load(src, 0);
                let b: Vector = load(src, n - 16);
                store(dest, 0, a);
                store(dest, n - 16, b);
            }
        } else if n >= 8 {
            let a: u64 = load(src, 0);
            let b: u64 = load(src, n - 8);
            store(dest, 0, a);
            store(dest, n - 8, b);
        } else if n >= 4 {
            let a: u32 = load(src, 0);
            let b: u32 = load(src, n - 4);
            store(dest, 0, a);
            store(dest, n - 4, b);
        } else if n >= 2 {
            let a: u16 = load(src, 0);
            let b: u16 = load(src, n - 2);
            store(dest, 0, a);
            store(dest, n - 2, b);
        } else if n == 1 {
            let a: u8 = load(src, 0);
            store(dest, 0, a);
        }
    }
}

/// `n > 64`, front to back, 64 bytes a step; the last 64 bytes are loaded first and stored last, which
/// covers the remainder of any length. Correct for overlapping ranges when `dest` starts before `src`: a step
/// loads its 64 bytes before storing them, and earlier steps stored only below `dest + at <= src + at`.
#[inline(always)]
unsafe fn copy_forward(dest: *mut u8, src: *const u8, n: usize) {
    // SAFETY: `at + 64 < n` inside the loop, and `n - 64 + 64 == n` for the tail.
    unsafe {
        let t0: Vector = load(src, n - 64);
        let t1: Vector = load(src, n - 48);
        let t2: Vector = load(src, n - 32);
        let t3: Vector = load(src, n - 16);
        let mut at = 0;
        while at + 64 < n {
            let a: Vector = load(src, at);
            let b: Vector = load(src, at + 16);
            let c: Vector = load(src, at + 32);
            let d: Vector = load(src, at + 48);
            store(dest, at, a);
            store(dest, at + 16, b);
            store(dest, at + 32, c);
            store(dest, at + 48, d);
            at += 64;
        }
        store(dest, n - 64, t0);
        store(dest, n - 48, t1);
        store(dest, n - 32, t2);
        store(dest, n - 16, t3);
    }
}

/// `n > 64`, back to front, the mirror of [`copy_forward`]: the first 64 bytes are loaded first and stored
/// last. Correct for overlapping ranges when `dest` starts after `src`.
#[inline(always)]
unsafe fn copy_backward(dest: *mut u8, src: *const u8, n: usize) {
    // SAFETY: `end > 64` inside the loop, so `end - 64..end` lies inside the `n` bytes; the head is `0..64`.
    unsafe {
        let h0: Vector = load(src, 0);
        let h1: Vector = load(src, 16);
        let h2: Vector = load(src, 32);
        let h3: Vector = load(src, 48);
        let mut end = n;
        while end > 64 {
            let a: Vector = load(src, end - 64);
            let b: Vector = load(src, end - 48);
            let c: Vector = load(src, end - 32);
            let d: Vector = load(src, end - 16);
            store(dest, end - 64, a);
            store(dest, end - 48, b);
            store(dest, end - 32, c);
            store(dest, end - 16, d);
            end -= 64;
        }
        store(dest, 0, h0);
        store(dest, 16, h1);
        store(dest, 32, h2);
        store(dest, 48, h3);
    }
}

/// Large copies of ranges that do not overlap.
#[inline(always)]
unsafe fn rep_movsb(dest: *mut u8, src: *const u8, n: usize) {
    // SAFETY: copies exactly `n` bytes from `src` upwards to `dest` upwards (the System V ABI guarantees the
    // direction flag is clear on entry to a function); the caller vouches for both ranges.
    unsafe {
        asm!(
            "rep movsb",
            inout("rcx") n => _,
            inout("rdi") dest => _,
            inout("rsi") src => _,
            options(nostack, preserves_flags)
        );
    }
}
