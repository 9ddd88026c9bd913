//! Every length up to 600 at every source and destination alignment 0..16, some large lengths on both sides
//! of the `rep movsb` switch, and overlapping moves in both directions, each compared byte by byte against
//! what the copy must leave: the source's bytes in the destination range, and everything else untouched.
//!
//! The expected bytes are computed from their index, never copied, so no `memcpy` (which on the musl target
//! is the function under test) takes part in deciding what is right. On the musl target (scripts/test runs
//! these tests there too) the functions are the binary's `memcpy` and `memmove` symbols, which the last
//! tests also reach the way the rest of the program does, through `core::ptr`.
#![cfg(target_arch = "x86_64")]
#![allow(unsafe_code, reason = "the functions under test take raw pointers")]

use musl_memcpy::{__memcpy_fwd, REP_MOVSB_FROM, memcpy, memmove};

/// A byte per index that differs between nearby indices, so that a shifted or misplaced copy shows.
fn pattern(seed: u32, index: usize) -> u8 {
    let mixed = (index as u32 ^ seed).wrapping_mul(0x9E37_79B1);
    (mixed >> 24) as u8
}

const SOURCE: u32 = 0x5EED_0001;
const UNTOUCHED: u32 = 0x5EED_0002;

/// A buffer whose element `base` is 64-byte aligned, so that an offset from it is exactly that alignment.
struct Buffer {
    bytes: Vec<u8>,
    base: usize,
}

impl Buffer {
    fn new(len: usize, seed: u32) -> Self {
        let mut bytes: Vec<u8> = (0..len + 64).map(|i| pattern(seed, i)).collect();
        let base = bytes.as_mut_ptr().align_offset(64);
        assert!(base < 64);
        Self { bytes, base }
    }

    fn refill(&mut self, seed: u32) {
        for (i, byte) in self.bytes.iter_mut().enumerate() {
            *byte = pattern(seed, i);
        }
    }

    fn at(&mut self, offset: usize) -> *mut u8 {
        self.bytes[self.base + offset..].as_mut_ptr()
    }
}

/// The first index of `actual` that differs from `expected(index)`, if any.
fn first_difference(actual: &[u8], expected: impl Fn(usize) -> u8) -> Option<(usize, u8, u8)> {
    actual
        .iter()
        .enumerate()
        .find_map(|(i, &byte)| (byte != expected(i)).then(|| (i, byte, expected(i))))
}

type CopyFn = unsafe extern "C" fn(*mut u8, *const u8, usize) -> *mut u8;

/// Copies `len` bytes between separate buffers at the given alignments and checks the whole destination.
fn check_copy(copy: CopyFn, name: &str, source: &mut Buffer, dest: &mut Buffer, len: usize, from: usize, to: usize) {
    dest.refill(UNTOUCHED);
    let (d, s) = (dest.at(to), source.at(from));
    // SAFETY: both buffers hold `base + 16 + len` bytes or more; they are separate allocations.
    let returned = unsafe { copy(d, s, len) };
    assert_eq!(returned, d, "{name} returns its destination");
    let (base, src_base) = (dest.base, source.base);
    let expected = |i: usize| {
        if (base + to..base + to + len).contains(&i) {
            pattern(SOURCE, src_base + from + (i - base - to))
        } else {
            pattern(UNTOUCHED, i)
        }
    };
    if let Some((i, got, want)) = first_difference(&dest.bytes, expected) {
        panic!("{name} of {len} bytes from alignment {from} to {to}: byte {i} is {got:#04x}, not {want:#04x}");
    }
}

/// Moves `len` bytes inside one buffer from `base + from` to `base + to` and checks the whole buffer.
fn check_move(copy: CopyFn, name: &str, buffer: &mut Buffer, len: usize, from: usize, to: usize) {
    buffer.refill(SOURCE);
    let (d, s) = (buffer.at(to), buffer.at(from) as *const u8);
    // SAFETY: the buffer holds `base + max(from, to) + len` bytes or more; overlap is what is tested.
    let returned = unsafe { copy(d, s, len) };
    assert_eq!(returned, d, "{name} returns its destination");
    let base = buffer.base;
    let expected = |i: usize| {
        if (base + to..base + to + len).contains(&i) {
            pattern(SOURCE, base + from + (i - base - to))
        } else {
            pattern(SOURCE, i)
        }
    };
    if let Some((i, got, want)) = first_difference(&buffer.bytes, expected) {
        panic!("{name} of {len} bytes from offset {from} to {to}: byte {i} is {got:#04x}, not {want:#04x}");
    }
}

const SMALL: usize = 600;

#[test]
fn every_length_to_600_at_every_alignment() {
    let mut source = Buffer::new(SMALL + 16, SOURCE);
    let mut dest = Buffer::new(SMALL + 16 + 32, UNTOUCHED);
    for (copy, name) in [(memcpy as CopyFn, "memcpy"), (memmove, "memmove")] {
        for len in 0..=SMALL {
            for from in 0..16 {
                for to in 0..16 {
                    check_copy(copy, name, &mut source, &mut dest, len, from, to);
                }
            }
        }
    }
}

