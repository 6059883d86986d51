/* Chooses the instruction set once (the best the CPU has) and forwards each kernel call to
 * that instruction set's table. */
#include "kernel_table.h"

#if defined(__x86_64__)
#include <cpuid.h>

/* The register state the OS saves (XCR0): AVX needs XMM and YMM, AVX-512 also opmask and ZMM. */
static unsigned long long nas_xcr0(void) {
  unsigned eax, edx;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return ((unsigned long long)edx << 32) | eax;
}

static nas_isa nas_detect(void) {
  unsigned a, b, c, d;
  if (!__get_cpuid(1, &a, &b, &c, &d)) return NAS_ISA_BASELINE;
  const int osxsave = (c >> 27) & 1, avx = (c >> 28) & 1, fma = (c >> 12) & 1;
  if (!osxsave || !avx || !fma) return NAS_ISA_BASELINE;
  const unsigned long long xcr0 = nas_xcr0();
  if ((xcr0 & 0x6) != 0x6) return NAS_ISA_BASELINE;
  if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return NAS_ISA_BASELINE;
  if (!((b >> 5) & 1)) return NAS_ISA_BASELINE; /* AVX2 */
  const int avx512 = ((b >> 16) & 1) && ((b >> 17) & 1) && ((b >> 30) & 1) && ((b >> 31) & 1); /* F DQ BW VL */
  if (avx512 && (xcr0 & 0xE0) == 0xE0) return NAS_ISA_AVX512;
  return NAS_ISA_AVX2;
}
#else
static nas_isa nas_detect(void) { return NAS_ISA_BASELINE; }
#endif

/* -1 until first use; set once from nas_detect() or by nas_kernels_select(). A relaxed atomic:
 * every table computes the same function, so a racing reader only sees one valid table or the
 * other. */
static int nas_selected = -1;

nas_isa nas_kernels_best_isa(void) { return nas_detect(); }

int nas_kernels_select(nas_isa isa) {
  if (isa < NAS_ISA_BASELINE || isa > nas_detect()) return -1;
  __atomic_store_n(&nas_selected, (int)isa, __ATOMIC_RELAXED);
  return 0;
}

nas_isa nas_kernels_selected(void) {
  int isa = __atomic_load_n(&nas_selected, __ATOMIC_RELAXED);
  if (isa < 0) {
    isa = (int)nas_detect();
    __atomic_store_n(&nas_selected, isa, __ATOMIC_RELAXED);
  }
  return (nas_isa)isa;
}

#if defined(__x86_64__)
#define NAS_TABLE_FOR(T)                                                      \
  static const nas_kernel_table_##T *nas_table_##T(void) {                    \
    switch (nas_kernels_selected()) {                                         \
    case NAS_ISA_AVX512: return &nas_table_avx512_##T;                        \
    case NAS_ISA_AVX2: return &nas_table_avx2_##T;                            \
    default: return &nas_table_baseline_##T;                                  \
    }                                                                         \
  }
#else
#define NAS_TABLE_FOR(T) \
  static const nas_kernel_table_##T *nas_table_##T(void) { return &nas_table_baseline_##T; }
#endif

#define NAS_FORWARDERS(S, T)                                                                               \
  NAS_TABLE_FOR(T)                                                                                         \
  void nas_depthwise_forward_##T(const nas_depthwise_geometry *g, const S *x, const S *w, S *y, long first,  \
                                 long end) {                                                                 \
    nas_table_##T()->depthwise_forward(g, x, w, y, first, end);                                             \
  }                                                                                                          \
  void nas_depthwise_backward_##T(const nas_depthwise_geometry *g, const S *x, const S *w, const S *dy,      \
                                  S *dx, S *dw, long first, long end) {                                      \
    nas_table_##T()->depthwise_backward(g, x, w, dy, dx, dw, first, end);                                   \
  }                                                                                                          \
  void nas_activation_forward_##T(nas_activation f, const S *x, S *y, long rows, long channels,            \
                                  const S *scale, const S *shift) {                                          \
    nas_table_##T()->activation_forward(f, x, y, rows, channels, scale, shift);                             \
  }                                                                                                          \
  void nas_activation_backward_##T(nas_activation f, const S *x, const S *g, S *d, long rows,              \
                                   long channels, const S *scale, const S *shift) {                          \
    nas_table_##T()->activation_backward(f, x, g, d, rows, channels, scale, shift);                         \
  }                                                                                                          \
  void nas_batchnorm_normalize_##T(S *x, long rows, long channels, const S *mean, const S *invstd) {        \
    nas_table_##T()->batchnorm_normalize(x, rows, channels, mean, invstd);                                  \
  }                                                                                                          \
  void nas_batchnorm_backward_##T(const S *xhat, S *dy, long rows, long channels, const S *k, const S *a,  \
                                  const S *b) {                                                              \
    nas_table_##T()->batchnorm_backward(xhat, dy, rows, channels, k, a, b);                                 \
  }                                                                                                          \
  void nas_channel_sums_##T(nas_sum_term term, const S *x, const S *b, long rows, long channels,           \
                            double *out, S *scratch) {                                                       \
    nas_table_##T()->channel_sums(term, x, b, rows, channels, out, scratch);                                \
  }                                                                                                          \
  void nas_activation_backward_sums_##T(nas_activation f, const S *xhat, const S *g, S *d, long rows,       \
                                        long channels, const S *gamma, const S *beta, double *sum_d,         \
                                        double *sum_dx, S *scratch) {                                        \
    nas_table_##T()->activation_backward_sums(f, xhat, g, d, rows, channels, gamma, beta, sum_d, sum_dx,    \
                                              scratch);                                                      \
  }

NAS_FORWARDERS(float, f32)
NAS_FORWARDERS(double, f64)
