/**
 * Just under glibc's DEFAULT_MMAP_THRESHOLD_MAX (32 MiB on 64-bit): the
 * largest freed mapping that still moves the thresholds (mallopt(3)).
 */
const RELEASED_MAPPING_BYTES = 30 * 1024 * 1024;

let raised = false;

/**
 * Keeps glibc from handing freed heap memory back to the kernel after every
 * garbage collection, once per process.
 *
 * Node.js mallocs a fresh buffer for every socket read (64 KiB) and the HTTP
 * parser copies every body chunk into another one. With glibc's default
 * 128 KiB trim threshold, each GC frees them, glibc trims the heap top, and
 * the next buffers page-fault their memory back in: a 256 MiB blob relayed
 * through the mirror cost 11–36 thousand minor page faults and about half of
 * the mirror's CPU time (expensive in a VM). glibc raises its mmap threshold
 * to the size of a freed mmapped block, and the trim threshold to twice that
 * ("dynamic mmap threshold", mallopt(3)); one 30 MiB buffer, released to the
 * collector, does it without environment variables (`GLIBC_TUNABLES`) that
 * every way of starting the mirror would have to set. Freed memory up to
 * 60 MiB then stays in the process for reuse. Other allocators ignore it.
 */
export function raiseMallocTrimThreshold(): void {
  if (raised || process.platform !== 'linux') return;
  raised = true;
  // allocUnsafeSlow: an unpooled allocation of its own, mmapped by glibc and
  // unmapped when the next GC collects it (nothing keeps a reference).
  Buffer.allocUnsafeSlow(RELEASED_MAPPING_BYTES).fill(0, 0, 1);
}
