//! The global allocator of the `kiln` binary and of its benchmarks: mimalloc, called
//! without its aligned entry points where the alignment asked for is one every mimalloc
//! block has anyway.
//!
//! Why: the `mimalloc` crate sends every allocation through `mi_malloc_aligned`, which
//! checks and honours the alignment on each call; nearly all of kiln's allocations are
//! strings and vectors of words (alignment 1 to 8), for which plain `mi_malloc` is the
//! same block for less work (docs/performance.md).

use std::alloc::{GlobalAlloc, Layout};
use std::ffi::c_void;

/// mimalloc's blocks are always aligned to the machine word (its size classes are whole
/// words and its pages start aligned); larger alignments take the aligned calls.
const WORD: usize = std::mem::size_of::<usize>();

/// mimalloc, with the plain calls for word-aligned layouts.
pub struct Allocator;

// SAFETY: every path returns mimalloc memory meeting `layout`: plain calls only when the
// alignment is at most a word, which every mimalloc block has; the rest is the `mimalloc`
// crate's own aligned implementation. `dealloc` is `mi_free` for both kinds, as in that
// crate.
unsafe impl GlobalAlloc for Allocator {
    #[inline]
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= WORD {
            // SAFETY: FFI call with a size; mimalloc returns null on failure.
            unsafe { libmimalloc_sys::mi_malloc(layout.size()).cast::<u8>() }
        } else {
            // SAFETY: forwarded with the caller's guarantees.
            unsafe { mimalloc::MiMalloc.alloc(layout) }
        }
    }

    #[inline]
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.align() <= WORD {
            // SAFETY: as in `alloc`.
            unsafe { libmimalloc_sys::mi_zalloc(layout.size()).cast::<u8>() }
        } else {
            // SAFETY: forwarded with the caller's guarantees.
            unsafe { mimalloc::MiMalloc.alloc_zeroed(layout) }
        }
    }

    #[inline]
    unsafe fn dealloc(&self, ptr: *mut u8, _layout: Layout) {
        // SAFETY: `ptr` came from this allocator, so from mimalloc.
        unsafe { libmimalloc_sys::mi_free(ptr.cast::<c_void>()) }
    }

    #[inline]
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if layout.align() <= WORD {
            // SAFETY: `ptr` came from mimalloc; the new block is word-aligned, which is
            // all `layout` asks for.
            unsafe { libmimalloc_sys::mi_realloc(ptr.cast::<c_void>(), new_size).cast::<u8>() }
        } else {
            // SAFETY: forwarded with the caller's guarantees.
            unsafe { mimalloc::MiMalloc.realloc(ptr, layout, new_size) }
        }
    }
}

/// Whether the kernel may back this process's memory with transparent huge pages
/// (where Linux has them in `always` or `madvise` mode; mimalloc asks for them on its
/// arenas). The `kiln` binary starts without them and turns them on once it has read a
/// large input: a small run touches a few MiB, for which zeroing 2 MiB pages costs more
/// than the page faults they save; a large one takes thousands of faults without them
/// (docs/performance.md). Pages already in use keep their size. Elsewhere a no-op.
pub fn huge_pages(enable: bool) {
    #[cfg(target_os = "linux")]
    {
        let disable = libc::c_ulong::from(!enable);
        // SAFETY: PR_SET_THP_DISABLE takes an integer flag and changes only this
        // process's page policy; a failure (an old kernel) leaves the default.
        let _ = unsafe { libc::prctl(libc::PR_SET_THP_DISABLE, disable, 0, 0, 0) };
    }
    #[cfg(not(target_os = "linux"))]
    let _ = enable;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every size class up to a few pages, at every alignment up to a page: the block is
    /// aligned, writable, survives growing and shrinking, and is freed.
    #[test]
    fn blocks_are_aligned_at_every_size_and_alignment() {
        let a = Allocator;
        for align in [1, 2, 4, 8, 16, 32, 64, 4096] {
            for size in (1..=600).chain([1000, 4096, 65536, 1 << 20]) {
                let Ok(layout) = Layout::from_size_align(size, align) else {
                    continue;
                };
                // SAFETY: non-zero size; the block is used within its size and freed once.
                unsafe {
                    let p = a.alloc(layout);
                    assert!(!p.is_null());
                    assert_eq!(p as usize % align, 0, "size {size} align {align}");
                    p.write_bytes(0xab, size);
                    let q = a.realloc(p, layout, size * 2 + 3);
                    assert!(!q.is_null());
                    assert_eq!(q as usize % align, 0, "grown {size} align {align}");
                    assert_eq!(*q.add(size - 1), 0xab);
                    a.dealloc(q, Layout::from_size_align_unchecked(size * 2 + 3, align));
                    let z = a.alloc_zeroed(layout);
                    assert_eq!(z as usize % align, 0);
                    assert!((0..size).all(|i| *z.add(i) == 0));
                    a.dealloc(z, layout);
                }
            }
        }
    }
}
