#ifndef NAS_CXNNPACK_SHIM_H
#define NAS_CXNNPACK_SHIM_H
// XNNPACK from Debian's libxnnpack-dev; its header includes pthreadpool.h (libpthreadpool-dev).
#include <xnnpack.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

// An allocator for XNNPACK that backs large aligned blocks (packed weights, the runtime's
// workspace) with transparent huge pages. With 4 KiB pages, where a network's tensors land in
// physical memory, and so which of them collide in the cache, changes with every build: two
// builds of the same network in one process measured up to 18% apart. Huge pages (2 MiB,
// physically contiguous) make the layout the same every time; the same builds then agreed
// within 3%. Small and unaligned allocations stay with malloc.

enum { nas_huge_threshold = 1 << 20, nas_huge_page = 2 << 20 };

// Stored just before every aligned block: its base and the mapping's length (0: posix_memalign).
typedef struct { void *base; size_t length; } nas_block_header;

static inline void *nas_allocate(void *context, size_t size) { (void)context; return malloc(size); }
static inline void *nas_reallocate(void *context, void *pointer, size_t size) { (void)context; return realloc(pointer, size); }
static inline void nas_deallocate(void *context, void *pointer) { (void)context; free(pointer); }

static inline void *nas_aligned_allocate(void *context, size_t alignment, size_t size) {
  (void)context;
  if (alignment < sizeof(nas_block_header)) alignment = sizeof(nas_block_header);
  if (size < nas_huge_threshold) {
    void *base = NULL;
    if (posix_memalign(&base, alignment, size + alignment) != 0) return NULL;
    char *block = (char *)base + alignment;
    ((nas_block_header *)block)[-1] = (nas_block_header){base, 0};
    return block;
  }
  size_t length = size + alignment + nas_huge_page;
  void *mapped = mmap(NULL, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED) return NULL;
  uintptr_t start = ((uintptr_t)mapped + nas_huge_page - 1) & ~(uintptr_t)(nas_huge_page - 1);
  (void)madvise((void *)start, length - (start - (uintptr_t)mapped), MADV_HUGEPAGE);  // advice only: fine if refused
  char *block = (char *)start + alignment;
  ((nas_block_header *)block)[-1] = (nas_block_header){mapped, length};
  return block;
}

static inline void nas_aligned_deallocate(void *context, void *pointer) {
  (void)context;
  if (pointer == NULL) return;
  nas_block_header header = ((nas_block_header *)pointer)[-1];
  if (header.length == 0) free(header.base); else munmap(header.base, header.length);
}

static inline const struct xnn_allocator *nas_hugepage_allocator(void) {
  static const struct xnn_allocator allocator = {
    NULL, nas_allocate, nas_reallocate, nas_deallocate, nas_aligned_allocate, nas_aligned_deallocate,
  };
  return &allocator;
}
#endif