/// Sizes around each switch of the implementation: 64 (the last loop-free size), 128, `REP_MOVSB_FROM`, and
/// 1 MiB, at a few alignments each.
#[test]
fn large_copies() {
    let lens = [
        1000,
        REP_MOVSB_FROM - 1,
        REP_MOVSB_FROM,
        REP_MOVSB_FROM + 1,
        REP_MOVSB_FROM + 63,
        4096 + 7,
        65_537,
        1 << 20,
        (1 << 20) + 13,
    ];
    let longest = (1 << 20) + 13;
    let mut source = Buffer::new(longest + 16, SOURCE);
    let mut dest = Buffer::new(longest + 16 + 32, UNTOUCHED);
    for len in lens {
        for (from, to) in [(0, 0), (1, 0), (0, 1), (7, 3), (8, 15), (15, 15)] {
            check_copy(memcpy, "memcpy", &mut source, &mut dest, len, from, to);
            check_copy(memmove, "memmove", &mut source, &mut dest, len, from, to);
            check_copy(__memcpy_fwd, "__memcpy_fwd", &mut source, &mut dest, len, from, to);
        }
    }
}

/// The distances between source and destination that matter for the 16- and 64-byte steps, and some others.
const DISTANCES: [usize; 20] = [
    1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100, 128, 300, 599,
];

#[test]
fn memmove_overlapping_both_directions() {
    let mut buffer = Buffer::new(2 * SMALL + 16, SOURCE);
    for len in 0..=SMALL {
        for distance in DISTANCES {
            for start in [0, 5] {
                // Forwards (the destination before the source) and backwards.
                check_move(memmove, "memmove", &mut buffer, len, start + distance, start);
                check_move(memmove, "memmove", &mut buffer, len, start, start + distance);
            }
        }
    }
}

#[test]
fn memmove_large_overlapping_both_directions() {
    let len = 1 << 20;
    let mut buffer = Buffer::new(len + 8192, SOURCE);
    for distance in [1, 16, 64, 4096 + 3] {
        check_move(memmove, "memmove", &mut buffer, len, distance, 0);
        check_move(memmove, "memmove", &mut buffer, len, 0, distance);
    }
    // Onto itself.
    check_move(memmove, "memmove", &mut buffer, len, 0, 0);
}

/// musl's `memmove` calls `__memcpy_fwd` for every move whose destination starts before its source.
#[test]
fn memcpy_fwd_overlapping_forwards() {
    let mut buffer = Buffer::new(2 * REP_MOVSB_FROM + SMALL + 16, SOURCE);
    for len in (0..=SMALL).chain([REP_MOVSB_FROM, 2 * REP_MOVSB_FROM]) {
        for distance in DISTANCES {
            check_move(__memcpy_fwd, "__memcpy_fwd", &mut buffer, len, distance, 0);
        }
    }
}

/// On the musl target the crate's functions are the binary's `memcpy` and `memmove`: the C names resolve to
/// them (so musl's were not linked: a second definition would not link at all), and what the standard
/// library's copies call is them.
#[cfg(target_env = "musl")]
mod linked {
    use std::hint::black_box;

    unsafe extern "C" {
        #[link_name = "memcpy"]
        fn c_memcpy(dest: *mut u8, src: *const u8, n: usize) -> *mut u8;
        #[link_name = "memmove"]
        fn c_memmove(dest: *mut u8, src: *const u8, n: usize) -> *mut u8;
        #[link_name = "__memcpy_fwd"]
        fn c_memcpy_fwd(dest: *mut u8, src: *const u8, n: usize) -> *mut u8;
    }

    #[test]
    fn the_c_names_are_this_crate() {
        assert_eq!(c_memcpy as *const (), musl_memcpy::memcpy as *const ());
        assert_eq!(c_memmove as *const (), musl_memcpy::memmove as *const ());
        assert_eq!(c_memcpy_fwd as *const (), musl_memcpy::__memcpy_fwd as *const ());
    }

    #[test]
    fn core_ptr_copies_through_them() {
        let source: Vec<u8> = (0..=255).collect();
        for len in 0..=256 {
            let mut dest = vec![0u8; 256];
            // SAFETY: both hold 256 bytes; `black_box` keeps the length a run-time value, so the copy is a
            // call to `memcpy` rather than inlined moves.
            unsafe { std::ptr::copy_nonoverlapping(source.as_ptr(), dest.as_mut_ptr(), black_box(len)) };
            assert!(
                dest[..len].iter().enumerate().all(|(i, &b)| b == i as u8),
                "copy_nonoverlapping {len}"
            );
            assert!(
                dest[len..].iter().all(|&b| b == 0),
                "copy_nonoverlapping {len} wrote past the end"
            );

            let mut moved: Vec<u8> = (0..=255).collect();
            let shift = black_box(len.min(255) / 2);
            // SAFETY: `shift + (256 - shift) == 256`; `copy` allows the overlap.
            unsafe { std::ptr::copy(moved.as_ptr(), moved.as_mut_ptr().add(shift), 256 - shift) };
            assert!(
                moved[shift..].iter().enumerate().all(|(i, &b)| b == i as u8),
                "copy by {shift}"
            );
        }
    }
}
